// Event payloads for tests and the demo, made from GitHub's real recorded webhooks, not typed by hand.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface WebhookGroup { name: string; examples: Record<string, unknown>[] }
const examples = require('@octokit/webhooks-examples') as WebhookGroup[];

function example(name: string, action: string): Record<string, unknown> {
  const found = examples.find((g) => g.name === name)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${name}.${action} payload`);
  return structuredClone(found);
}

export interface EventUser { id: number; login: string; type?: 'User' | 'Bot' }
export interface EventRepository { owner: string; repo: string; id?: number }

function personalise(user: Record<string, unknown>, who: EventUser): Record<string, unknown> {
  return { ...user, id: who.id, login: who.login, type: who.type ?? 'User', node_id: `U_${who.id}`,
    url: `https://api.github.com/users/${who.login}`, html_url: `https://github.com/${who.login}` };
}

function repository(base: Record<string, unknown>, where: EventRepository): Record<string, unknown> {
  const owner = personalise(base.owner as Record<string, unknown>, { id: 1, login: where.owner, type: 'User' });
  return { ...base, id: where.id ?? 1, name: where.repo, full_name: `${where.owner}/${where.repo}`, owner };
}

function issue(base: Record<string, unknown>, args: { number: number; title: string; body: string; user: EventUser; createdAt?: string }) {
  return { ...base, number: args.number, title: args.title, body: args.body, user: personalise(base.user as Record<string, unknown>, args.user),
    state: 'open', created_at: args.createdAt ?? new Date().toISOString(), pull_request: undefined };
}

/** An `issues.opened` event, from the recorded payload with this issue's fields. */
export function issueOpened(args: { repository: EventRepository; number: number; title: string; body: string; user: EventUser }) {
  const payload = example('issues', 'opened');
  payload.issue = issue(payload.issue as Record<string, unknown>, args);
  payload.repository = repository(payload.repository as Record<string, unknown>, args.repository);
  payload.sender = personalise(payload.sender as Record<string, unknown>, args.user);
  return payload;
}

/** An `issue_comment.created` event, from the recorded payload. */
export function issueCommentCreated(args: { repository: EventRepository; issue: { number: number; title: string; body: string; user: EventUser };
  comment: { id: number; body: string; user: EventUser }; action?: 'created' | 'edited' }) {
  const payload = example('issue_comment', args.action ?? 'created');
  payload.issue = issue(payload.issue as Record<string, unknown>, args.issue);
  const comment = payload.comment as Record<string, unknown>;
  payload.comment = { ...comment, id: args.comment.id, body: args.comment.body, user: personalise(comment.user as Record<string, unknown>, args.comment.user),
    created_at: new Date().toISOString() };
  payload.repository = repository(payload.repository as Record<string, unknown>, args.repository);
  payload.sender = personalise(payload.sender as Record<string, unknown>, args.comment.user);
  return payload;
}
