// Turns a GitHub event into the Command Registrar should run, or into a reason to do nothing.
import type { Actor } from '../core/types.js';

/** The hidden marker every comment Registrar writes carries, so its own words never start a run. */
export const MARKER_PREFIX = '<!-- registrar:';

export type Command =
  | { kind: 'publish'; issue: number; body: string; actor: Actor; at: string }
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

export function intake(eventName: string, payload: unknown): Command {
  const event = (payload ?? {}) as EventPayload;
  const issue = event.issue;
  if (!issue || typeof issue.number !== 'number') return { kind: 'ignore', why: `a ${eventName} event without an issue` };
  if (issue.pull_request) return { kind: 'ignore', why: 'an event on a pull request' };

  if (eventName === 'issues') {
    if (event.action !== 'opened') return { kind: 'ignore', why: `issues.${String(event.action)} (only opened issues are requests)` };
    if (issue.user?.type === 'Bot') return { kind: 'ignore', why: 'an issue opened by a bot' };
    const actor = actorOf(issue.user);
    if (!actor) return { kind: 'ignore', why: 'an issue without an author' };
    const body = typeof issue.body === 'string' ? issue.body : '';
    if (body.includes(MARKER_PREFIX)) return { kind: 'ignore', why: "an issue carrying Registrar's own marker" };
    return { kind: 'publish', issue: issue.number, body, actor, at: String(issue.created_at ?? '') };
  }
  return { kind: 'ignore', why: `a ${eventName} event (Registrar acts on issues.opened)` };
}
