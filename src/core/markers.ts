import { DEFAULT_ECOSYSTEM, type Ecosystem } from './ecosystem.js';

// The hidden markers Registrar puts in its own comments: how a run finds its comment again, and why its own words never start a run.

/** Every comment Registrar writes starts its marker with this; a comment carrying it never starts a run (rule 10). */
export const MARKER_PREFIX = '<!-- registrar:';

/** One attempt's status comment: a run attempt finds and updates its own comment. */
export function statusMarker(run: { id: string; attempt: number }): string {
  return `${MARKER_PREFIX}status run=${run.id} attempt=${run.attempt} -->`;
}

/** The package and version a publish issue's status comment is about. */
export function packageMarker(name: string, version: string): string {
  return `${MARKER_PREFIX}package ${name}@${version} -->`;
}

/** The longest `name@version` a marker holds: npm's longest name, an `@`, and semver's longest version. */
const MARKER_TARGET_MAX = 214 + 1 + 256;

/**
 * The package a status comment names, if it carries a package marker. A hint only: a bare `/rollback`
 * acts on it only after the registry confirms that this issue published that version.
 */
export function packageFromMarker(body: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): { name: string; version: string } | undefined {
  const start = body.indexOf(`${MARKER_PREFIX}package `);
  if (start < 0) return undefined;
  const from = start + MARKER_PREFIX.length + 'package '.length;
  const end = body.indexOf(' -->', from);
  if (end < 0 || end - from > MARKER_TARGET_MAX) return undefined;
  return splitTarget(body.slice(from, end), ecosystem);
}

/**
 * `name@version`, read exactly: split at the `@` that ends the name (a scoped npm name begins with one of its own,
 * `@scope/name@1.0.0`; no name holds one anywhere else), and both parts valid in the ecosystem; anything else is
 * undefined, never a guess.
 */
export function splitTarget(target: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): { name: string; version: string } | undefined {
  const at = target.indexOf('@', 1);
  if (at < 0) return undefined;
  const name = target.slice(0, at);
  const version = target.slice(at + 1);
  if (ecosystem.checkName(name) !== undefined || ecosystem.checkVersion(version) !== undefined) return undefined;
  return { name, version };
}

/** The report of one `/rollback` comment (or of a run without one). */
export function rollbackMarker(commentId: number | undefined, run: { id: string; attempt: number }): string {
  return commentId === undefined
    ? `${MARKER_PREFIX}rollback run=${run.id} attempt=${run.attempt} -->`
    : `${MARKER_PREFIX}rollback comment=${commentId} run=${run.id} attempt=${run.attempt} -->`;
}

/** The one comment per issue that answers commands their commenter may not run (updated in place: no spam). */
export const DENIED_MARKER = `${MARKER_PREFIX}denied -->`;

/** Where one attempt stood when its status comment was last written: what `/status` lists, read from bots' comments only. */
export type AttemptState = 'working' | 'published' | 'refused' | 'failed';

export function stateMarker(state: AttemptState): string {
  return `${MARKER_PREFIX}state ${state} -->`;
}

/**
 * One attempt as its status comment records it: the run and attempt (from the status marker), its state and
 * package. Every field is matched exactly, so nothing but these shapes is ever read back out of a comment.
 */
export function attemptFromComment(body: string): { run: string; attempt: number; state: AttemptState | undefined } | undefined {
  const head = body.slice(0, 200);
  const status = /^<!-- registrar:status run=([0-9A-Za-z_-]{1,40}) attempt=(\d{1,6}) -->/.exec(head);
  if (!status) return undefined;
  const state = /<!-- registrar:state (working|published|refused|failed) -->/.exec(body);
  return { run: status[1] ?? '', attempt: Number(status[2]), state: state?.[1] as AttemptState | undefined };
}

/** The one comment per issue answering `/help`, `/status` and unknown commands, updated in place: anyone may ask, and asking again costs an edit. */
export const ANSWER_MARKER = `${MARKER_PREFIX}answer -->`;

/** The one comment per issue holding the newest `/dry-run` report, updated in place. */
export const DRY_RUN_MARKER = `${MARKER_PREFIX}dry-run -->`;
