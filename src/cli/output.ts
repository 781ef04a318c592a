// What every CLI command shares on the way out: exit codes, the log on stderr, errors as JSON, and the run id in commit trailers.
import { forTerminal } from '../adapters/local/terminal-text.js';
import type { RegistrarError } from '../errors.js';
import type { Log } from '../pipeline/publish.js';
import type { CliIo } from './options.js';

/** The documented exit codes. */
export const EXIT = {
  /** Done, or nothing found. */
  done: 0,
  /** Failed; running the same command again may help. */
  failed: 1,
  usage: 2,
  /** Refused: the request or the package must change. */
  refused: 3,
  /** Reconcile or audit found something a person must look at. */
  needsPerson: 4,
} as const;

/** What a command runs with. */
export interface CommandContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  /** How often progress lines appear on long work. */
  progressMs: number;
}

/** Prints a command's usage (for --help) and succeeds. */
export function say(io: CliIo, text: string): number {
  io.out(`${text}\n`);
  return EXIT.done;
}

/** The pipelines' log, on stderr, made safe for a terminal. */
export function cliLog(io: CliIo): Log {
  return {
    info: (message) => io.err(`${forTerminal(message)}\n`),
    warning: (message) => io.err(`warning: ${forTerminal(message)}\n`),
  };
}

export function errorJson(error: RegistrarError): Record<string, unknown> {
  return { kind: error.kind, reason: error.reason ?? null, message: error.message, hint: error.hint ?? null };
}

/** The run named in commit trailers: the workflow's run id when a workflow runs the CLI, else `cli`. */
export function runId(env: NodeJS.ProcessEnv): string {
  const id = env.GITHUB_RUN_ID;
  return id !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(id) ? id : 'cli';
}

/** One JSON object on one line, every non-ASCII character escaped: valid JSON that no terminal can misread. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
}
