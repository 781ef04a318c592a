// Registry commit messages: a headline people read and trailers a later run reads to recognise its own commit.
import { DEFAULT_ECOSYSTEM, type Ecosystem } from './ecosystem.js';

export const TRAILER_ISSUE = 'Registrar-Issue';
export const TRAILER_RUN = 'Registrar-Run';
export const TRAILER_ATTEMPT = 'Registrar-Attempt';

export interface CommitMessage {
  headline: string;
  /** The trailer block. */
  body: string;
  /** What is sent: headline, blank line, body, final newline. */
  full: string;
}

export interface RegistrarTrailers {
  issue?: number;
  /** The workflow run id (`GITHUB_RUN_ID`), or another token such as `local` for a terminal run. */
  run?: string;
  attempt?: number;
}

const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*): (.*)$/;
const COUNT = /^[1-9][0-9]{0,15}$/;
// A run id is GitHub's number as a string, or a short token; one word either way, so it stays one trailer line.
const RUN = /^[A-Za-z0-9._-]{1,64}$/;

function assertCount(label: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${label} must be a positive integer, not ${String(value)}`);
}

/**
 * Every registry commit's message: `<Action> <name>@<version> (#<issue>)[: <note>]` and the trailers.
 * Rollbacks commit twice: `Rollback x@1.0.0 (#7)`, then `Rollback x@1.0.0 (#7): storage cleaned`.
 * Without an issue (a command run from the CLI) the headline has no `(#N)` and there is no issue trailer.
 */
export function registryCommitMessage(args: { action: 'Publish' | 'Rollback'; note?: 'storage cleaned'; name: string; version: string;
  issue: number | undefined; run: string; attempt: number }, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): CommitMessage {
  const { action, note, name, version, issue, run, attempt } = args;
  // Only validated names reach a message (printable ASCII in every ecosystem), so no name can carry a line break and fake a trailer.
  const problem = ecosystem.checkName(name) ?? ecosystem.checkVersion(version);
  if (problem !== undefined) throw new TypeError(`commit message from an unvalidated value: ${problem}`);
  if (issue !== undefined) assertCount('issue', issue);
  if (!RUN.test(run)) throw new TypeError(`run id must be 1 to 64 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(run.slice(0, 80))}`);
  assertCount('attempt', attempt);
  const headline = `${action} ${name}@${version}${issue === undefined ? '' : ` (#${issue})`}${note ? `: ${note}` : ''}`;
  const body = [...(issue === undefined ? [] : [`${TRAILER_ISSUE}: ${issue}`]), `${TRAILER_RUN}: ${run}`, `${TRAILER_ATTEMPT}: ${attempt}`].join('\n');
  return { headline, body, full: `${headline}\n\n${body}\n` };
}


/**
 * Reads Registrar's trailers from a commit message. Only the last paragraph counts, only when it is
 * not the headline and every line of it is `Key: value` (git's trailer block), so text earlier in
 * a message cannot pose as a trailer. A key given twice, or a value that is not a positive
 * integer, is left out: an ambiguous trailer must not make a run claim a commit.
 */
export function parseTrailers(message: string): RegistrarTrailers {
  const paragraphs = message.replace(/\r\n/g, '\n').trimEnd().split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return {};
  const block = paragraphs[paragraphs.length - 1] ?? '';
  const values = new Map<string, string[]>();
  for (const line of block.split('\n')) {
    const match = TRAILER_LINE.exec(line);
    if (!match) return {};
    const [, key = '', value = ''] = match;
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  const count = (key: string): number | undefined => {
    const found = values.get(key);
    if (found === undefined || found.length !== 1) return undefined;
    const [value = ''] = found;
    if (!COUNT.test(value)) return undefined;
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const trailers: RegistrarTrailers = {};
  const issue = count(TRAILER_ISSUE);
  const runValues = values.get(TRAILER_RUN);
  const run = runValues?.length === 1 && RUN.test(runValues[0] ?? '') ? runValues[0] : undefined;
  const attempt = count(TRAILER_ATTEMPT);
  if (issue !== undefined) trailers.issue = issue;
  if (run !== undefined) trailers.run = run;
  if (attempt !== undefined) trailers.attempt = attempt;
  return trailers;
}
