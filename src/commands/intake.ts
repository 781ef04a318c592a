// Turns a GitHub event into the Command Registrar should run, or into a reason to do nothing.
import { MARKER_PREFIX } from '../core/markers.js';
import type { Actor } from '../core/types.js';


/** Where a command came from: who, when, and the comment that carried it (none for an opened issue). */
export interface Trigger {
  actor: Actor;
  at: string;
  commentId?: number;
}

export type Command =
  /** A publish request: the opened issue's body, or a corrected request commented on the issue. */
  | { kind: 'publish'; issue: number; issueAuthor: Actor; request: string; trigger: Trigger }
  /** `/retry`: publish the issue's newest request again, re-planned from scratch. */
  | { kind: 'retry'; issue: number; issueAuthor: Actor; issueBody: string; trigger: Trigger }
  /**
   * `/rollback [name@version] reason…` by a trustee. Without a target, the version this publish issue
   * is about. Everything comes from the trustee's own comment, never from text others can edit.
   */
  | { kind: 'rollback'; issue: number; issueAuthor: Actor; target: { name: string; version: string } | undefined; reason: string; trigger: Trigger }
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

/** A comment holds a request when it is a JSON object, bare or in a fenced block; prose never does. */
export function holdsRequest(text: string): boolean {
  return /^\s*\{/.test(text) || /^\s*```(?:json)?[ \t]*\r?\n\s*\{/m.test(text);
}

/** Slash commands count only at the very start of a comment, as `/name` followed by space or the end. */
export function slashCommand(text: string): { name: string; args: string } | undefined {
  const match = /^\/([a-z][a-z-]*)(?:[ \t]+([^\r\n]*))?(?:\r?\n|$)/.exec(text.trimStart());
  return match ? { name: match[1] ?? '', args: (match[2] ?? '').trim() } : undefined;
}

export function intake(eventName: string, payload: unknown): Command {
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
    if (command?.name === 'rollback') {
      const [first = '', ...rest] = command.args.split(/\s+/);
      const target = /^([a-z0-9][a-z0-9-]*)@(\d+\.\d+\.\d+)$/.exec(first);
      const reason = (target ? rest.join(' ') : command.args).trim();
      return { kind: 'rollback', issue: issue.number, issueAuthor, reason, trigger,
        target: target ? { name: target[1] ?? '', version: target[2] ?? '' } : undefined };
    }
    if (command) return { kind: 'ignore', why: `an unknown command /${command.name}` };
    if (holdsRequest(body)) return { kind: 'publish', issue: issue.number, issueAuthor, request: body, trigger };
    return { kind: 'ignore', why: 'a comment that is neither a command nor a request' };
  }
  return { kind: 'ignore', why: `a ${eventName} event (Registrar acts on issues.opened and issue_comment.created)` };
}
