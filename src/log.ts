// The action's log: untrusted text (requests, errors quoting them) must never read as a workflow command.
import * as core from '@actions/core';
import type { Log } from './pipeline/publish.js';
import { redact } from './redact.js';

/**
 * The runner reads `::command::` at the start of any line — and it splits lines at \n, \r, U+0085,
 * U+2028 and U+2029 — and the legacy `##[command]` anywhere in a line. Both shapes are broken with a
 * zero-width space, leaving the text readable. Linear: two passes of fixed patterns.
 */
export function neutralise(text: string): string {
  return text
    .replaceAll('##[', '#\u200b#[')
    .replace(/(^|[\n\r\u0085\u2028\u2029])([^\S\n\r\u0085\u2028\u2029]*)::/g, '$1$2:\u200b:');
}

/**
 * A message for the log: credentials cut as in comments (a service's error body can quote a session token
 * the runner does not know to mask), then workflow commands broken.
 */
export function forLog(message: string): string {
  return neutralise(redact(message));
}

export const actionLog: Log = {
  info: (message) => core.info(forLog(message)),
  warning: (message) => core.warning(forLog(message)),
};
