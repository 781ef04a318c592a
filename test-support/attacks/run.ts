// Runs the attack catalogue through the built action on one shared world (GitHub emulator + s3rver, two buckets), each row checked by the independent checker: registry refs, every stored object, every issue.
import { performance } from 'node:perf_hooks';
import { issueCommentCreated } from '../events.js';
import type { EventUser } from '../events.js';
import {
  AUTHOR, REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld,
  type ActionRun, type PackageSource, type World,
} from '../world.js';
import { closeChecker, inertProblems, issueChanges, issueViews, restore, sideState, writesBetween, type IssueChange, type SideState } from './checker.js';
import { startAttackProxy, type AttackProxy } from './proxy.js';
import { HOSTILE } from './archives.js';

export type Category = 'request' | 'refs' | 'archive' | 'events' | 'commands' | 'rendering' | 'cost' | 'cpu' | 'secrets' | 'durability';
export const CATEGORIES: Category[] = ['request', 'refs', 'archive', 'events', 'commands', 'rendering', 'cost', 'cpu', 'secrets', 'durability'];

/**
 * `refused`: exit non-zero, a Registrar comment saying what was wrong, nothing written.
 * `ignored`: exit 0, no Registrar comment, nothing written.
 * `denied`: a Registrar denial (at most one denial comment per issue, for all denials), nothing else written.
 * `failed`: a service error on the way (the secrets rows provoke one): exit non-zero, a comment, nothing written; a refusal also counts.
 * `fast`: a measurement row within its time budget.
 */
export type Outcome = 'refused' | 'ignored' | 'denied' | 'failed' | 'fast';

export const TRUSTEE: EventUser = { id: 7001, login: 'tess' };
export const STRANGER: EventUser = { id: 7666, login: 'eve' };
export const OTHER_AUTHOR: EventUser = { id: 5002, login: 'bob' };
export const BASE_INPUTS = { 'trustee-ids': String(TRUSTEE.id) };

export interface Published {
  pkg: PackageSource;
  issue: number;
  commit: string;
}

/** What every row may rely on: set up once, restored after any row that wrote. */
export interface Fixture {
  /** victim@1.0.0, published by issue `victim.issue`: what misparsed rollbacks must not touch. */
  victim: Published;
  /** bound-pkg@1.0.0 from acme/bound (id 8200): forks and look-alikes must not publish it. */
  bound: Published;
  /** recreated-pkg@1.0.0 from orig/recreated (id 8500): its repository is deleted and re-created by one row. */
  recreated: Published;
  /** rolled@1.0.0: published, then rolled back by a trustee; its bytes must never come back. */
  rolled: Published;
  /** fresh-pkg@1.0.0, tagged in acme/fresh and never published: the base of every malformed request. */
  fresh: PackageSource;
  freshCommit: string;
  /** stranger-pkg@1.0.0, tagged in eve/stranger: what a stranger tries to slip into someone's issue. */
  stranger: PackageSource;
  /** hostile-pkg@1.0.0 in hostile/archive: archive rows serve their own bytes for its commit. */
  hostileCommit: string;
  /** Milliseconds the built action takes to ignore an ordinary comment (the end-to-end cost baseline). */
  baselineMs: number;
}

export interface RunRecord {
  issue: number;
  code: number;
  status: string | undefined;
  observed: string;
  changes: IssueChange[];
  run: ActionRun;
  ms: number;
}

export interface Budgets {
  /** Median milliseconds a parser may take on a 64 KiB pathological text. */
  parserMs: number;
  /** Milliseconds a pathological comment may add to the action's run over an ordinary one. */
  endToEndMs: number;
}

export interface OpenOptions {
  user?: EventUser;
  title?: string;
  /** Changes the event payload GitHub would send (another action, a pull request, …). */
  mutate?: (payload: Record<string, any>) => void;
  inputs?: Record<string, string>;
  /** Reach S3 through the attack's S3 proxy. */
  s3Proxy?: boolean;
}

export interface AttackContext {
  world: World;
  fx: Fixture;
  github: AttackProxy;
  s3: AttackProxy;
  budgets: Budgets;
  runs: RunRecord[];
  /** Shown in the observed column after the outcome. */
  notes: string[];
  /** Opens an issue and runs the action on its `issues.opened` event. */
  open(body: string, options?: OpenOptions): Promise<RunRecord>;
  /** Comments on an issue and runs the action on its `issue_comment` event. */
  comment(issue: number, body: string, options?: OpenOptions & { action?: 'created' | 'edited' }): Promise<RunRecord>;
  /** Opens an issue without running the action (an issue that is only the stage of the attack). */
  issue(body: string, user?: EventUser, title?: string): number;
  /** A comment that starts no run (someone else's, or a bot's): it is only part of the stage. */
  say(issue: number, body: string, user: EventUser): number;
  /** Row-level findings of the attack itself (a measurement over budget, a leak the attack looked for). */
  problems: string[];
  /** Runs the action on an event made by hand. */
  send(event: { name: string; payload: unknown }, issue: number, options?: OpenOptions): Promise<RunRecord>;
  /** Serves `bytes` as the source archive of `owner/repo` (any commit). */
  serveArchive(owner: string, repo: string, bytes: Buffer): void;
  /** Seeds a source repository holding a package, tagged; returns the tagged commit. */
  seed(pkg: PackageSource & { visibility?: Visibility }): Promise<string>;
  /** The bodies of Registrar's comments this row created or changed, newest last. */
  touchedComments(): string[];
}

export interface AttackRow {
  name: string;
  category: Category;
  /** One per run of the action, in order (the last repeats); `fast` for measurement rows. */
  expected: Outcome | Outcome[];
  /** Before the side-effect snapshot: seed repositories, serve archives. */
  setup?: (ctx: AttackContext) => Promise<void>;
  /** The attack itself: opens issues, comments, sends events (each runs the built action). */
  attack: (ctx: AttackContext) => Promise<void>;
  /** A final refusal may close its own issue as not planned. */
  mayClose?: boolean;
  /** Extra checks of this trick, each problem a sentence. */
  check?: (ctx: AttackContext) => Promise<string[]> | string[];
  /** Only in `npm run attack` (too slow for npm test). */
  scriptOnly?: boolean;
}

export interface RowResult {
  name: string;
  category: Category;
  expected: string;
  observed: string;
  /** What the checker saw written (registry, storage, issues) that the outcome does not allow. */
  sideEffects: string[];
  /** Everything else wrong: outcome mismatch, comment not inert, a secret, an extra check. */
  problems: string[];
  clean: boolean;
  ms: number;
  /** What the action said last (its `::error::` line, else its outcome), for people reading the table. */
  said: string;
}

const SECRET_WORDS = (world: World) => ['test-token', world.s3.credentials.secretAccessKey, world.s3.credentials.accessKeyId];

export interface AttackWorld {
  world: World;
  fx: Fixture;
  github: AttackProxy;
  s3: AttackProxy;
  /** Issue → Registrar comment ids written by denials, across every row so far. */
  denials: Map<number, Set<number>>;
  close(): Promise<void>;
}

const payloadIssue = (payload: unknown) => ((payload as { issue?: { number?: number } }).issue?.number ?? 0);

function observe(run: ActionRun, issue: number, changes: IssueChange[]): string {
  const status = run.outputs.status;
  const commented = changes.some((c) => c.issue === issue && (c.kind === 'comment-new' || c.kind === 'comment-updated'));
  if (run.code === 0) {
    if (status === 'ignored') return commented ? 'ignored+comment' : 'ignored';
    if (status === 'denied') return 'denied';
    return status ?? 'exit 0';
  }
  if (status === 'refused') return commented ? 'refused' : 'refused (no comment)';
  if (status === 'failed') return commented ? 'failed' : 'failed (no comment)';
  if (status === undefined) return 'crashed';
  return `exit ${run.code} ${status}`;
}

export type Visibility = 'public' | 'private' | 'internal';

/**
 * Seeds a package's source repository: public through world.ts's seedPackage; private or internal created here (both
 * `private` and `visibility` are given, so the emulator before and after it learnt `visibility` makes the same repository).
 */
async function seedSource(world: World, pkg: PackageSource & { visibility?: Visibility }): Promise<string> {
  const visibility = pkg.visibility ?? 'public';
  if (visibility === 'public') return seedPackage(world, pkg);
  const manifest = JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license ?? 'MIT' }, null, 2) + '\n';
  const prefix = pkg.subdir ? `${pkg.subdir}/` : '';
  const options = { owner: pkg.owner, repo: pkg.repo, ...(pkg.id ? { id: pkg.id } : {}), private: true, visibility,
    initialFiles: { 'README.md': `# ${pkg.repo}\n`, [`${prefix}package.json`]: manifest, [`${prefix}index.js`]: `export const name = ${JSON.stringify(pkg.name)};\n` } };
  await world.github.createRepository(options as Parameters<World['github']['createRepository']>[0]);
  world.sources.add(`${pkg.owner}/${pkg.repo}`);
  const sha = await world.github.head(pkg.owner, pkg.repo, 'main');
  await world.github.tag({ owner: pkg.owner, repo: pkg.repo, name: pkg.tag ?? `v${pkg.version}`, sha });
  return sha;
}

/** What the emulator answers for a repository's visibility (GET /repos/{owner}/{repo}). */
export async function visibilityOf(world: World, owner: string, repo: string): Promise<string | undefined> {
  const answer = await fetch(`${world.github.url}/repos/${owner}/${repo}`, { headers: { authorization: 'token test-token' } });
  const body = (await answer.json()) as { visibility?: string; private?: boolean };
  return body.visibility ?? (body.private ? 'private' : 'public');
}

/** Starts the world, the proxies, and the fixture every row relies on. */
export async function startAttackWorld(): Promise<AttackWorld> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const world = await startWorld({ buckets: ['attack-primary', 'attack-mirror'] });
  const github = await startAttackProxy(world.github.url);
  const s3 = await startAttackProxy(world.s3.endpoint);
  for (const user of [TRUSTEE, STRANGER, OTHER_AUTHOR]) world.github.addUser({ id: user.id, login: user.login, type: 'User' });
  const via = { github: github.url, s3: world.s3.endpoint };
  const publish = async (pkg: PackageSource): Promise<Published> => {
    const commit = await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg), AUTHOR, `Publish ${pkg.name}@${pkg.version}`);
    const run = await runAction(world, event, { inputs: BASE_INPUTS, via });
    if (run.outputs.status !== 'published') throw new Error(`fixture: ${pkg.name}@${pkg.version} was not published: ${run.stdout}\n${run.stderr}`);
    return { pkg, issue, commit };
  };
  const victim = await publish({ owner: 'vic', repo: 'victim', id: 8100, name: 'victim', version: '1.0.0' });
  const bound = await publish({ owner: 'acme', repo: 'bound', id: 8200, name: 'bound-pkg', version: '1.0.0' });
  const recreated = await publish({ owner: 'orig', repo: 'recreated', id: 8500, name: 'recreated-pkg', version: '1.0.0' });
  const rolled = await publish({ owner: 'rb', repo: 'rolled', id: 8300, name: 'rolled', version: '1.0.0' });
  const rollback = await runAction(world, commentOn(world, rolled.issue, '/rollback rolled@1.0.0 it ships a leaked credential', TRUSTEE), { inputs: BASE_INPUTS, via });
  if (rollback.outputs.status !== 'rolled-back') throw new Error(`fixture: rolled@1.0.0 was not rolled back: ${rollback.stdout}`);
  const fresh: PackageSource = { owner: 'acme', repo: 'fresh', id: 8400, name: 'fresh-pkg', version: '1.0.0' };
  const freshCommit = await seedPackage(world, fresh);
  const stranger: PackageSource = { owner: 'eve', repo: 'stranger', id: 8600, name: 'stranger-pkg', version: '1.0.0' };
  await seedPackage(world, stranger);
  const hostileCommit = await seedPackage(world, { ...HOSTILE });
  // The cost baseline: the built action ignoring an ordinary comment (best of three, it is a process start).
  const { issue: chat } = openIssue(world, 'A question about the registry', OTHER_AUTHOR, 'Question');
  let baselineMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await runAction(world, commentOn(world, chat, 'Thanks, that helps.', OTHER_AUTHOR), { inputs: BASE_INPUTS, via });
    baselineMs = Math.min(baselineMs, performance.now() - t);
  }
  return {
    world, github, s3, denials: new Map(),
    fx: { victim, bound, recreated, rolled, fresh, freshCommit, stranger, hostileCommit, baselineMs },
    async close() {
      await github.close();
      await s3.close();
      closeChecker(world);
      await world.close();
    },
  };
}

function context(aw: AttackWorld, budgets: Budgets): AttackContext {
  const { world, fx, github, s3 } = aw;
  const runs: RunRecord[] = [];
  const touched = new Map<number, number>();
  const send = async (event: { name: string; payload: unknown }, issue: number, options: OpenOptions = {}): Promise<RunRecord> => {
    const before = issueViews(world);
    const t = performance.now();
    const run = await runAction(world, event, {
      inputs: { ...BASE_INPUTS, ...options.inputs },
      via: { github: github.url, s3: options.s3Proxy ? s3.url : world.s3.endpoint },
    });
    const ms = performance.now() - t;
    const changes = issueChanges(before, issueViews(world));
    for (const c of changes) if (c.commentId !== undefined && (c.kind === 'comment-new' || c.kind === 'comment-updated')) touched.set(c.commentId, c.issue);
    const record: RunRecord = { issue, code: run.code, status: run.outputs.status, observed: observe(run, issue, changes), changes, run, ms };
    runs.push(record);
    return record;
  };
  const ctx: AttackContext = {
    world, fx, github, s3, budgets, runs, notes: [], problems: [],
    issue(body, user = AUTHOR, title = 'Publish request') {
      return openIssue(world, body, user, title).issue;
    },
    say(issue, body, user) {
      world.github.addUser({ id: user.id, login: user.login, type: user.type ?? 'User' });
      return world.github.addComment({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue, body, user: user.login }).id;
    },
    async open(body, options = {}) {
      const { issue, event } = openIssue(world, body, options.user ?? AUTHOR, options.title ?? 'Publish request');
      options.mutate?.(event.payload as Record<string, any>);
      return send(event, issue, options);
    },
    async comment(issue, body, options = {}) {
      const event = commentOn(world, issue, body, options.user ?? AUTHOR, options.action ?? 'created');
      options.mutate?.(event.payload as Record<string, any>);
      return send(event, issue, options);
    },
    send,
    serveArchive(owner, repo, bytes) {
      const prefix = `/_codeload/${owner}/${repo}/`.toLowerCase();
      github.intercept((request) => (request.method === 'GET' && request.url.toLowerCase().startsWith(prefix)
        ? { status: 200, headers: { 'content-type': 'application/x-gzip' }, body: bytes } : undefined));
    },
    seed: (pkg) => seedSource(world, pkg),
    touchedComments() {
      const bodies: string[] = [];
      for (const [id, issue] of touched) {
        const comment = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.find((c) => c.id === id);
        if (comment) bodies.push(comment.body);
      }
      return bodies;
    },
  };
  return ctx;
}

const expectedAt = (row: AttackRow, index: number): Outcome => {
  const list = Array.isArray(row.expected) ? row.expected : [row.expected];
  return list[Math.min(index, list.length - 1)]!;
};

const matches = (expected: Outcome, observed: string) => observed === expected || (expected === 'failed' && observed === 'refused');

/** Runs one row: setup, snapshot, attack, snapshot, judge; puts the world back if the attack wrote anything. */
export async function runRow(aw: AttackWorld, row: AttackRow, budgets: Budgets): Promise<RowResult> {
  const started = performance.now();
  const { world } = aw;
  aw.github.reset();
  aw.s3.reset();
  const ctx = context(aw, budgets);
  const problems: string[] = [];
  const sideEffects: string[] = [];
  let before: SideState | undefined;
  try {
    await row.setup?.(ctx);
    before = await sideState(world);
    const violations = world.github.violations.length;
    await row.attack(ctx);
    const after = await sideState(world);
    sideEffects.push(...writesBetween(before, after));

    // Outcomes, run by run.
    const list = Array.isArray(row.expected) ? row.expected : [row.expected];
    const measuring = list.every((o) => o === 'fast');
    if (!measuring) {
      if (ctx.runs.length === 0) problems.push('the attack ran the action no time');
      if (ctx.runs.length < list.length) problems.push(`expected ${list.length} runs, saw ${ctx.runs.length}`);
    }
    ctx.runs.forEach((run, i) => {
      const expected = expectedAt(row, i);
      if (!matches(expected, run.observed)) {
        const why = run.run.stdout.split('\n').find((l) => l.startsWith('::error::'))?.slice(9, 200);
        problems.push(`run ${i + 1}: expected ${expected}, observed ${run.observed}${why ? ` (${why})` : ''}`);
      }
      // What each run may change on issues, by what it was expected to do.
      for (const change of run.changes) {
        const own = change.issue === run.issue;
        const allowed = expected === 'ignored' ? false
          : change.kind === 'comment-new' || change.kind === 'comment-updated' || change.kind === 'reaction' ? own
            : change.kind === 'state' ? own && row.mayClose === true && /→ closed\(not_planned\)$/.test(change.detail)
              // A refused or failed request is labelled so (a report, like its comment), and labelled nothing else.
              : change.kind === 'labels' ? own && expected !== 'denied' && /→ \[registrar\/failed\]$/.test(change.detail)
              : false;
        if (!allowed) sideEffects.push(`${change.detail} (run ${i + 1}, expected ${expected})`);
        if (expected === 'denied' && own && change.commentId !== undefined && (change.kind === 'comment-new' || change.kind === 'comment-updated')) {
          const ids = aw.denials.get(change.issue) ?? new Set<number>();
          ids.add(change.commentId);
          aw.denials.set(change.issue, ids);
        }
      }
    });
    for (const issue of new Set(ctx.runs.map((r) => r.issue))) {
      const ids = aw.denials.get(issue);
      if (ids && ids.size > 1) problems.push(`#${issue} carries ${ids.size} denial comments (${[...ids].join(', ')}); at most one per issue, updated in place`);
    }

    // Every comment Registrar wrote or changed in this row: inert, and no credential in it.
    for (const body of ctx.touchedComments()) {
      for (const problem of inertProblems(body)) problems.push(`not inert: ${problem}`);
      for (const secret of SECRET_WORDS(world)) if (body.includes(secret)) problems.push(`a comment contains the credential ${JSON.stringify(secret)}`);
    }
    problems.push(...ctx.problems, ...(await row.check?.(ctx) ?? []));
    const fresh = world.github.violations.slice(violations);
    for (const violation of fresh) problems.push(`emulator: ${violation.split('\n')[0]!.slice(0, 200)}`);
    world.github.violations.splice(violations);
  } catch (error) {
    problems.push(`the attack itself failed: ${(error as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(error)}`);
  } finally {
    if (before && (sideEffects.some((s) => s.startsWith('registry') || s.startsWith('storage')))) await restore(world, before);
  }
  const observedRuns = ctx.runs.map((r) => r.observed);
  const observed = [...observedRuns, ...ctx.notes].join(' → ') || '(nothing)';
  const expected = (Array.isArray(row.expected) ? row.expected : [row.expected]).join(' → ');
  const last = ctx.runs.at(-1)?.run;
  const said = last?.stdout.split('\n').find((l) => l.startsWith('::error::'))?.slice(9)
    ?? last?.stdout.split('\n').find((l) => /^Nothing to do|may not run/.test(l)) ?? '';
  return {
    name: row.name, category: row.category, expected, observed, sideEffects, problems,
    clean: problems.length === 0 && sideEffects.length === 0,
    ms: performance.now() - started,
    // Workflow-command data escapes %, CR and LF (`%25`, `%0D`, `%0A`): read it back as written.
    said: said.replace(/%0[AD]/g, ' ').replace(/%25/g, '%').slice(0, 160),
  };
}

/** `attacks: <clean>/<total> refused with no side effect` — the line `npm run attack` ends with. */
export function summaryLine(results: RowResult[]): string {
  return `attacks: ${results.filter((r) => r.clean).length}/${results.length} refused with no side effect`;
}

export { issueCommentCreated, requestBody };
