// What every command runs with: the settings, the adapters behind the ports, the log and clock, and what a run ends in.
import type { Trustees } from '../adapters/github/trustees.js';
import type { Actor } from '../core/types.js';
import type { DryRunOutcome, PublishOutcome, RollbackOutcome } from '../core/outcomes.js';
import type { Settings } from '../inputs.js';
import type { Log, PublishDeps } from '../pipeline/publish.js';

export type RunResult =
  | { kind: 'ignored'; why: string }
  | { kind: 'denied'; issue: number; actor: Actor; why: string }
  /** `/help`, `/status` or an unknown command, answered in the issue's one answer comment. */
  | { kind: 'answered'; issue: number; command: string }
  | { kind: 'dry-run'; outcome: DryRunOutcome }
  | { kind: 'publish'; outcome: PublishOutcome }
  | { kind: 'rollback'; outcome: RollbackOutcome };

export interface Runtime {
  log: Log;
  now: () => Date;
}

export interface Deps extends PublishDeps {
  trustees: Trustees;
}

export interface CommandContext {
  settings: Settings;
  runtime: Runtime;
  deps: Deps;
}

/** The workflow run as the status comments link it: `<server>/<owner>/<repo>/actions/runs/<id>`, and the attempt. */
export function runOf(settings: Settings): { id: string; attempt: number; url: string } {
  const { owner, repo } = settings.tracker;
  return { ...settings.run, url: `${settings.serverUrl.replace(/\/+$/, '')}/${owner}/${repo}/actions/runs/${encodeURIComponent(settings.run.id)}` };
}
