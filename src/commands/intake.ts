// Turns a GitHub event into the Command Registrar should run, or into a reason to do nothing.
import type { Ecosystem } from '../core/ecosystem.js';
import { hasHidden } from '../core/inert.js';
import { looksLikeIssueForm } from '../core/issue-form.js';
import { MARKER_PREFIX } from '../core/markers.js';
import { checkPackageName, checkVersion, quote } from '../core/names.js';
import { REQUEST_MAX_BYTES } from '../core/request.js';
import type { Actor } from '../core/types.js';


/** Where a command came from: who, when, and the comment that carried it (none for an opened issue). */
export interface Trigger {
  actor: Actor;
  at: string;
  commentId?: number;
}

/** What a `/rollback` is about: a version it names exactly, or the version this publish issue published. */
export type RollbackTarget = { kind: 'named'; name: string; version: string } | { kind: 'this-issue' };

export type Command =
  /** A publish request: the opened issue's body, or a corrected request commented on the issue. */
  | { kind: 'publish'; issue: number; issueAuthor: Actor; request: string; trigger: Trigger }
  /** `/retry`: publish the issue's newest request again, re-planned from scratch. */
  | { kind: 'retry'; issue: number; issueAuthor: Actor; issueBody: string; trigger: Trigger }
  /**
   * `/rollback name@version reason…` (or `/rollback reason…` on the version's own publish issue), by a
   * trustee. Everything comes from the trustee's own comment, never from text others can edit.
   */
  | { kind: 'rollback'; issue: number; issueAuthor: Actor; target: RollbackTarget; reason: string; trigger: Trigger }
  /**
   * A privileged command that does not parse exactly (rule 13): it is refused, never run with a guess.
   * `problem` says what is wrong, for people.
   */
  | { kind: 'malformed'; command: 'rollback'; issue: number; issueAuthor: Actor; problem: string; trigger: Trigger }
  /**
   * Any other `/word` at the start of a comment (`/help`, `/status`, `/dry-run`, or one Registrar does not know):
   * the command table decides what it is. `args` is the rest of its first line, untrusted.
   */
  | { kind: 'slash'; name: string; args: string; issue: number; issueAuthor: Actor; issueBody: string; trigger: Trigger }
  | { kind: 'ignore'; why: string };

interface EventUser { id?: unknown; login?: unknown; type?: unknown }
interface EventPayload {
  action?: unknown;
  issue?: { number?: unknown; body?: unknown; user?: EventUser; pull_request?: unknown; created_at?: unknown };
  comment?: { id?: unknown; body?: unknown; user?: EventUser; created_at?: unknown };
}

function actorOf(user: EventUser | undefined): Actor | undefined {
  if (!user || typeof user.id !== 'number' || typeof user.login !== 'string') return undefined;
  return { id: user.id, login: user.login };
}

/**
 * How much of a comment or issue body the parsers look at. A request is at most REQUEST_MAX_BYTES (the
 * request parser refuses a longer one with a message), so its start lies well inside this; a command
 * is the first line. Everything below runs on at most this many characters, before any pattern.
 */
export const SCAN_LIMIT = 2 * REQUEST_MAX_BYTES;

/** The longest first line read as a command; a `/rollback` reason longer than this is refused. */
export const COMMAND_LINE_LIMIT = 1_000;

/** Every line break a reader (or the runner) sees as one. */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/;

/**
 * A text holds a request when it is the rendered publish form (it starts with one of the form's `### ` fields),
 * when it starts with JSON (an object, or an array of objects — refused later with
 * a reason, but answered), or when its first fenced block (```` ``` ```` or `~~~`) is marked `json` or
 * starts with JSON. Prose, even prose with other code, never does. A scan of lines over at most
 * SCAN_LIMIT characters: no pattern backtracks over a stranger's text.
 */
export function holdsRequest(text: string): boolean {
  const scanned = text.slice(0, SCAN_LIMIT).trimStart();
  if (startsLikeJson(scanned) || looksLikeIssueForm(scanned)) return true;
  const lines = scanned.split(LINE_BREAK);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimStart();
    if (!line.startsWith('```') && !line.startsWith('~~~')) continue;
    const info = line.replace(/^(?:`+|~+)/, '').trim().toLowerCase();
    if (info === 'json' || info === 'jsonc') return true;
    let next = i + 1;
    while (next < lines.length && (lines[next] ?? '').trim() === '') next++;
    return startsLikeJson((lines[next] ?? '').trimStart());
  }
  return false;
}

const startsLikeJson = (text: string) => text.startsWith('{') || (text.startsWith('[') && text.slice(1).trimStart().startsWith('{'));

/**
 * A slash command counts only at the very start of a comment: `/name` (letters and `-`, as written),
 * then a space or tab and its arguments on the same line, or the end of the line. Only the first line
 * is read, at most COMMAND_LINE_LIMIT characters (`tooLong` says the line went on).
 */
export function slashCommand(text: string): { name: string; args: string; tooLong: boolean } | undefined {
  const start = text.slice(0, SCAN_LIMIT).trimStart();
  if (!start.startsWith('/')) return undefined;
  const lineEnd = start.search(LINE_BREAK);
  const line = lineEnd < 0 ? start : start.slice(0, lineEnd);
  const head = line.slice(0, COMMAND_LINE_LIMIT);
  const match = /^\/([A-Za-z][A-Za-z-]{0,31})(?=[ \t]|$)/.exec(head);
  if (!match) return undefined;
  return { name: match[1] ?? '', args: head.slice(match[0].length).trim(), tooLong: line.length > COMMAND_LINE_LIMIT };
}

/** Characters that look like `@` (fullwidth, small, and others people paste): a target typed with one is still a target. */
const AT_LOOKALIKES = /[\uff20\ufe6b\u0040]/u;

/** A `name@version`-like token anywhere: an `@` (or a look-alike) followed by a version's first digit. */
const TARGET_IN_TEXT = /[@\uff20\ufe6b][vV]?\d/u;

/** A word that looks like a version number (`1.0.0`, `v1.2`, `1.0.0-rc1`): a target was meant. */
const VERSION_LIKE = /^[vV]?\d+(?:\.\d+)+(?:[-+].*)?$/;

/**
 * Reads `/rollback`'s arguments (rule 13): `name@version reason…`, or `reason…` alone on the version's
 * own publish issue. A first word that looks like a target but does not parse exactly — a typo, an
 * invisible character copied from a rendered comment, a look-alike `＠`, a name with a homoglyph, a
 * two-part version — is refused with what is wrong; it never falls back to this issue's version with
 * the whole text as the reason. A reason is required. The target is split at its `@` (a scoped npm name
 * begins with one of its own: `@scope/name@1.0.0`), and both parts follow the registry's ecosystem.
 */
export function parseRollback(args: string, ecosystem?: Ecosystem): { ok: true; target: RollbackTarget; reason: string } | { ok: false; problem: string } {
  const USAGE = 'Write `/rollback name@version reason`, e.g. `/rollback left-pad@1.2.0 it ships a leaked credential`, '
    + 'or `/rollback reason` on the version\'s own publish issue.';
  if (args === '') return { ok: false, problem: `A rollback needs a reason. ${USAGE}` };
  // Words are split at ASCII spaces and tabs only: any other space inside the first word (no-break, ideographic,
  // a byte order mark) keeps it one word, and so a refused target, instead of splitting it into a "reason".
  const [first = '', ...rest] = args.split(/[ \t]+/);
  const reason = rest.join(' ').trim();
  // A character the reader cannot see for what it is (invisible, a space that is not one, a control) means the
  // first word is not what it looks like: the same set inert() shows as escapes.
  const hidden = hasHidden(first);
  const looksLikeTarget = AT_LOOKALIKES.test(first) || hidden || VERSION_LIKE.test(first) || VERSION_LIKE.test(rest[0] ?? '');
  if (!looksLikeTarget) {
    // A bare rollback whose reason names a `name@version` is ambiguous: which one did the trustee mean?
    const named = TARGET_IN_TEXT.exec(args);
    if (named) {
      const word = args.slice(args.lastIndexOf(' ', named.index) + 1).split(' ', 1)[0] ?? '';
      return { ok: false, problem: `The reason names a version (${quote(word)}) but the command does not start with it, so it is unclear which version to roll back. Nothing was changed. ${USAGE}` };
    }
    return { ok: true, target: { kind: 'this-issue' }, reason: args };
  }

  const shown = quote(first);
  if (hidden) {
    return { ok: false, problem: `The target ${shown} contains an invisible character or an unusual space (shown as \\u{…}), so it is not what it looks like; type it again rather than copying it. Nothing was changed. ${USAGE}` };
  }
  // A scoped npm name begins with an `@` of its own (`@scope/name@1.0.0`); no name holds one anywhere else.
  const at = first.indexOf('@', first.startsWith('@') && first.includes('/') ? 1 : 0);
  if (at < 0) {
    return { ok: false, problem: `The target ${shown} is not \`name@version\` (the \`@\` is missing or is a look-alike character). Nothing was changed. ${USAGE}` };
  }
  const name = first.slice(0, at);
  const version = first.slice(at + 1);
  const problem = (ecosystem?.checkName ?? checkPackageName)(name) ?? (ecosystem?.checkVersion ?? checkVersion)(version);
  if (problem !== undefined) return { ok: false, problem: `The target ${shown} does not name a version exactly: ${problem}. Nothing was changed. ${USAGE}` };
  if (reason === '') return { ok: false, problem: `A rollback of ${quote(`${name}@${version}`)} needs a reason after the target. Nothing was changed. ${USAGE}` };
  return { ok: true, target: { kind: 'named', name, version }, reason };
}

/** `ecosystem`: the registry's, whose names and versions a `/rollback` target must be (default: today's rules). */
export function intake(eventName: string, payload: unknown, ecosystem?: Ecosystem): Command {
  const event = (payload ?? {}) as EventPayload;
  const issue = event.issue;
  if (!issue || typeof issue.number !== 'number') return { kind: 'ignore', why: `a ${eventName} event without an issue` };
  if (issue.pull_request) return { kind: 'ignore', why: 'an event on a pull request' };
  const issueAuthor = actorOf(issue.user);
  if (!issueAuthor) return { kind: 'ignore', why: 'an issue without an author' };
  const issueBody = typeof issue.body === 'string' ? issue.body : '';

  if (eventName === 'issues') {
    if (event.action !== 'opened') return { kind: 'ignore', why: `issues.${String(event.action)} (only opened issues are requests)` };
    if (issue.user?.type === 'Bot') return { kind: 'ignore', why: 'an issue opened by a bot' };
    if (issueBody.includes(MARKER_PREFIX)) return { kind: 'ignore', why: "an issue carrying Registrar's own marker" };
    // An ordinary issue (a bug report, a question) is no request: it is left to people, and the run succeeds.
    if (!holdsRequest(issueBody)) return { kind: 'ignore', why: 'an issue that holds no publish request (no JSON object, bare or in a code block)' };
    return { kind: 'publish', issue: issue.number, issueAuthor, request: issueBody,
      trigger: { actor: issueAuthor, at: String(issue.created_at ?? '') } };
  }

  if (eventName === 'issue_comment') {
    // An edited comment never starts a run: an old comment edited into a command must do nothing.
    if (event.action !== 'created') return { kind: 'ignore', why: `issue_comment.${String(event.action)} (only new comments are commands)` };
    const comment = event.comment;
    const actor = actorOf(comment?.user);
    if (!comment || typeof comment.id !== 'number' || !actor) return { kind: 'ignore', why: 'a comment without an author' };
    if (comment.user?.type === 'Bot') return { kind: 'ignore', why: 'a comment by a bot' };
    const body = typeof comment.body === 'string' ? comment.body : '';
    if (body.includes(MARKER_PREFIX)) return { kind: 'ignore', why: "a comment carrying Registrar's own marker" };
    const trigger: Trigger = { actor, at: String(comment.created_at ?? ''), commentId: comment.id };
    const command = slashCommand(body);
    if (command?.name === 'retry') return { kind: 'retry', issue: issue.number, issueAuthor, issueBody, trigger };
    if (command && command.name !== 'rollback' && command.name.toLowerCase() === 'rollback') {
      // A privileged command is typed exactly, like its target: `/ROLLBACK` is refused, not guessed at.
      return { kind: 'malformed', command: 'rollback', issue: issue.number, issueAuthor, trigger,
        problem: `Commands are lowercase: write \`/rollback\`, not ${quote(`/${command.name}`)}. Nothing was changed.` };
    }
    if (command?.name === 'rollback') {
      const parsed = command.tooLong
        ? { ok: false as const, problem: `The \`/rollback\` line is longer than ${COMMAND_LINE_LIMIT} characters; give a shorter reason. Nothing was changed.` }
        : parseRollback(command.args, ecosystem);
      return parsed.ok
        ? { kind: 'rollback', issue: issue.number, issueAuthor, target: parsed.target, reason: parsed.reason, trigger }
        : { kind: 'malformed', command: 'rollback', issue: issue.number, issueAuthor, problem: parsed.problem, trigger };
    }
    if (command) return { kind: 'slash', name: command.name, args: command.args, issue: issue.number, issueAuthor, issueBody, trigger };
    if (holdsRequest(body)) return { kind: 'publish', issue: issue.number, issueAuthor, request: body, trigger };
    return { kind: 'ignore', why: 'a comment that is neither a command nor a request' };
  }
  return { kind: 'ignore', why: `a ${eventName} event (Registrar acts on issues.opened and issue_comment.created)` };
}
