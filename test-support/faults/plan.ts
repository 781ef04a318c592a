// A fault plan: which request — named by (route, occurrence) — fails how, shared by every proxy of one test, with the log of what happened.
import { GRAPHQL_ERROR_TYPES, isGraphqlRoute, serviceOf, type GraphqlErrorType } from './answers.js';

/**
 * - `refuse`: the server never sees the request; the client's connection is reset.
 * - `lose`: the server applies the request; its answer is dropped and the client's connection reset.
 * - `crash`: like refuse, and every later request on every proxy sharing the plan is refused (a runner that died).
 * - `delay`: the request waits `delayMs`, then goes through.
 * - `status-5xx`: the proxy answers itself, the server never sees the request: GitHub's 502 `Server Error`
 *   (GraphQL too), S3's 500 `InternalError` (see answers.ts).
 * - `rate-limited`: the proxy answers itself: GitHub's secondary rate limit (403, or 429 with `rateLimitStatus`,
 *   `retry-after: retryAfterSeconds`), S3's 503 `SlowDown`. Not for codeload/raw downloads (not the API's limits).
 * - `graphql-error`: `POST graphql:*` routes only: HTTP 200 with `errors[].type` = `graphqlType` (default FORBIDDEN).
 * - `lagging-read`: forwarded once with the request header `x-emulator-replica-lag: 1`, so the GitHub emulator answers
 *   as a replica one write behind. Only reads whose answer a lagging replica changes (see `applicable`).
 * - `exhausted`: `status-5xx` on this occurrence and every later one of the route (until the next set()), so the
 *   client's own retries all fail and its caller gets the error.
 */
export type FaultMode = 'refuse' | 'lose' | 'crash' | 'delay' | 'status-5xx' | 'rate-limited' | 'graphql-error' | 'lagging-read' | 'exhausted';

export type { GraphqlErrorType };

/** The request header a `lagging-read` adds; the GitHub emulator answers such a request as a lagging replica would. */
export const REPLICA_LAG_HEADER = 'x-emulator-replica-lag';

export interface Fault {
  /** A classifier's route string, e.g. `PATCH /repos/{owner}/{repo}/issues/{issue_number}` or `PUT s3:PutObject bucket/staging`. */
  route: string;
  /** 1-based: the n-th request of `route` since the plan was last set (for `exhausted`: the first of the failing run). */
  occurrence: number;
  mode: FaultMode;
  /** Required for `delay`. */
  delayMs?: number;
  /**
   * `rate-limited` on GitHub: the `retry-after` header (seconds, default 1). `graphql-error` RATE_LIMITED: how far
   * ahead `x-ratelimit-reset` lies. Octokit's throttling plugin multiplies it by its base (1000 ms in production, the
   * pace in tests), and reads 0 as "absent" — then it waits its fallback (60 × base) instead.
   */
  retryAfterSeconds?: number;
  /** `rate-limited` on GitHub: 403 (default) or 429; GitHub documents both for secondary limits. */
  rateLimitStatus?: 403 | 429;
  /** `graphql-error`: the error type (default FORBIDDEN); STALE_DATA only on `POST graphql:createCommitOnBranch`. */
  graphqlType?: GraphqlErrorType;
}

/**
 * What happened to a request. `answered`: the proxy answered in the server's place (the server never saw it; `status`
 * and `answer` say with what). `lagged`: forwarded with the replica-lag header (`status` is the server's).
 */
export type Outcome = 'passed' | 'refused' | 'lost' | 'crashed' | 'delayed' | 'answered' | 'lagged';

export interface ProxiedRequest {
  /** 1-based arrival order across every proxy of the plan. */
  seq: number;
  /** The name of the proxy it arrived at. */
  proxy: string;
  route: string;
  occurrence: number;
  outcome: Outcome;
  /** The upstream's status, when the upstream answered (also for `lost`: what the client never saw); for `answered`, the proxy's. */
  status?: number;
  /** For `answered`: which answer, e.g. `Server Error`, `secondary-rate-limit`, `graphql:STALE_DATA`, `InternalError`, `SlowDown`. */
  answer?: string;
  /** Why the request failed without a fault: the upstream could not be reached, or the client went away. */
  error?: string;
}

/** What a proxy must do with one request, decided at its arrival. */
export interface Arrival {
  entry: ProxiedRequest;
  /** `answer`: send the answer `fault` calls for, without forwarding; `lag`: forward with the replica-lag header. */
  action: 'pass' | 'refuse' | 'lose' | 'crash' | 'delay' | 'answer' | 'lag';
  delayMs: number;
  /** The plan's generation at arrival; a later set() makes this request's fate irrelevant to the new log. */
  epoch: number;
  /** The fault that decided the action, if any. */
  fault?: Fault;
}

export const FAULT_MODES: readonly FaultMode[] = [
  'refuse',
  'lose',
  'crash',
  'delay',
  'status-5xx',
  'rate-limited',
  'graphql-error',
  'lagging-read',
  'exhausted',
];

/**
 * REST reads whose answer a replica one write behind changes, as the emulator models it: refs read by name give their
 * previous value, reads by the newest commit SHA 404, listings of comments omit the newest. Reads of things a lagging
 * replica answers identically here (the repository, an issue, a user's permission) are left out: the mode would do nothing.
 */
const LAGGING_REST = [
  '/git/ref/{ref}',
  '/git/matching-refs/{ref}',
  '/git/commits/{commit_sha}',
  '/git/trees/{tree_sha}',
  '/commits/{ref}',
  '/branches/{branch}',
  '/contents/{path}',
  '/tarball/{ref}',
  '/issues/{issue_number}/comments',
];

/**
 * Whether `mode` does something on requests of `route`, so a matrix can skip the pairs that cannot happen.
 * - refuse, lose, crash, delay, status-5xx, exhausted: every route.
 * - rate-limited: GitHub API routes (REST and GraphQL) and S3; not codeload/raw archive downloads, which are not
 *   under the API's rate limits.
 * - graphql-error: `POST graphql:*` only — REST has no errors-inside-200.
 * - lagging-read: GET/HEAD of the REST reads in LAGGING_REST (under `/repos/{owner}/{repo}` or
 *   `/repositories/{repository_id}`) and `POST graphql:repository` (a query: `repository` is no Mutation field).
 *   Never S3: S3 has strong read-after-write consistency for every operation, listings included, so no S3 read can
 *   lag. Not codeload either: a download by SHA can 404 on github.com right after a push, but the emulator does not
 *   model it, and a mode that changes nothing must not count as applicable.
 */
export function applicable(mode: FaultMode, route: string): boolean {
  const service = serviceOf(route);
  switch (mode) {
    case 'refuse':
    case 'lose':
    case 'crash':
    case 'delay':
    case 'status-5xx':
    case 'exhausted':
      return true;
    case 'rate-limited':
      return service !== 'github-download';
    case 'graphql-error':
      return isGraphqlRoute(route);
    case 'lagging-read': {
      if (route === 'POST graphql:repository') return true;
      const match = /^(GET|HEAD) \/(?:repos\/\{owner\}\/\{repo\}|repositories\/\{repository_id\})(\/.*)$/.exec(route);
      return match !== null && LAGGING_REST.includes(match[2]!);
    }
  }
}

function validate(faults: Fault[]): Fault[] {
  const seen = new Set<string>();
  for (const fault of faults) {
    const where = `${fault.route} #${fault.occurrence}`;
    if (!FAULT_MODES.includes(fault.mode)) throw new TypeError(`unknown fault mode ${JSON.stringify(fault.mode)}`);
    if (!Number.isInteger(fault.occurrence) || fault.occurrence < 1) {
      throw new TypeError(`fault occurrence must be a positive integer, got ${fault.occurrence} for ${fault.route}`);
    }
    if (fault.mode === 'delay' && !(typeof fault.delayMs === 'number' && fault.delayMs >= 0)) {
      throw new TypeError(`a delay fault needs delayMs (${where})`);
    }
    // A mode that cannot apply would silently test nothing: say so where the plan is written (see applicable()).
    if (!applicable(fault.mode, fault.route)) throw new TypeError(`mode ${fault.mode} does not apply to ${fault.route} (see applicable())`);
    // Options of another mode are a test bug too: they would be ignored.
    if (fault.graphqlType !== undefined) {
      if (fault.mode !== 'graphql-error') throw new TypeError(`graphqlType is for graphql-error faults only (${where})`);
      if (!GRAPHQL_ERROR_TYPES.includes(fault.graphqlType)) throw new TypeError(`unknown graphqlType ${JSON.stringify(fault.graphqlType)} (${where})`);
      // STALE_DATA is createCommitOnBranch's answer to a moved head; on a query it never happens.
      if (fault.graphqlType === 'STALE_DATA' && fault.route !== 'POST graphql:createCommitOnBranch') {
        throw new TypeError(`STALE_DATA is createCommitOnBranch's error, not ${fault.route}'s`);
      }
    }
    if (fault.rateLimitStatus !== undefined) {
      if (fault.mode !== 'rate-limited' || serviceOf(fault.route) === 's3') throw new TypeError(`rateLimitStatus is for rate-limited GitHub faults only (${where})`);
      if (fault.rateLimitStatus !== 403 && fault.rateLimitStatus !== 429) throw new TypeError(`rateLimitStatus must be 403 or 429 (${where})`);
    }
    if (fault.retryAfterSeconds !== undefined) {
      const limited = (fault.mode === 'rate-limited' && serviceOf(fault.route) !== 's3') || (fault.mode === 'graphql-error' && fault.graphqlType === 'RATE_LIMITED');
      if (!limited) throw new TypeError(`retryAfterSeconds is for GitHub rate limits only: S3's SlowDown carries no retry-after (${where})`);
      if (!Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0) {
        throw new TypeError(`retryAfterSeconds must be a non-negative integer, as GitHub sends it (${where})`);
      }
    }
    // Two faults on one request would make the outcome depend on list order: a test bug, so say so.
    const key = `${fault.route}\n${fault.occurrence}`;
    if (seen.has(key)) throw new TypeError(`two faults on ${where}`);
    seen.add(key);
  }
  // An exhausted fault owns every later occurrence of its route: another fault there could never fire.
  for (const run of faults.filter((f) => f.mode === 'exhausted')) {
    const shadowed = faults.find((f) => f !== run && f.route === run.route && f.occurrence > run.occurrence);
    if (shadowed) throw new TypeError(`two faults on ${shadowed.route} #${shadowed.occurrence}: exhausted from #${run.occurrence} already fails it`);
  }
  return faults.map((f) => ({ ...f }));
}

export class FaultPlan {
  /** Every request, in arrival order; set() empties it in place, so a reference to it stays live. */
  readonly log: ProxiedRequest[] = [];
  private faults: Fault[];
  private readonly counts = new Map<string, number>();
  private firedFaults: Fault[] = [];
  private crashedAt: number | undefined;
  private epoch = 0;

  constructor(faults: Fault[] = []) {
    this.faults = validate(faults);
  }

  /** Replaces the faults and resets occurrence counters, the crash state and the log. */
  set(faults: Fault[]): void {
    this.faults = validate(faults);
    this.counts.clear();
    this.firedFaults = [];
    this.crashedAt = undefined;
    this.log.length = 0;
    this.epoch++;
  }

  /** True once a `crash` fault fired (until the next set()). */
  get crashed(): boolean {
    return this.crashedAt !== undefined;
  }

  /** The faults that triggered, in the order they did; a fault missing here named a request that never came. */
  fired(): Fault[] {
    return this.firedFaults.map((f) => ({ ...f }));
  }

  /** Faults that have not triggered (yet). */
  pending(): Fault[] {
    return this.faults.filter((f) => !this.firedFaults.includes(f)).map((f) => ({ ...f }));
  }

  /** For proxies: counts the request's occurrence of its route, logs it, and decides its fate. */
  arrive(proxy: string, route: string): Arrival {
    const occurrence = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, occurrence);
    const entry: ProxiedRequest = { seq: this.log.length + 1, proxy, route, occurrence, outcome: 'passed' };
    this.log.push(entry);
    const arrival = (action: Arrival['action'], outcome: Outcome, fault?: Fault): Arrival => {
      entry.outcome = outcome;
      return { entry, action, delayMs: action === 'delay' ? (fault?.delayMs ?? 0) : 0, epoch: this.epoch, ...(fault ? { fault: { ...fault } } : {}) };
    };
    // After a crash nothing reaches a server any more, whatever else the plan says about this request.
    if (this.crashed) return arrival('refuse', 'refused');
    const fault = this.faults.find(
      (f) => f.route === route && (f.occurrence === occurrence || (f.mode === 'exhausted' && occurrence > f.occurrence)),
    );
    if (!fault) return arrival('pass', 'passed');
    // fired() lists a fault once, however often an exhausted one answers.
    if (!this.firedFaults.includes(fault)) this.firedFaults.push(fault);
    switch (fault.mode) {
      case 'refuse':
        return arrival('refuse', 'refused', fault);
      case 'lose':
        return arrival('lose', 'lost', fault);
      case 'crash':
        this.crashedAt = entry.seq;
        return arrival('crash', 'crashed', fault);
      case 'delay':
        return arrival('delay', 'delayed', fault);
      case 'lagging-read':
        return arrival('lag', 'lagged', fault);
      case 'status-5xx':
      case 'rate-limited':
      case 'graphql-error':
      case 'exhausted':
        return arrival('answer', 'answered', fault);
    }
  }

  /**
   * For proxies: true when the runner "died" after this request arrived (and no set() started a new plan since),
   * so it must not be sent on, or its answer must not be delivered.
   */
  diedSince(arrival: Arrival): boolean {
    return arrival.epoch === this.epoch && this.crashedAt !== undefined && this.crashedAt > arrival.entry.seq;
  }
}
