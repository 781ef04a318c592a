// The action's log: untrusted text (requests, errors quoting them) must never read as a workflow command.
import * as core from '@actions/core';
import type { Log } from './pipeline/publish.js';

/** Workflow commands start a line with `::` (or the legacy `##[`); break that shape without hiding the text. */
export function neutralise(text: string): string {
  return text.replace(/^(\s*)(::|##\[)/gm, (_m, space: string, command: string) => `${space}${command[0]}\u200b${command.slice(1)}`);
}

export const actionLog: Log = {
  info: (message) => core.info(neutralise(message)),
  warning: (message) => core.warning(neutralise(message)),
};
