// An in-process GitHub for tests: REST and GraphQL on 127.0.0.1, real git repositories, every exchange checked.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarball, type ArchiveVariant } from './archive.js';
import { EMPTY_TREE, GitRepo, ZERO_OID, type FileMode, type Identity, type PathChange } from './git.js';
import { answerGraphql, rootFieldsOf, type CommitOutcome, type GraphqlWorld } from './graphql.js';
import {
  type Comment,
  type Issue,
  type Repository,
  type Team,
  type TeamMembershipState,
  type TeamRole,
  type User,
  type UserType,
  type Visibility,
  noreplyEmail,
  timestamp,
} from './model.js';
import { checkRequest, checkResponse, matchRoute, warmUp } from './openapi.js';
import { errorJson, type Urls } from './payloads.js';
import { HttpError, errorReply, handlers, orgHandlers, type RestReply, type RestWorld } from './rest.js';

export type { Comment, Issue, Reaction, Repository, TeamMembershipState, TeamRole, User, Visibility } from './model.js';
export type { ArchiveVariant } from './archive.js';

export interface EmulatorOptions {
  /** Where bare repositories live, as `<root>/<owner>/<repo>.git`; default: a fresh temporary directory. */
  root?: string;
  /** Places single repositories elsewhere, keyed `owner/repo`. */
  repoPaths?: Record<string, string>;
  /** The identity the action's token acts as. */
  botUser?: { id: number; login: string; type?: UserType };
  /** See GitHubEmulator.setTreeTruncationLimit; default: no limit. */
  treeTruncationLimit?: number;
}

export interface RequestRecord {
  method: string;
  /** OpenAPI path template, `graphql:<root field>`, `codeload:…`, or `unknown:<path>`. */
  route: string;
  status: number;
  /** The OpenAPI operationId, or the GraphQL operation name. */
  operation?: string;
  /** Set when the request carried `x-emulator-replica-lag: 1` and was answered as a lagging replica would. */
  replicaLag?: true;
}

/**
 * A request carrying this header with the value `1` is answered as a read replica one update behind would
 * answer it: ref reads by name see each ref's previous value, reads by the SHA of a branch's newest commit
 * answer "not found", the comments listing lacks the newest comment (the notes above `replicaLacks` in the
 * emulator say where each behaviour comes from). It needs no switch and is independent of setStaleReads.
 */
export const REPLICA_LAG_HEADER = 'x-emulator-replica-lag';

export interface RequestMatcher {
  method: string;
  route: string;
}

export type FileSpec = string | Buffer | { content: string | Buffer; mode: FileMode } | null;

export interface CreateRepositoryOptions {
  owner: string;
  repo: string;
  id?: number;
  defaultBranch?: string;
  /** `true`: visibility `private`. Ignored when `visibility` is given. */
  private?: boolean;
  /** Default `public` (or `private` when `private` is true). Internal repositories answer `private: true`, as on GitHub. */
  visibility?: Visibility;
  initialFiles?: Record<string, string | Buffer>;
}

export interface GitHubEmulator {
  /** e.g. `http://127.0.0.1:41234`: Octokit's `baseUrl`. */
  readonly url: string;
  /** `<url>/graphql`. */
  readonly graphqlUrl: string;
  /** Holds the bare repositories as `<root>/<owner>/<repo>.git`. */
  readonly root: string;
  /** Every handled request, in the order answered. */
  readonly requests: RequestRecord[];
  /** Every departure from GitHub's OpenAPI description or GraphQL schema seen so far (tests may splice it). */
  readonly violations: string[];
  /** The identity the token acts as: author of comments, reactions, closes and GraphQL commits. */
  readonly botUser: User;
  /**
   * Declares the account that holds `login`. A login some earlier call used before declaring it (an implicit
   * user: issue author, team member, repository owner) becomes this account, keeping what it did.
   */
  addUser(user: { id: number; login: string; type?: UserType }): User;
  /**
   * Renames an account (GitHub: Settings → Account → Change username): same id, new login everywhere it
   * appears; the old login becomes free for someone else to take (addUser). Not for repository owners.
   */
  renameUser(login: string, newLogin: string): User;
  /** A bare repository whose default branch has one commit: `initialFiles`, or an empty tree "Initialize registry". */
  createRepository(options: CreateRepositoryOptions): Promise<Repository>;
  /** Changes a repository's visibility (GitHub: Settings → Danger Zone → Change visibility); `private` follows it. */
  setVisibility(owner: string, repo: string, visibility: Visibility): void;
  /** Keeps the id; the old name answers with GitHub's redirect to `/repositories/{id}`. */
  renameRepository(owner: string, repo: string, newOwner: string, newRepo: string): Promise<void>;
  /** One commit on `branch` (created from the default branch if missing); `null` deletes a path. Returns its SHA. */
  commitFiles(options: {
    owner: string;
    repo: string;
    branch: string;
    files: Record<string, FileSpec>;
    message: string;
    author?: Identity;
  }): Promise<string>;
  /** Creates `refs/tags/<name>`; returns what it points to (the tag object's SHA when annotated). */
  tag(options: { owner: string; repo: string; name: string; sha: string; annotated?: boolean; message?: string }): Promise<string>;
  /** Opens an issue (numbers count from 1 per repository); `user` is a User or a login (created on first use). */
  createIssue(options: { owner: string; repo: string; title: string; body: string; user: User | string }): Issue;
  /** A comment by someone other than the bot, as a person would write it in the web UI. */
  addComment(options: { owner: string; repo: string; issue: number; body: string; user: User | string }): Comment;
  /** The live issue state: state, state_reason, labels, comments (with reactions), reactions. */
  issue(owner: string, repo: string, number: number): Issue;
  repoPath(owner: string, repo: string): string;
  head(owner: string, repo: string, branch: string): Promise<string>;
  /**
   * Runs `fn` before the emulator handles each matching request (every time unless `times` is given);
   * `route` is the OpenAPI template or `graphql:<root field>`. Returns a function that removes the hook.
   */
  onRequest(matcher: RequestMatcher, fn: () => Promise<void> | void, options?: { times?: number }): () => void;
  /** Test-only: lets `mutate` change (or replace, by returning a value) the next matching response body. */
  corruptNextResponse(matcher: RequestMatcher, mutate: (body: any) => unknown): void;
  /** Serves archives with the same entries in a seeded order and/or with another mtime; undefined restores git's. */
  setArchiveVariant(variant: ArchiveVariant | undefined): void;
  /**
   * While enabled, reads by branch name lag like a GitHub replica right after a write: after each update of a
   * branch, the next read of it by name (`git/ref/heads/…`, contents with `ref=<branch>` or no ref, the tarball
   * by branch, `git/trees/<branch>`, GraphQL `ref`/`defaultBranchRef`/`object(expression:)`) answers as of the head before that update —
   * one stale read per update, so a client that re-reads converges. Reads by commit SHA are always exact.
   * Disabling forgets the pending stale reads.
   */
  setStaleReads(enabled: boolean): void;
  /**
   * A recursive `git/trees` listing with more than `limit` entries answers the first `limit` of them and
   * `truncated: true`, as GitHub does past 100,000 entries or 7 MB (a small limit lets tests reach a client's
   * fallback). `undefined`: never truncate.
   */
  setTreeTruncationLimit(limit: number | undefined): void;
  /**
   * Makes `login` a member of the organisation's team `team` (a slug), or changes the membership.
   * Defaults: role `member`, state `active` (`pending`: invited, not yet accepted).
   */
  addTeamMember(options: { org: string; team: string; login: string; role?: TeamRole; state?: TeamMembershipState }): void;
  /** Ends the membership; returns whether there was one. */
  removeTeamMember(options: { org: string; team: string; login: string }): boolean;
  /**
   * Lets `token` (the credential of the Authorization header) read organisation data, like an org-scoped
   * token: team memberships and member listings answer only such tokens; any other (the workflow's GITHUB_TOKEN) gets 404.
   */
  allowOrgReads(token: string): void;
  /**
   * While set, every team-membership check and team member listing answers this status with GitHub's error body (500: "Server
   * Error", 403: "Resource not accessible by integration", …); `undefined` restores normal answers.
   */
  failTeamChecks(status: number | undefined): void;
  /** Throws listing every violation seen since start. */
  assertClean(): void;
  /** `git fsck --strict` on every repository; throws on any failure. */
  fsck(): Promise<void>;
  close(): Promise<void>;
}

/** The request-log route of the archive download (`/_codeload/…`, where the tarball endpoint redirects). */
export const CODELOAD_ROUTE = 'codeload:/{owner}/{repo}/legacy.tar.gz/{sha}';

const DEFAULT_BOT = { id: 41898282, login: 'github-actions[bot]', type: 'Bot' as const };

interface Hook {
  matcher: RequestMatcher;
  fn: () => Promise<void> | void;
  remaining: number;
}

function matches(matcher: RequestMatcher, method: string, routes: string[]): boolean {
  return matcher.method.toUpperCase() === method.toUpperCase() && routes.includes(matcher.route);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

class Emulator implements GitHubEmulator {
  url = '';
  graphqlUrl = '';
  readonly requests: RequestRecord[] = [];
  readonly violations: string[] = [];
  readonly botUser: User;
  private readonly users = new Map<string, User>();
  /** Users created from a bare login before any addUser declared them (their ids are the emulator's own). */
  private readonly implicitUsers = new Set<User>();
  private readonly repos = new Map<string, Repository>();
  /** Old `owner/repo` names of renamed repositories → repository id, for GitHub's redirects. */
  private readonly renamed = new Map<string, number>();
  private hooks: Hook[] = [];
  private corruptions: Array<{ matcher: RequestMatcher; mutate: (body: any) => unknown }> = [];
  private variant: ArchiveVariant | undefined;
  private staleReads = false;
  /** `<repo id>:<refs/heads/…>` → heads before each update not yet read by name, oldest first (see setStaleReads). */
  private readonly lagging = new Map<string, string[]>();
  /** `<repo id>:<full ref name>` → the ref's value before its latest update: what a replica one update behind sees. */
  private readonly previousValues = new Map<string, string>();
  private treeLimit: number | undefined;
  /** `<org>/<slug>`, lower-cased → team. */
  private readonly teams = new Map<string, Team>();
  private readonly orgTokens = new Set<string>();
  private teamFailure: number | undefined;
  private ids = 1000;
  private server: Server | undefined;

  constructor(
    readonly root: string,
    private readonly repoPaths: Record<string, string>,
    bot: { id: number; login: string; type?: UserType },
  ) {
    this.botUser = this.addUser(bot);
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.violations.push(`emulator failure on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorJson(500, 'Server Error')));
      });
    });
    // Keep-alive sockets would hold close() open until they time out.
    this.server.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.graphqlUrl = `${this.url}/graphql`;
  }

  private get urls(): Urls {
    return { api: this.url, html: this.url };
  }

  nextId(): number {
    return ++this.ids;
  }

  // ---- setup, in-process ----

  addUser(user: { id: number; login: string; type?: UserType }): User {
    const existing = this.users.get(user.login.toLowerCase());
    if (existing && this.implicitUsers.has(existing)) {
      this.implicitUsers.delete(existing);
      const oldId = existing.id;
      Object.assign(existing, { id: user.id, login: user.login, type: user.type ?? 'User' });
      // Memberships are keyed by id: they follow the account to its declared id.
      for (const team of this.teams.values()) {
        const membership = team.members.get(oldId);
        if (membership) {
          team.members.delete(oldId);
          team.members.set(existing.id, membership);
        }
      }
      return existing;
    }
    const created: User = { id: user.id, login: user.login, type: user.type ?? 'User' };
    this.users.set(user.login.toLowerCase(), created);
    return created;
  }

  setVisibility(owner: string, repo: string, visibility: Visibility): void {
    const found = this.repository(owner, repo);
    found.visibility = visibility;
    found.private = visibility !== 'public';
  }

  renameUser(login: string, newLogin: string): User {
    const user = this.users.get(login.toLowerCase());
    if (!user) throw new Error(`no user ${login} in the emulator`);
    if (this.users.has(newLogin.toLowerCase())) throw new Error(`the login ${newLogin} is taken`);
    if ([...this.repos.values()].some((r) => r.owner === user)) throw new Error(`${login} owns repositories; renaming owners is not emulated`);
    this.users.delete(login.toLowerCase());
    user.login = newLogin;
    this.users.set(newLogin.toLowerCase(), user);
    return user;
  }

  private user(who: User | string): User {
    if (typeof who !== 'string') return this.users.get(who.login.toLowerCase()) ?? this.addUser(who);
    const known = this.users.get(who.toLowerCase());
    if (known) return known;
    const created = this.addUser({ id: this.nextId(), login: who });
    this.implicitUsers.add(created);
    return created;
  }

  private key(owner: string, repo: string): string {
    return `${owner}/${repo}`.toLowerCase();
  }

  private repository(owner: string, repo: string): Repository {
    const found = this.repos.get(this.key(owner, repo));
    if (!found) throw new Error(`no repository ${owner}/${repo} in the emulator`);
    return found;
  }

  repoPath(owner: string, repo: string): string {
    return this.repository(owner, repo).git.dir;
  }

  async createRepository(options: CreateRepositoryOptions): Promise<Repository> {
    const key = this.key(options.owner, options.repo);
    if (this.repos.has(key)) throw new Error(`repository ${options.owner}/${options.repo} already exists`);
    const dir = this.repoPaths[`${options.owner}/${options.repo}`] ?? join(this.root, options.owner, `${options.repo}.git`);
    const existing = await readdir(dir).catch(() => []);
    if (existing.length > 0) throw new Error(`${dir} already exists and is not empty`);
    await mkdir(dirname(dir), { recursive: true });
    const defaultBranch = options.defaultBranch ?? 'main';
    const owner = this.user(options.owner);
    const now = timestamp();
    const repo: Repository = {
      id: options.id ?? this.nextId(),
      owner,
      name: options.repo,
      defaultBranch,
      visibility: options.visibility ?? (options.private ? 'private' : 'public'),
      private: (options.visibility ?? (options.private ? 'private' : 'public')) !== 'public',
      git: await GitRepo.initBare(dir, defaultBranch),
      issues: [],
      labelIds: new Map(),
      labelDetails: new Map(),
      created_at: now,
      pushed_at: now,
    };
    this.repos.set(key, repo);
    this.renamed.delete(key);
    const who = { name: owner.login, email: noreplyEmail(owner) };
    const files = options.initialFiles;
    const tree = files && Object.keys(files).length > 0 ? await repo.git.updateTree(undefined, this.changes(files)) : EMPTY_TREE;
    if (tree === EMPTY_TREE) await repo.git.mktree([]);
    const sha = await repo.git.commitTree(tree, [], files ? 'Initial commit' : 'Initialize registry', who, who);
    await this.moveRef(repo, `refs/heads/${defaultBranch}`, sha, ZERO_OID);
    return repo;
  }

  async renameRepository(owner: string, repo: string, newOwner: string, newRepo: string): Promise<void> {
    const found = this.repository(owner, repo);
    const oldDefault = join(this.root, owner, `${repo}.git`);
    if (found.git.dir === oldDefault && !this.repoPaths[`${newOwner}/${newRepo}`]) {
      const target = join(this.root, newOwner, `${newRepo}.git`);
      await mkdir(dirname(target), { recursive: true });
      await rename(found.git.dir, target);
      found.git.dir = target;
    }
    this.repos.delete(this.key(owner, repo));
    found.owner = this.user(newOwner);
    found.name = newRepo;
    this.repos.set(this.key(newOwner, newRepo), found);
    this.renamed.set(this.key(owner, repo), found.id);
  }

  private changes(files: Record<string, FileSpec>): Map<string, PathChange> {
    const changes = new Map<string, PathChange>();
    for (const [path, spec] of Object.entries(files)) {
      if (spec === null) changes.set(path, null);
      else if (typeof spec === 'string' || Buffer.isBuffer(spec)) changes.set(path, { content: Buffer.from(spec), mode: '100644' });
      else changes.set(path, { content: Buffer.from(spec.content), mode: spec.mode });
    }
    return changes;
  }

  private async moveRef(repo: Repository, ref: string, sha: string, expected: string): Promise<boolean> {
    const moved = await repo.git.updateRef(ref, sha, expected);
    if (moved) repo.pushed_at = timestamp();
    // Ref history for replica-lag answers: one value back. A ref just created has none (a lagging read then
    // answers its current value rather than inventing a "no such ref").
    if (moved && expected !== ZERO_OID) this.previousValues.set(`${repo.id}:${ref}`, expected);
    else if (moved) this.previousValues.delete(`${repo.id}:${ref}`);
    // Every branch update funnels through here, so this is the one place that queues a stale read.
    if (moved && this.staleReads && ref.startsWith('refs/heads/') && expected !== ZERO_OID) {
      const key = `${repo.id}:${ref}`;
      this.lagging.set(key, [...(this.lagging.get(key) ?? []), expected]);
    }
    return moved;
  }

  /**
   * A ref read by name, as a client sees it: a branch answers its lagging head while a stale read is pending;
   * with `replicaLag`, any ref answers its value before its latest update (and the stale queue is left alone).
   */
  private async readRef(
    repo: Repository,
    fullName: string,
    replicaLag = false,
  ): Promise<{ sha: string; type: string; peeled: string | undefined } | undefined> {
    const found = await repo.git.ref(fullName);
    if (found && replicaLag) {
      const previous = this.previousValues.get(`${repo.id}:${fullName}`);
      if (previous === undefined) return found;
      const type = (await repo.git.objectType(previous)) ?? 'commit';
      return { sha: previous, type, peeled: type === 'tag' ? (await repo.git.parseTag(previous)).object : undefined };
    }
    if (!found || !fullName.startsWith('refs/heads/')) return found;
    const stale = this.lagging.get(`${repo.id}:${fullName}`)?.shift();
    return stale === undefined ? found : { sha: stale, type: 'commit', peeled: undefined };
  }

  /**
   * A revision a client named, resolved to a commit: exact for a SHA, possibly stale for a branch name. With
   * `replicaLag`, a branch name answers its previous head and a SHA the replica lacks resolves to nothing.
   */
  private async resolveRead(repo: Repository, rev: string, replicaLag = false): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(rev)) {
      // git's own order: a branch wins over a tag of the same name.
      const branch = await this.readRef(repo, rev.startsWith('refs/heads/') ? rev : `refs/heads/${rev}`, replicaLag);
      if (branch) return branch.sha;
    } else if (replicaLag && (await this.replicaLacks(repo, rev))) return undefined;
    return repo.git.resolveCommit(rev);
  }

  /*
   * Replica lag on request (`x-emulator-replica-lag: 1`): that one request is answered as a read replica one
   * update behind the primary would answer it. Where each behaviour comes from:
   * - Reads right after a write can be stale on github.com, and a read by SHA can answer
   *   `404 No commit found for the ref <sha>` while a replica lags (the project's TOOLCHAIN.md, "GitHub API
   *   facts" and "Learned on the landed code"). A replica one update behind has each ref's previous value and
   *   lacks the objects of the latest update, so:
   * - a ref read by name (REST git/ref, git/matching-refs; GraphQL ref(qualifiedName), defaultBranchRef,
   *   object(expression:) by branch name; contents / tarball by branch name or the default branch) answers the
   *   ref's value before its latest update, when it has one (a ref created by its only update answers as is);
   * - a read by the SHA of a commit that is the newest of a branch (and not some ref's previous value, which
   *   the replica has) answers as GitHub answers for a commit it does not hold: contents `?ref=<sha>` →
   *   404 "No commit found for the ref <sha>" (the message GitHub gives for an unknown ref there),
   *   git/commits/{sha} and git/trees/{sha} → 404 "Not Found" (GitHub's body for an unknown object on those
   *   routes), GraphQL object(oid:) → null without an error (what the schema's nullable field gives for an
   *   unknown oid; no public report of GitHub answering an error there was found);
   * - the issue comments listing omits the issue's newest comment (a replica one write behind).
   * Every other read answers normally. The emulator does not implement `repos/get-branch` or
   * `repos/get-commit` (GET commits/{ref}); for the latter GitHub answers an unknown SHA with
   * 422 "No commit found for SHA: <sha>", not 404.
   */

  /** Whether a replica one update behind lacks `sha`: it is the newest commit of a branch that has moved. */
  private async replicaLacks(repo: Repository, sha: string): Promise<boolean> {
    const heads = await repo.git.listRefs('refs/heads/');
    const previous = new Set(heads.map((h) => this.previousValues.get(`${repo.id}:${h.name}`)));
    if (previous.has(sha)) return false;
    return heads.some((h) => h.sha === sha && this.previousValues.has(`${repo.id}:${h.name}`));
  }

  async commitFiles(options: {
    owner: string;
    repo: string;
    branch: string;
    files: Record<string, FileSpec>;
    message: string;
    author?: Identity;
  }): Promise<string> {
    const repo = this.repository(options.owner, options.repo);
    const ref = `refs/heads/${options.branch}`;
    const current = (await repo.git.ref(ref))?.sha;
    // A new branch starts from the default branch, as one created in GitHub's UI does.
    const parent = current ?? (await repo.git.ref(`refs/heads/${repo.defaultBranch}`))?.sha;
    const baseTree = parent ? (await repo.git.parseCommit(parent)).tree : undefined;
    const tree = await repo.git.updateTree(baseTree, this.changes(options.files));
    const who = options.author ?? { name: repo.owner.login, email: noreplyEmail(repo.owner) };
    const sha = await repo.git.commitTree(tree, parent ? [parent] : [], options.message, who, who);
    if (!(await this.moveRef(repo, ref, sha, current ?? ZERO_OID))) {
      throw new Error(`${options.owner}/${options.repo} ${ref} moved while committing`);
    }
    return sha;
  }

  async tag(options: { owner: string; repo: string; name: string; sha: string; annotated?: boolean; message?: string }): Promise<string> {
    const repo = this.repository(options.owner, options.repo);
    let target = options.sha;
    if (options.annotated) {
      const type = (await repo.git.objectType(options.sha)) ?? 'commit';
      const tagger = { name: repo.owner.login, email: noreplyEmail(repo.owner) };
      target = await repo.git.mktag(options.sha, type, options.name, tagger, options.message ?? options.name);
    }
    if (!(await this.moveRef(repo, `refs/tags/${options.name}`, target, ZERO_OID))) {
      throw new Error(`tag ${options.name} already exists in ${options.owner}/${options.repo}`);
    }
    return target;
  }

  createIssue(options: { owner: string; repo: string; title: string; body: string; user: User | string }): Issue {
    const repo = this.repository(options.owner, options.repo);
    const now = timestamp();
    const issue: Issue = {
      id: this.nextId(),
      number: repo.issues.length + 1,
      state: 'open',
      state_reason: null,
      title: options.title,
      body: options.body,
      user: this.user(options.user),
      labels: [],
      comments: [],
      reactions: [],
      created_at: now,
      updated_at: now,
      closed_at: null,
      closed_by: null,
    };
    repo.issues.push(issue);
    return issue;
  }

  addComment(options: { owner: string; repo: string; issue: number; body: string; user: User | string }): Comment {
    const issue = this.issue(options.owner, options.repo, options.issue);
    const now = timestamp();
    const comment: Comment = {
      id: this.nextId(),
      issueNumber: issue.number,
      body: options.body,
      user: this.user(options.user),
      created_at: now,
      updated_at: now,
      reactions: [],
    };
    issue.comments.push(comment);
    issue.updated_at = now;
    return comment;
  }

  issue(owner: string, repo: string, number: number): Issue {
    const issue = this.repository(owner, repo).issues.find((i) => i.number === number);
    if (!issue) throw new Error(`no issue #${number} in ${owner}/${repo}`);
    return issue;
  }

  async head(owner: string, repo: string, branch: string): Promise<string> {
    const found = await this.repository(owner, repo).git.ref(`refs/heads/${branch}`);
    if (!found) throw new Error(`no branch ${branch} in ${owner}/${repo}`);
    return found.sha;
  }

  // ---- hooks and checks ----

  onRequest(matcher: RequestMatcher, fn: () => Promise<void> | void, options: { times?: number } = {}): () => void {
    const hook: Hook = { matcher, fn, remaining: options.times ?? Infinity };
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  corruptNextResponse(matcher: RequestMatcher, mutate: (body: any) => unknown): void {
    this.corruptions.push({ matcher, mutate });
  }

  setArchiveVariant(variant: ArchiveVariant | undefined): void {
    this.variant = variant;
  }

  setStaleReads(enabled: boolean): void {
    this.staleReads = enabled;
    if (!enabled) this.lagging.clear();
  }

  setTreeTruncationLimit(limit: number | undefined): void {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new Error(`tree truncation limit must be a whole number, got ${limit}`);
    this.treeLimit = limit;
  }

  addTeamMember(options: { org: string; team: string; login: string; role?: TeamRole; state?: TeamMembershipState }): void {
    const key = `${options.org}/${options.team}`.toLowerCase();
    let team = this.teams.get(key);
    if (!team) {
      const org = this.users.get(options.org.toLowerCase()) ?? this.addUser({ id: this.nextId(), login: options.org, type: 'Organization' });
      team = { id: this.nextId(), org, slug: options.team, members: new Map() };
      this.teams.set(key, team);
    }
    const user = this.user(options.login);
    team.members.set(user.id, {
      user,
      role: options.role ?? 'member',
      state: options.state ?? 'active',
    });
  }

  removeTeamMember(options: { org: string; team: string; login: string }): boolean {
    const user = this.users.get(options.login.toLowerCase());
    return (user && this.teams.get(`${options.org}/${options.team}`.toLowerCase())?.members.delete(user.id)) ?? false;
  }

  allowOrgReads(token: string): void {
    this.orgTokens.add(token);
  }

  failTeamChecks(status: number | undefined): void {
    if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
      throw new Error(`failTeamChecks takes an error status (4xx or 5xx), got ${status}`);
    }
    this.teamFailure = status;
  }

  assertClean(): void {
    if (this.violations.length > 0) {
      throw new Error(`GitHub emulator saw ${this.violations.length} violation(s):\n- ${this.violations.join('\n- ')}`);
    }
  }

  async fsck(): Promise<void> {
    const failures: string[] = [];
    for (const repo of new Set(this.repos.values())) {
      await repo.git.fsck().catch((error: Error) => failures.push(`${repo.git.dir}: ${error.message}`));
    }
    if (failures.length > 0) throw new Error(`git fsck --strict failed:\n${failures.join('\n')}`);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async runHooks(method: string, routes: string[]): Promise<void> {
    for (const hook of [...this.hooks]) {
      if (hook.remaining <= 0 || !matches(hook.matcher, method, routes)) continue;
      hook.remaining--;
      if (hook.remaining <= 0) this.hooks = this.hooks.filter((h) => h !== hook);
      await hook.fn();
    }
  }

  private corrupt(method: string, route: string, body: unknown): unknown {
    const index = this.corruptions.findIndex((c) => matches(c.matcher, method, [route]));
    if (index === -1) return body;
    const [corruption] = this.corruptions.splice(index, 1);
    const result = corruption!.mutate(body);
    return result === undefined ? body : result;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_codeload/')) return this.serveArchive(method, url, res);
    if (url.pathname.startsWith('/_raw/')) return this.serveRaw(url, res);
    if (url.pathname === '/graphql' && method === 'POST') return this.serveGraphql(req, raw, res);
    return this.serveRest(method, url, req, raw, res);
  }

  /** Whether this request asks to be answered as a lagging replica would (see REPLICA_LAG_HEADER). */
  private replicaLag(req: IncomingMessage): boolean {
    return req.headers[REPLICA_LAG_HEADER] === '1';
  }

  private authorized(req: IncomingMessage): boolean {
    return /^(token|bearer)\s+\S+/i.test(req.headers.authorization ?? '');
  }

  /** The credential of the Authorization header (`token X` or `bearer X`). */
  private token(req: IncomingMessage): string | undefined {
    return /^(?:token|bearer)\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-request-id': `EMU:${this.requests.length + 1}`,
      ...headers,
    });
    res.end(payload);
  }

  private async serveRest(method: string, url: URL, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    let pathname = url.pathname;
    // GitHub's redirect target for renamed repositories: /repositories/{id}/…
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(pathname);
    if (byId) {
      const repo = [...this.repos.values()].find((r) => String(r.id) === byId[1]);
      if (repo) pathname = `/repos/${repo.owner.login}/${repo.name}${byId[2] ?? ''}`;
    }
    const match = matchRoute(method, pathname);
    if (!match) {
      const route = `unknown:${method} ${pathname}`;
      await this.runHooks(method, [route]);
      this.violations.push(`${method} ${pathname}: no such route in GitHub's REST API description`);
      this.requests.push({ method, route, status: 404 });
      return this.send(res, 404, errorJson(404, 'Not Found'));
    }
    const { operation, pathParams } = match;
    const route = operation.template;
    const lag = this.replicaLag(req);
    await this.runHooks(method, [route]);
    const finish = (reply: RestReply, checked = true) => {
      let body = reply.body;
      if (checked) {
        body = this.corrupt(method, route, body);
        this.violations.push(...checkResponse(operation, reply.status, body, { injected: reply.injected === true }));
      }
      this.requests.push({ method, route, status: reply.status, operation: operation.operationId, ...(lag ? { replicaLag: true as const } : {}) });
      if (reply.raw) {
        res.writeHead(reply.status, { 'content-type': reply.raw.contentType, ...reply.headers });
        res.end(reply.raw.bytes);
      } else this.send(res, reply.status, body, reply.headers);
    };

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        this.violations.push(`${method} ${route}: request body is not JSON`);
        return finish({ status: 400, body: errorJson(400, 'Problems parsing JSON') }, false);
      }
    }
    this.violations.push(...checkRequest(match, url.searchParams, body));
    if (!this.authorized(req)) return finish({ status: 401, body: errorJson(401, 'Requires authentication') });

    const request = { params: pathParams, query: url.searchParams, body, accept: req.headers.accept ?? '', token: this.token(req) };
    const orgHandler = orgHandlers[operation.operationId];
    if (orgHandler) return finish(await this.answer(() => orgHandler(this.restWorld(lag), request)));
    const handler = handlers[operation.operationId];
    if (!handler) {
      this.violations.push(`${method} ${route}: ${operation.operationId} is not implemented by the emulator`);
      return finish({ status: 404, body: errorJson(404, 'Not Found') }, false);
    }
    const owner = pathParams['owner'] ?? '';
    const name = pathParams['repo'] ?? '';
    const repo = this.repos.get(this.key(owner, name));
    if (!repo) {
      const movedId = this.renamed.get(this.key(owner, name));
      if (movedId !== undefined) {
        const rest = pathname.split('/').slice(4).join('/');
        const location = `${this.url}/repositories/${movedId}${rest ? `/${rest}` : ''}${url.search}`;
        // 301 turns a redirected POST into a GET in fetch; GitHub answers 307 for writes for that reason.
        const status = method === 'GET' || method === 'HEAD' ? 301 : 307;
        return finish({
          status,
          body: { message: 'Moved Permanently', url: location, documentation_url: 'https://docs.github.com/rest' },
          headers: { location },
        });
      }
      return finish({ status: 404, body: errorJson(404, 'Not Found') });
    }
    const reply = await this.answer(() => handler(this.restWorld(lag), { ...request, repo }));
    finish(reply, reply.raw === undefined);
  }

  /** Runs a handler; an HttpError it throws becomes GitHub's error reply. */
  private async answer(run: () => Promise<RestReply>): Promise<RestReply> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return errorReply(error);
    }
  }

  /** What REST handlers see; `lag`: this request is answered as a replica one update behind would. */
  private restWorld(lag = false): RestWorld {
    return {
      urls: this.urls,
      actor: this.botUser,
      nextId: () => this.nextId(),
      readRef: (repo, fullName) => this.readRef(repo, fullName, lag),
      resolveRead: (repo, rev) => this.resolveRead(repo, rev, lag),
      replicaLag: lag,
      replicaLacks: async (repo, sha) => lag && (await this.replicaLacks(repo, sha)),
      treeTruncationLimit: this.treeLimit,
      team: (org, slug) => this.teams.get(`${org}/${slug}`.toLowerCase()),
      canReadOrgs: (token) => token !== undefined && this.orgTokens.has(token),
      teamFailure: this.teamFailure,
    };
  }

  private graphqlWorld(lag = false): GraphqlWorld {
    return {
      urls: this.urls,
      actor: this.botUser,
      repository: (owner, name) => this.repos.get(this.key(owner, name)),
      readRef: (repo, fullName) => this.readRef(repo, fullName, lag),
      resolveRead: (repo, rev) => this.resolveRead(repo, rev, lag),
      replicaLacks: async (repo, sha) => lag && (await this.replicaLacks(repo, sha)),
      commitOnBranch: (repo, branch, expected, changes, message, author, committer) =>
        this.commitOnBranch(repo, branch, expected, changes, message, author, committer),
    };
  }

  /** createCommitOnBranch's commit: exactly on `expected`, landed by compare-and-swap or not at all. */
  private async commitOnBranch(
    repo: Repository,
    branch: string,
    expected: string,
    files: Map<string, Buffer | null>,
    message: string,
    author: Identity,
    committer: Identity,
  ): Promise<CommitOutcome> {
    const ref = `refs/heads/${branch}`;
    const current = await repo.git.ref(ref);
    if (!current) return { ok: false, reason: 'no-branch' };
    if (current.sha !== expected) return { ok: false, reason: 'stale' };
    const base = await repo.git.parseCommit(expected);
    const changes = new Map<string, PathChange>();
    for (const [path, content] of files) {
      if (content === null) {
        const entry = await repo.git.entryAt(expected, path);
        if (!entry || entry.type !== 'blob') {
          return {
            ok: false,
            reason: 'bad-path',
            detail: `A path was requested for deletion which does not exist as of commit oid \`${expected}\``,
          };
        }
        changes.set(path, null);
      } else changes.set(path, { content, mode: '100644' });
    }
    const tree = await repo.git.updateTree(base.tree, changes);
    const sha = await repo.git.commitTree(tree, [expected], message, author, committer);
    if (!(await this.moveRef(repo, ref, sha, expected))) return { ok: false, reason: 'stale' };
    return { ok: true, sha };
  }

  private async serveGraphql(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    let request: unknown;
    try {
      request = JSON.parse(raw.toString('utf8'));
    } catch {
      request = undefined;
    }
    // Hooks fire before the document runs, so they match on the root fields it selects.
    const fields = rootFieldsOf(request);
    const route = `graphql:${fields[0] ?? 'unknown'}`;
    const lag = this.replicaLag(req);
    await this.runHooks('POST', fields.length > 0 ? fields.map((f) => `graphql:${f}`) : [route]);
    if (!this.authorized(req)) {
      this.requests.push({ method: 'POST', route, status: 401 });
      return this.send(res, 401, {
        message: 'Requires authentication',
        documentation_url: 'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql',
      });
    }
    const answer = await answerGraphql(this.graphqlWorld(lag), request);
    this.violations.push(...answer.violations);
    const body = this.corrupt('POST', route, answer.body);
    this.requests.push({
      method: 'POST',
      route,
      status: answer.status,
      ...(answer.operationName ? { operation: answer.operationName } : {}),
      ...(lag ? { replicaLag: true as const } : {}),
    });
    this.send(res, answer.status, body);
  }

  private async serveArchive(method: string, url: URL, res: ServerResponse): Promise<void> {
    const route = CODELOAD_ROUTE;
    await this.runHooks(method, [route]);
    const match = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(url.pathname);
    const repo = match ? this.repos.get(this.key(match[1]!, match[2]!)) : undefined;
    const sha = match?.[3];
    if (!repo || !sha || (await repo.git.objectType(sha)) !== 'commit') {
      this.requests.push({ method, route, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404: Not Found');
      return;
    }
    const top = `${repo.owner.login}-${repo.name}-${sha.slice(0, 7)}`;
    this.requests.push({ method, route, status: 200 });
    const headers = { 'content-type': 'application/x-gzip', 'content-disposition': `attachment; filename=${top}.tar.gz` };
    if (this.variant) {
      const bytes = tarball(await repo.git.archiveTar(sha, `${top}/`), this.variant);
      res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
      res.end(bytes);
      return;
    }
    // git's own archive, streamed and gzipped on the way out (chunked, as codeload sends it): a large
    // registry's tarball never sits whole in the emulator's memory. A failure cuts the download short.
    res.writeHead(200, headers);
    await pipeline(repo.git.archiveStream(sha, `${top}/`), createGzip(), res).catch(() => res.destroy());
  }

  private async serveRaw(url: URL, res: ServerResponse): Promise<void> {
    const match = /^\/_raw\/([^/]+)\/([^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    const repo = match ? this.repos.get(this.key(match[1]!, match[2]!)) : undefined;
    const entry = repo && match ? await repo.git.entryAt(match[3]!, decodeURIComponent(match[4]!)).catch(() => undefined) : undefined;
    if (!repo || !entry || entry.type !== 'blob') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404: Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(await repo.git.run(['cat-file', 'blob', entry.sha]));
  }
}

/** Starts an emulator on 127.0.0.1 with a random port. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'github-emulator-')));
  await mkdir(root, { recursive: true });
  // Load the OpenAPI description before the first request, so no request pays for it.
  warmUp();
  const emulator = new Emulator(root, options.repoPaths ?? {}, options.botUser ?? DEFAULT_BOT);
  emulator.setTreeTruncationLimit(options.treeTruncationLimit);
  await emulator.listen();
  return emulator;
}

/** Removes an emulator's temporary root (tests that let it create one call this after close()). */
export async function removeRoot(emulator: GitHubEmulator): Promise<void> {
  await rm(emulator.root, { recursive: true, force: true });
}
