// The REST operations the emulator implements, keyed by OpenAPI operationId, answering as GitHub does.
import type { Comment, Issue, ReactionContent, Repository, Team, User } from './model.js';
import { timestamp } from './model.js';
import {
  commentJson,
  contentJson,
  errorJson,
  gitBlobJson,
  gitCommitJson,
  gitRefJson,
  gitTagJson,
  gitTreeJson,
  issueJson,
  labelJson,
  reactionJson,
  repoApi,
  repositoryJson,
  teamMemberJson,
  teamMembershipJson,
  type Urls,
} from './payloads.js';

export interface RestWorld {
  urls: Urls;
  /** The identity writes are made as (the action's token). */
  actor: User;
  nextId(): number;
  /** A ref read by name (stale right after an update while the emulator's stale reads are on). */
  readRef(repo: Repository, fullName: string): Promise<{ sha: string; type: string } | undefined>;
  /** A client-named revision → commit SHA: exact for a SHA, possibly stale for a branch name. */
  resolveRead(repo: Repository, rev: string): Promise<string | undefined>;
  /** This request is answered as a read replica one update behind would (`x-emulator-replica-lag: 1`). */
  replicaLag: boolean;
  /** Whether this request's replica lacks the commit `sha` (always false without replica lag). */
  replicaLacks(repo: Repository, sha: string): Promise<boolean>;
  /** Recursive tree listings longer than this are cut to it and marked `truncated` (GitHub: 100,000 entries / 7 MB). */
  treeTruncationLimit: number | undefined;
  /** The team `org/slug` (case-insensitive), or undefined. */
  team(org: string, slug: string): Team | undefined;
  /** Whether a token may read organisation data such as team memberships (GITHUB_TOKEN may not). */
  canReadOrgs(token: string | undefined): boolean;
  /** The status every team-membership check and team member listing answers while failTeamChecks is set. */
  teamFailure: number | undefined;
}

/** A request to a route outside any repository (`/orgs/…`). */
export interface OrgRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  accept: string;
  /** The credential of the Authorization header. */
  token: string | undefined;
}

export interface RestRequest extends OrgRequest {
  repo: Repository;
}

export interface RestReply {
  status: number;
  /** A JSON body. */
  body?: unknown;
  /** Bytes sent as they are (raw media types); not checked against the description. */
  raw?: { bytes: Buffer; contentType: string };
  headers?: Record<string, string>;
  /** A failure a test asked for: its status is one GitHub sends although the description may not list it. */
  injected?: boolean;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const notFound = () => new HttpError(404, 'Not Found');

function validationFailed(resource: string, field: string, code = 'invalid'): HttpError {
  return new HttpError(422, 'Validation Failed', { errors: [{ resource, field, code }] });
}

/**
 * Comment and issue bodies longer than this many characters are refused. GitHub's 422 names this number
 * ("maximum is 65536 characters": danger/danger#424, reg-viz/reg-actions#123, peter-evans/create-issue-from-file#1705).
 * One public measurement (2026-09) found ASCII comments accepted up to 262,144 bytes, i.e. the cap may be
 * 65,536 four-byte characters; the emulator holds clients to the documented number, which is never looser:
 * 65,536 code points are at most 262,144 bytes of UTF-8. Characters are counted as code points (Ruby's length).
 */
export const BODY_LIMIT = 65_536;

/** Issue titles longer than this are refused ("title is too long (maximum is 256 characters)"). */
export const TITLE_LIMIT = 256;

/**
 * The contents API inlines files up to 1 MB; larger ones (up to 100 MB) answer `content: ""` and
 * `encoding: "none"` unless the raw media type is asked for (the operation's description in GitHub's OpenAPI;
 * github.blog changelog 2022-05-03). Whether "1 MB" is 10^6 or 2^20 bytes is not documented: 2^20 here.
 */
export const CONTENTS_INLINE_LIMIT = 1024 * 1024;

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** GitHub's 422 for an issue comment body over the limit, as observed on create (2021–2024 reports). */
function commentTooLong(operation: 'create' | 'update'): HttpError {
  return new HttpError(422, 'Validation Failed', {
    errors: [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: `Body is too long (maximum is ${BODY_LIMIT} characters)` }],
    documentation_url: `https://docs.github.com/rest/issues/comments#${operation}-an-issue-comment`,
  });
}

/** GitHub's 422 for an issue's own title or body over its limit (resource `Issue`, code `custom`). */
function issueFieldTooLong(field: 'title' | 'body', limit: number): HttpError {
  return new HttpError(422, 'Validation Failed', {
    errors: [{ resource: 'Issue', code: 'custom', field, message: `${field} is too long (maximum is ${limit} characters)` }],
    documentation_url: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  });
}

/** `application/vnd.github.raw`, `…raw+json` and the older `…v3.raw` ask for a file's bytes as they are. */
function wantsRaw(accept: string): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/.test(accept);
}

type Handler = (world: RestWorld, request: RestRequest) => Promise<RestReply>;
type OrgHandler = (world: RestWorld, request: OrgRequest) => Promise<RestReply>;

/** The bodies GitHub answers with when it fails (or refuses) a request. */
const FAILURE_MESSAGES: Record<number, string> = {
  403: 'Resource not accessible by integration',
  429: 'API rate limit exceeded',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn\'t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

function injectedFailure(status: number): RestReply {
  return { status, body: errorJson(status, FAILURE_MESSAGES[status] ?? 'Error'), injected: true };
}

/** What a client may name a tree by: a tree, commit or tag SHA, a branch or a tag name → the tree's SHA. */
async function treeOf(world: RestWorld, repo: Repository, rev: string): Promise<string | undefined> {
  if (/^[0-9a-f]{40}$/.test(rev)) {
    const tree = await repo.git.peelToTree(rev);
    if (tree) return tree;
  }
  const commit = await world.resolveRead(repo, rev);
  return commit ? (await repo.git.parseCommit(commit)).tree : undefined;
}

function findIssue(repo: Repository, raw: string | undefined): Issue {
  const issue = repo.issues.find((i) => String(i.number) === raw);
  if (!issue) throw notFound();
  return issue;
}

function findComment(repo: Repository, raw: string | undefined): { issue: Issue; comment: Comment } {
  for (const issue of repo.issues) {
    const comment = issue.comments.find((c) => String(c.id) === raw);
    if (comment) return { issue, comment };
  }
  throw notFound();
}

function body(request: RestRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null && !Array.isArray(request.body)
    ? (request.body as Record<string, unknown>)
    : {};
}

/** One page of a list, with the `Link` header GitHub sends (Octokit's paginate follows rel="next"). */
function page<T>(world: RestWorld, request: OrgRequest, path: string, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page') ?? 30) || 30));
  const current = Math.max(1, Number(request.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number) => {
    const query = new URLSearchParams(request.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${world.urls.api}${path}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (current > 1) links.push(`${link(current - 1)}; rel="prev"`);
  if (current < last) links.push(`${link(current + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (current > 1) links.push(`${link(1)}; rel="first"`);
  return {
    items: items.slice((current - 1) * perPage, current * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function labelNames(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [];
  return list
    .map((item) => (typeof item === 'string' ? item : typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined))
    .filter((name): name is string => typeof name === 'string' && name.length > 0);
}

function labelIds(world: RestWorld, repo: Repository, names: string[]): void {
  for (const name of names) if (!repo.labelIds.has(name)) repo.labelIds.set(name, world.nextId());
}

function react(world: RestWorld, reactions: Comment['reactions'], request: RestRequest): RestReply {
  const content = body(request)['content'] as ReactionContent;
  if (!['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'].includes(content)) {
    throw validationFailed('Reaction', 'content');
  }
  const existing = reactions.find((r) => r.content === content && r.user.id === world.actor.id);
  if (existing) return { status: 200, body: reactionJson(world.urls, existing) };
  const reaction = { id: world.nextId(), content, user: world.actor, created_at: timestamp() };
  reactions.push(reaction);
  return { status: 201, body: reactionJson(world.urls, reaction) };
}

function listReactions(world: RestWorld, request: RestRequest, path: string, reactions: Comment['reactions']): RestReply {
  const content = request.query.get('content');
  const { items, headers } = page(world, request, path, reactions.filter((r) => !content || r.content === content));
  return { status: 200, body: items.map((r) => reactionJson(world.urls, r)), headers };
}

export const handlers: Record<string, Handler> = {
  'repos/get': async (world, { repo }) => ({ status: 200, body: repositoryJson(world.urls, repo) }),

  'git/get-ref': async (world, { repo, params }) => {
    const name = `refs/${params['ref'] ?? ''}`;
    const found = await world.readRef(repo, name);
    if (!found) throw notFound();
    return { status: 200, body: gitRefJson(world.urls, repo, name, { type: found.type, sha: found.sha }) };
  },

  // Every ref whose name starts with `refs/<ref>` (a partial name matches too), each read by name; none → [].
  'git/list-matching-refs': async (world, { repo, params }) => {
    const refs = await repo.git.listRefs(`refs/${params['ref'] ?? ''}`);
    const answered = await Promise.all(refs.map(async (ref) => ({ name: ref.name, found: await world.readRef(repo, ref.name) })));
    return {
      status: 200,
      body: answered.flatMap(({ name, found }) => (found ? [gitRefJson(world.urls, repo, name, { type: found.type, sha: found.sha })] : [])),
    };
  },

  // Base64 (wrapped like the contents API), or the bytes themselves for the raw media type; up to 100 MB on GitHub.
  'git/get-blob': async (world, { repo, params, accept }) => {
    const sha = params['file_sha'] ?? '';
    if ((await repo.git.objectType(sha)) !== 'blob') throw notFound();
    const bytes = await repo.git.run(['cat-file', 'blob', sha]);
    if (wantsRaw(accept)) return { status: 200, raw: { bytes, contentType: 'application/vnd.github.raw; charset=utf-8' } };
    return { status: 200, body: gitBlobJson(world.urls, repo, sha, bytes) };
  },

  'git/get-tag': async (world, { repo, params }) => {
    const sha = params['tag_sha'] ?? '';
    if ((await repo.git.objectType(sha)) !== 'tag') throw notFound();
    return { status: 200, body: gitTagJson(world.urls, repo, sha, await repo.git.parseTag(sha)) };
  },

  'git/get-commit': async (world, { repo, params }) => {
    const sha = params['commit_sha'] ?? '';
    if ((await repo.git.objectType(sha)) !== 'commit' || (await world.replicaLacks(repo, sha))) throw notFound();
    return { status: 200, body: gitCommitJson(world.urls, repo, sha, await repo.git.parseCommit(sha)) };
  },

  'git/get-tree': async (world, { repo, params, query }) => {
    const rev = params['tree_sha'] ?? '';
    if (await world.replicaLacks(repo, rev)) throw notFound();
    const tree = await treeOf(world, repo, rev);
    if (!tree) throw notFound();
    // Any value, `0` and `false` included, asks for the recursive listing.
    const recursive = query.has('recursive');
    let entries = await repo.git.lsTreeDetailed(tree, recursive);
    const limit = world.treeTruncationLimit;
    const truncated = recursive && limit !== undefined && entries.length > limit;
    if (truncated) entries = entries.slice(0, limit);
    return { status: 200, body: gitTreeJson(world.urls, repo, tree, entries, truncated) };
  },

  'repos/get-content': async (world, { repo, params, query, accept }) => {
    const ref = query.get('ref') ?? repo.defaultBranch;
    const commit = await world.resolveRead(repo, ref);
    if (!commit) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const path = (params['path'] ?? '').replace(/^\/+|\/+$/g, '');
    const entry = await repo.git.entryAt(commit, path);
    if (!entry) throw notFound();
    if (entry.type === 'tree') {
      const children = await repo.git.lsTree(entry.sha);
      const listing = await Promise.all(
        children.map(async (child) => {
          const size = child.type === 'blob' ? Number((await repo.git.text(['cat-file', '-s', child.sha])).trim()) : 0;
          return contentJson(world.urls, repo, path ? `${path}/${child.name}` : child.name, ref, commit, child, size);
        }),
      );
      return { status: 200, body: listing };
    }
    if (entry.type !== 'blob') throw notFound();
    const size = await repo.git.blobSize(entry.sha);
    if (!wantsRaw(accept) && size > CONTENTS_INLINE_LIMIT && entry.mode !== '120000') {
      // Read the size only: a large file's bytes are not part of this answer.
      return { status: 200, body: { ...contentJson(world.urls, repo, path, ref, commit, entry, size), content: '', encoding: 'none' } };
    }
    const bytes = await repo.git.run(['cat-file', 'blob', entry.sha]);
    if (wantsRaw(accept)) return { status: 200, raw: { bytes, contentType: 'application/vnd.github.raw; charset=utf-8' } };
    return { status: 200, body: contentJson(world.urls, repo, path, ref, commit, entry, bytes.length, bytes) };
  },

  'repos/download-tarball-archive': async (world, { repo, params }) => {
    const ref = params['ref'] ?? '';
    const commit = await world.resolveRead(repo, ref);
    if (!commit) throw notFound();
    const location = `${world.urls.api}/_codeload/${repo.owner.login}/${repo.name}/legacy.tar.gz/${commit}`;
    return { status: 302, headers: { location } };
  },

  'issues/get': async (world, { repo, params }) => ({
    status: 200,
    body: issueJson(world.urls, repo, findIssue(repo, params['issue_number'])),
  }),

  'issues/update': async (world, request) => {
    const { repo, params } = request;
    const issue = findIssue(repo, params['issue_number']);
    const changes = body(request);
    if (typeof changes['title'] === 'string' && codePoints(changes['title']) > TITLE_LIMIT) throw issueFieldTooLong('title', TITLE_LIMIT);
    if (typeof changes['body'] === 'string' && codePoints(changes['body']) > BODY_LIMIT) throw issueFieldTooLong('body', BODY_LIMIT);
    const now = timestamp();
    if (typeof changes['title'] === 'string') issue.title = changes['title'];
    if (typeof changes['body'] === 'string' || changes['body'] === null) issue.body = changes['body'] as string | null;
    if ('labels' in changes) {
      issue.labels = [...new Set(labelNames(changes['labels']))];
      labelIds(world, repo, issue.labels);
    }
    const reason = changes['state_reason'] as Issue['state_reason'] | undefined;
    if (changes['state'] !== undefined) {
      if (changes['state'] !== 'open' && changes['state'] !== 'closed') throw validationFailed('Issue', 'state');
      if (changes['state'] === 'closed' && issue.state !== 'closed') {
        issue.state = 'closed';
        issue.closed_at = now;
        issue.closed_by = world.actor;
        issue.state_reason = reason ?? 'completed';
      } else if (changes['state'] === 'open' && issue.state !== 'open') {
        issue.state = 'open';
        issue.closed_at = null;
        issue.state_reason = 'reopened';
      } else if (reason !== undefined) issue.state_reason = reason;
    } else if (reason !== undefined && issue.state === 'closed') issue.state_reason = reason;
    issue.updated_at = now;
    return { status: 200, body: issueJson(world.urls, repo, issue) };
  },

  'issues/list-comments': async (world, request) => {
    const { repo, params, query } = request;
    const issue = findIssue(repo, params['issue_number']);
    const since = query.get('since');
    // A replica one write behind has not seen the issue's newest comment yet.
    const visible = world.replicaLag ? issue.comments.slice(0, -1) : issue.comments;
    const comments = visible.filter((c) => !since || c.updated_at >= since);
    const path = `/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/comments`;
    const { items, headers } = page(world, request, path, comments);
    return { status: 200, body: items.map((c) => commentJson(world.urls, repo, c)), headers };
  },

  'issues/create-comment': async (world, request) => {
    const { repo, params } = request;
    const issue = findIssue(repo, params['issue_number']);
    const text = body(request)['body'];
    if (typeof text !== 'string') throw validationFailed('IssueComment', 'body', 'missing_field');
    if (codePoints(text) > BODY_LIMIT) throw commentTooLong('create');
    const now = timestamp();
    const comment: Comment = {
      id: world.nextId(),
      issueNumber: issue.number,
      body: text,
      user: world.actor,
      created_at: now,
      updated_at: now,
      reactions: [],
    };
    issue.comments.push(comment);
    issue.updated_at = now;
    const json = commentJson(world.urls, repo, comment);
    return { status: 201, body: json, headers: { location: json.url } };
  },

  'issues/get-comment': async (world, { repo, params }) => ({
    status: 200,
    body: commentJson(world.urls, repo, findComment(repo, params['comment_id']).comment),
  }),

  'issues/update-comment': async (world, request) => {
    const { comment } = findComment(request.repo, request.params['comment_id']);
    const text = body(request)['body'];
    if (typeof text !== 'string') throw validationFailed('IssueComment', 'body', 'missing_field');
    if (codePoints(text) > BODY_LIMIT) throw commentTooLong('update');
    comment.body = text;
    comment.updated_at = timestamp();
    return { status: 200, body: commentJson(world.urls, request.repo, comment) };
  },

  'issues/add-labels': async (world, request) => {
    const { repo, params } = request;
    const issue = findIssue(repo, params['issue_number']);
    const given = Array.isArray(request.body) ? request.body : body(request)['labels'];
    const names = labelNames(given);
    if (names.length === 0) throw validationFailed('Label', 'labels', 'missing_field');
    labelIds(world, repo, names);
    issue.labels = [...new Set([...issue.labels, ...names])];
    issue.updated_at = timestamp();
    return { status: 200, body: issue.labels.map((name) => labelJson(world.urls, repo, name)) };
  },

  // Labels of the repository, as Registrar's state labels use them: a label name is unique case-insensitively
  // (creating a taken one is 422 `already_exists`), the colour is six hex digits without `#`, and taking off a
  // label the issue does not carry is 404 "Label does not exist".
  'issues/create-label': async (world, request) => {
    const { repo } = request;
    const { name, color, description } = body(request);
    if (typeof name !== 'string' || name === '') throw validationFailed('Label', 'name', 'missing_field');
    if (color !== undefined && (typeof color !== 'string' || !/^[0-9a-fA-F]{6}$/.test(color))) throw validationFailed('Label', 'color');
    if (description !== undefined && description !== null && (typeof description !== 'string' || description.length > 100)) {
      throw validationFailed('Label', 'description');
    }
    if ([...repo.labelIds.keys()].some((taken) => taken.toLowerCase() === name.toLowerCase())) {
      throw validationFailed('Label', 'name', 'already_exists');
    }
    labelIds(world, repo, [name]);
    repo.labelDetails.set(name, { color: typeof color === 'string' ? color.toLowerCase() : 'ededed',
      description: typeof description === 'string' ? description : null });
    return { status: 201, body: labelJson(world.urls, repo, name), headers: { location: `${repoApi(world.urls, repo)}/labels/${encodeURIComponent(name)}` } };
  },

  'issues/remove-label': async (world, request) => {
    const { repo, params } = request;
    const issue = findIssue(repo, params['issue_number']);
    const name = params['name'] ?? '';
    const on = issue.labels.find((l) => l.toLowerCase() === name.toLowerCase());
    if (on === undefined) throw new HttpError(404, 'Label does not exist');
    issue.labels = issue.labels.filter((l) => l !== on);
    issue.updated_at = timestamp();
    return { status: 200, body: issue.labels.map((l) => labelJson(world.urls, repo, l)) };
  },

  'issues/list-labels-on-issue': async (world, request) => {
    const { repo, params } = request;
    const issue = findIssue(repo, params['issue_number']);
    const { items, headers } = page(world, request, `/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/labels`, issue.labels);
    return { status: 200, body: items.map((name) => labelJson(world.urls, repo, name)), headers };
  },

  'reactions/create-for-issue': async (world, request) =>
    react(world, findIssue(request.repo, request.params['issue_number']).reactions, request),

  'reactions/create-for-issue-comment': async (world, request) =>
    react(world, findComment(request.repo, request.params['comment_id']).comment.reactions, request),

  'reactions/list-for-issue': async (world, request) => {
    const issue = findIssue(request.repo, request.params['issue_number']);
    const path = `${new URL(repoApi(world.urls, request.repo)).pathname}/issues/${issue.number}/reactions`;
    return listReactions(world, request, path, issue.reactions);
  },

  'reactions/list-for-issue-comment': async (world, request) => {
    const { comment } = findComment(request.repo, request.params['comment_id']);
    const path = `${new URL(repoApi(world.urls, request.repo)).pathname}/issues/comments/${comment.id}/reactions`;
    return listReactions(world, request, path, comment.reactions);
  },

  // ---- Issues opened and found by the API, and repository labels (the repair issue) ----

  // Labels that do not exist yet are created, as GitHub does for a caller with push access.
  'issues/create': async (world, request) => {
    const { repo } = request;
    const fields = body(request);
    const title = fields['title'];
    if (typeof title !== 'string' || title.trim() === '') throw validationFailed('Issue', 'title', 'missing_field');
    if (codePoints(title) > TITLE_LIMIT) throw issueFieldTooLong('title', TITLE_LIMIT);
    const text = typeof fields['body'] === 'string' ? fields['body'] : null;
    if (text !== null && codePoints(text) > BODY_LIMIT) throw issueFieldTooLong('body', BODY_LIMIT);
    const labels = [...new Set(labelNames(fields['labels']))];
    labelIds(world, repo, labels);
    const now = timestamp();
    const issue: Issue = {
      id: world.nextId(), number: repo.issues.length + 1, state: 'open', state_reason: null, title, body: text,
      user: world.actor, labels, comments: [], reactions: [], created_at: now, updated_at: now, closed_at: null, closed_by: null,
    };
    repo.issues.push(issue);
    const json = issueJson(world.urls, repo, issue);
    return { status: 201, body: json, headers: { location: json.url } };
  },

  // Filters as GitHub documents them: `state` (open by default, closed, all), `labels` (comma-separated, all must
  // be on the issue, names compared case-insensitively), `creator` (a login); newest first, paged.
  'issues/list-for-repo': async (world, request) => {
    const { repo, query } = request;
    const state = query.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) throw validationFailed('Issue', 'state');
    const wanted = (query.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
    const creator = query.get('creator')?.toLowerCase();
    const issues = repo.issues
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => wanted.every((l) => i.labels.some((name) => name.toLowerCase() === l)))
      .filter((i) => creator === undefined || i.user.login.toLowerCase() === creator)
      .sort((a, b) => b.number - a.number);
    const { items, headers } = page(world, request, `/repos/${repo.owner.login}/${repo.name}/issues`, issues);
    return { status: 200, body: items.map((i) => issueJson(world.urls, repo, i)), headers };
  },
};

/** Operations outside any repository. */
export const orgHandlers: Record<string, OrgHandler> = {
  'teams/get-membership-for-user-in-org': async (world, { params, token }) => {
    if (world.teamFailure !== undefined) return injectedFailure(world.teamFailure);
    // Without organisation read access GitHub does not reveal whether the team (or the membership) exists.
    if (!world.canReadOrgs(token)) throw notFound();
    const team = world.team(params['org'] ?? '', params['team_slug'] ?? '');
    // A login names whoever holds it now: a renamed member answers under the new login only.
    const username = (params['username'] ?? '').toLowerCase();
    const member = team && [...team.members.values()].find((m) => m.user.login.toLowerCase() === username);
    if (!team || !member) throw notFound();
    return { status: 200, body: teamMembershipJson(world.urls, team, member.user.login, member.role, member.state) };
  },

  // Active members only (a pending invitation is not a member yet), each as a user with their role; `role`
  // filters (member, maintainer, all); up to 100 per page. Like the membership check: 404 for a team the
  // token cannot see. (The emulator has no child teams, so `inherited` is always false.)
  'teams/list-members-in-org': async (world, request) => {
    const { params, query, token } = request;
    if (world.teamFailure !== undefined) return injectedFailure(world.teamFailure);
    if (!world.canReadOrgs(token)) throw notFound();
    const team = world.team(params['org'] ?? '', params['team_slug'] ?? '');
    if (!team) throw notFound();
    const role = query.get('role') ?? 'all';
    if (!['member', 'maintainer', 'all'].includes(role)) throw validationFailed('Team', 'role');
    const members = [...team.members.values()]
      .filter((m) => m.state === 'active' && (role === 'all' || m.role === role))
      .sort((a, b) => a.user.id - b.user.id);
    const { items, headers } = page(world, request, `/orgs/${team.org.login}/teams/${team.slug}/members`, members);
    return { status: 200, body: items.map((m) => teamMemberJson(world.urls, m.user, m.role)), headers };
  },
};

export function errorReply(error: HttpError): RestReply {
  return { status: error.status, body: errorJson(error.status, error.message, error.extra) };
}
