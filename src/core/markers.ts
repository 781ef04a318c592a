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

/**
 * The package a status comment names, if it carries a package marker. A hint only: a bare `/rollback`
 * acts on it only after the registry confirms that this issue published that version.
 */
export function packageFromMarker(body: string): { name: string; version: string } | undefined {
  const start = body.indexOf(`${MARKER_PREFIX}package `);
  if (start < 0) return undefined;
  const end = body.indexOf(' -->', start);
  if (end < 0 || end - start > 200) return undefined;
  const match = /^([a-z0-9-]+)@(\d+\.\d+\.\d+)$/.exec(body.slice(start + MARKER_PREFIX.length + 'package '.length, end));
  return match ? { name: match[1] ?? '', version: match[2] ?? '' } : undefined;
}

/** The report of one `/rollback` comment (or of a run without one). */
export function rollbackMarker(commentId: number | undefined, run: { id: string; attempt: number }): string {
  return commentId === undefined
    ? `${MARKER_PREFIX}rollback run=${run.id} attempt=${run.attempt} -->`
    : `${MARKER_PREFIX}rollback comment=${commentId} run=${run.id} attempt=${run.attempt} -->`;
}

/** The one comment per issue that answers commands their commenter may not run (updated in place: no spam). */
export const DENIED_MARKER = `${MARKER_PREFIX}denied -->`;
