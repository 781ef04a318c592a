// The crash-point matrix: fail every request of a Registrar command in every way, repeat the command, and check every invariant.
import fc from 'fast-check';
import { readSettings } from '../src/inputs.js';
import { handleEvent } from '../src/event.js';
import { FaultPlan, applicable, githubRoute, s3Route, serviceOf, startFaultProxy, type Fault, type FaultMode, type FaultProxy, type GraphqlErrorType } from './faults/index.js';
import { checkInvariants, type Expectation, type Violation } from './invariants.js';
import { REGISTRY, runAction, startWorld, type ActionRun, type World } from './world.js';

export interface Event { name: string; payload: unknown }

/** One command under test: how to set up a fresh world, the event of the first attempt, the event that repeats it. */
export interface Scenario {
  name: string;
  backends: number;
  /** The status the command's last attempt must end with (`published`, `rolled-back`). */
  success: string;
  setup(world: World): Promise<{ first: Event; repeat: () => Event; expect: Expectation[]; inputs?: Record<string, string> }>;
  /** Checks beyond the invariants that this command promises (e.g. a rollback record marked cleaned). */
  verify?(world: World): Promise<Violation[]>;
}

/** A request of the clean run, as the fault plan names it. */
export interface RequestPoint { route: string; occurrence: number }

export interface AttemptResult {
  /** published (or whatever the command's success is), refused, failed, or threw (the run died). */
  status: string;
  faults: Fault[];
  fired: Fault[];
  /** Every request the attempt made, in arrival order. */
  requests: RequestPoint[];
  log: string[];
}

export interface CaseResult {
  attempts: AttemptResult[];
  violations: Violation[];
  converged: boolean;
}

let runs = 0;

/**
 * Fault proxies in front of a world's GitHub emulator and S3 server, sharing one plan. S3 routes name a backend by
 * its position (`backend1/…`), because bucket names differ between worlds on a shared server.
 */
export async function startProxies(world: World, plan: FaultPlan): Promise<[FaultProxy, FaultProxy]> {
  const aliases = world.buckets.map((bucket, i) => [bucket, `backend${i + 1}`] as const);
  const s3Alias = (req: Parameters<typeof s3Route>[0]) => aliases.reduce((route, [bucket, alias]) => route.replace(` ${bucket}/`, ` ${alias}/`), s3Route(req));
  return [
    await startFaultProxy({ name: 'github', target: world.github.url, plan, classify: githubRoute }),
    await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan, classify: s3Alias }),
  ];
}

/** The built action (dist/index.js, as GitHub runs it) behind fresh fault proxies: what it did, and what the plan saw. */
export async function runActionWithFaults(world: World, event: Event, faults: Fault[], inputs: Record<string, string> = {}):
  Promise<{ run: ActionRun; fired: Fault[]; requests: RequestPoint[] }> {
  const plan = new FaultPlan(faults);
  const [github, s3] = await startProxies(world, plan);
  try {
    const run = await runAction(world, event, { inputs, via: { github: github.url, s3: s3.url } });
    return { run, fired: plan.fired(), requests: plan.log.map(({ route, occurrence }) => ({ route, occurrence })) };
  } finally {
    await Promise.all([github.close(), s3.close()]);
  }
}

/** A world behind fault proxies, fresh for every attempt so a dead attempt's stragglers never reach the servers. */
export async function runAttempt(world: World, event: Event, faults: Fault[], inputs: Record<string, string> = {}): Promise<AttemptResult> {
  const plan = new FaultPlan(faults);
  const proxies = await startProxies(world, plan);
  const [github, s3] = proxies;
  const log: string[] = [];
  runs += 1;
  const env = {
    GITHUB_REPOSITORY: `${REGISTRY.owner}/${REGISTRY.repo}`, GITHUB_EVENT_NAME: event.name, GITHUB_EVENT_PATH: '(in memory)',
    GITHUB_API_URL: github.url, GITHUB_SERVER_URL: world.github.url, GITHUB_RUN_ID: String(50_000 + runs), GITHUB_RUN_ATTEMPT: '1',
    S3_ACCESS_KEY_ID: world.s3.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: world.s3.credentials.secretAccessKey,
  };
  const input: Record<string, string> = {
    'github-token': 'matrix-token',
    'registry-repository': `${REGISTRY.owner}/${REGISTRY.repo}`,
    backends: JSON.stringify(world.buckets.map((bucket, i) => ({
      name: i === 0 ? 'primary' : `mirror-${i}`, endpoint: s3.url, region: world.s3.region, bucket,
      credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' },
    }))),
    'api-pace-ms': '1',
    ...inputs,
  };
  let status: string;
  try {
    const settings = readSettings((name) => input[name] ?? '', env);
    const result = await handleEvent(settings, event.name, event.payload, {
      log: { info: (m) => log.push(m), warning: (m) => log.push(`warning: ${m}`) }, now: () => new Date(),
    });
    status = result.kind === 'publish' || result.kind === 'rollback' ? result.outcome.status : result.kind;
  } catch (error) {
    status = 'threw';
    log.push(`threw: ${(error as Error).message}`);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
  }
  return {
    status, faults, fired: plan.fired(),
    requests: plan.log.map(({ route, occurrence }) => ({ route, occurrence })),
    log: [...log, ...plan.log.map((r) => `${r.seq} ${r.route} #${r.occurrence} ${r.outcome}`)],
  };
}

/** Runs a scenario in a fresh world: one attempt per fault list (the last should be fault-free), then every invariant. */
export async function runCase(scenario: Scenario, schedule: Fault[][], options: { staleReads?: boolean } = {}): Promise<CaseResult> {
  const world = await startWorld({ buckets: Array.from({ length: scenario.backends }, (_, i) => `registry-${i + 1}`) });
  try {
    const { first, repeat, expect, inputs = {} } = await scenario.setup(world);
    // From here on, a branch read by name may answer its previous head once after every update (github.com's replicas do).
    if (options.staleReads) world.github.setStaleReads(true);
    const attempts: AttemptResult[] = [];
    for (const [i, faults] of schedule.entries()) attempts.push(await runAttempt(world, i === 0 ? first : repeat(), faults, inputs));
    const violations = await checkInvariants(world, { expect });
    if (scenario.verify) violations.push(...await scenario.verify(world));
    // The registry must stay a sound git repository whatever failed (a half-written object would show here).
    await world.github.fsck().catch((error: unknown) => violations.push({ invariant: 7, message: `git fsck: ${(error as Error).message}` }));
    violations.push(...world.github.violations.map((message) => ({ invariant: 'comments' as const, message: `emulator: ${message}` })));
    return { attempts, violations, converged: violations.length === 0 && attempts.at(-1)?.status === scenario.success };
  } finally {
    await world.close();
  }
}

/** The requests of a clean first attempt, as (route, occurrence): the points the matrix fails. */
export async function recordRequests(scenario: Scenario): Promise<RequestPoint[]> {
  const world = await startWorld({ buckets: Array.from({ length: scenario.backends }, (_, i) => `registry-${i + 1}`) });
  try {
    const { first, inputs = {} } = await scenario.setup(world);
    const result = await runAttempt(world, first, [], inputs);
    if (result.status !== scenario.success) throw new Error(`the clean run of ${scenario.name} ended ${result.status}:\n${result.log.join('\n')}`);
    return result.requests;
  } finally {
    await world.close();
  }
}

/** The modes of the matrix: the three ways a request can vanish, and every answer a service can give instead of the right one. */
export const MATRIX_MODES: readonly FaultMode[] = ['refuse', 'lose', 'crash', 'status-5xx', 'rate-limited', 'graphql-error', 'lagging-read', 'exhausted'];

export interface MatrixRow {
  point: RequestPoint;
  mode: FaultMode;
  /** The fault as planned (variants such as 403 or 429, FORBIDDEN or RATE_LIMITED are chosen per row). */
  fault: Fault;
  firstAttempt: string;
  fired: boolean;
  /** In the second pass: whether the fault fired again in the `/retry` too (then a third attempt had to converge). */
  retryFired: boolean | undefined;
  success: string;
  result: CaseResult;
}

/**
 * The fault for one (request, mode) row. Variants take turns by the request's place in the run, so the matrix
 * sees each of them (403 and 429 secondary limits; FORBIDDEN, RATE_LIMITED and, on the commit, STALE_DATA).
 */
export function faultFor(point: RequestPoint, mode: FaultMode, index: number): Fault {
  const fault: Fault = { ...point, mode };
  if (mode === 'rate-limited' && serviceOf(point.route) !== 's3') fault.rateLimitStatus = index % 2 === 0 ? 403 : 429;
  if (mode === 'graphql-error') {
    const types: GraphqlErrorType[] = point.route === 'POST graphql:createCommitOnBranch'
      ? ['FORBIDDEN', 'RATE_LIMITED', 'STALE_DATA'] : ['FORBIDDEN', 'RATE_LIMITED', 'NOT_FOUND'];
    fault.graphqlType = types[index % types.length]!;
  }
  return fault;
}

export interface MatrixCase { point: RequestPoint; mode: FaultMode; fault: Fault }

/** Every request x every mode that can happen to it, each with its fault. */
export function matrixCases(points: RequestPoint[], modes: readonly FaultMode[]): MatrixCase[] {
  return points.flatMap((point, index) => modes.filter((mode) => applicable(mode, point.route))
    .map((mode) => ({ point, mode, fault: faultFor(point, mode, index) })));
}

/** Every request x every mode that can happen to it: attempt 1 with that fault, then a fault-free `/retry`. */
export async function crashMatrix(scenario: Scenario, points: RequestPoint[], modes: readonly FaultMode[],
  options: { concurrency?: number; onRow?: (row: MatrixRow) => void } = {}): Promise<MatrixRow[]> {
  return runCases(scenario, matrixCases(points, modes), false, options);
}

/** Chosen cases of the matrix (a slice of it), run as crashMatrix runs them. */
export async function sliceMatrix(scenario: Scenario, cases: MatrixCase[],
  options: { concurrency?: number; onRow?: (row: MatrixRow) => void } = {}): Promise<MatrixRow[]> {
  return runCases(scenario, cases, false, options);
}

/**
 * The second pass: the rows whose first attempt failed run again, and this time the `/retry` meets the same fault
 * too (where it makes that request); a third, fault-free attempt must converge. A fault the client absorbed on the
 * first attempt would be absorbed on the retry as well, so those rows would prove nothing new.
 */
export async function retryMatrix(scenario: Scenario, firstPass: MatrixRow[],
  options: { concurrency?: number; onRow?: (row: MatrixRow) => void } = {}): Promise<MatrixRow[]> {
  const cases = firstPass.filter((r) => r.fired && r.firstAttempt !== r.success).map(({ point, mode, fault }) => ({ point, mode, fault }));
  return runCases(scenario, cases, true, options);
}

async function runCases(scenario: Scenario, cases: MatrixCase[], faultRetry: boolean,
  options: { concurrency?: number; onRow?: (row: MatrixRow) => void }): Promise<MatrixRow[]> {
  return pool(cases, options.concurrency ?? 2, async ({ point, mode, fault }) => {
    const result = await runCase(scenario, faultRetry ? [[fault], [fault], []] : [[fault], []]);
    const first = result.attempts[0]!;
    const row: MatrixRow = { point, mode, fault, firstAttempt: first.status, fired: first.fired.length > 0,
      retryFired: faultRetry ? result.attempts[1]!.fired.length > 0 : undefined, success: scenario.success, result };
    options.onRow?.(row);
    return row;
  });
}

/** Per mode: how many rows, how many first attempts failed (and of those, converged), were absorbed, or never met their fault. */
export interface ModeSummary { mode: FaultMode; rows: number; failed: number; failedConverged: number; absorbed: number; notReached: number; converged: number }

export function summariseModes(rows: MatrixRow[]): ModeSummary[] {
  const modes = [...new Set(rows.map((r) => r.mode))];
  return modes.map((mode) => {
    const these = rows.filter((r) => r.mode === mode);
    const failed = these.filter((r) => r.fired && r.firstAttempt !== r.success);
    return {
      mode, rows: these.length, failed: failed.length, failedConverged: failed.filter((r) => r.result.converged).length,
      absorbed: these.filter((r) => r.fired && r.firstAttempt === r.success).length,
      notReached: these.filter((r) => !r.fired).length, converged: these.filter((r) => r.result.converged).length,
    };
  });
}

/**
 * Requests whose failure Registrar tolerates by design, so an `exhausted` fault there does not fail the attempt:
 * the 👀 / 🚀 / 😕 reactions and the state labels (the status comment is the report; these only help people scan).
 */
export const BEST_EFFORT_ROUTES: readonly string[] = [
  'POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/reactions',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/labels',
  'POST /repos/{owner}/{repo}/labels',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
  'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
];

/** A random schedule: up to three attempts, each but the last with one to three faults among the recorded requests. */
export function scheduleArbitrary(points: RequestPoint[]): fc.Arbitrary<Fault[][]> {
  const fault = fc.record({
    index: fc.nat({ max: points.length - 1 }),
    mode: fc.constantFrom<FaultMode>('refuse', 'lose', 'crash', 'delay', ...MATRIX_MODES.slice(3)),
    variant: fc.nat({ max: 5 }),
  }).map(({ index, mode, variant }): Fault => {
    const point = points[index]!;
    // A mode that cannot happen to this request falls back to a refused connection, which can happen to any.
    if (!applicable(mode, point.route)) return { ...point, mode: 'refuse' };
    return mode === 'delay' ? { ...point, mode, delayMs: 30 } : faultFor(point, mode, variant);
  });
  // An exhausted fault fails every later occurrence of its route, so no other fault may name one of those.
  const faulty = fc.uniqueArray(fault, { minLength: 1, maxLength: 3, selector: (f) => `${f.route}#${f.occurrence}` })
    .map((faults) => faults.filter((f) => !faults.some((e) => e !== f && e.mode === 'exhausted' && e.route === f.route && e.occurrence < f.occurrence)));
  return fc.array(faulty, { minLength: 1, maxLength: 2 }).map((attempts) => [...attempts, []]);
}

export interface RandomResult { index: number; schedule: Fault[][]; result: CaseResult }

/** `count` schedules drawn from `seed`: the same seed draws the same schedules, so a failure can be replayed. */
export async function randomSchedules(scenario: Scenario, points: RequestPoint[], options: { seed: number; count: number; only?: number;
  concurrency?: number; onResult?: (r: RandomResult) => void }): Promise<RandomResult[]> {
  const schedules = fc.sample(scheduleArbitrary(points), { seed: options.seed, numRuns: options.count });
  const chosen = schedules.map((schedule, index) => ({ schedule, index }))
    .filter(({ index }) => options.only === undefined || index === options.only);
  return pool(chosen, options.concurrency ?? 2, async ({ schedule, index }) => {
    const result = { index, schedule, result: await runCase(scenario, schedule, { staleReads: true }) };
    options.onResult?.(result);
    return result;
  });
}

async function pool<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

export function describeFault(f: Fault): string {
  return `${f.mode} ${f.route} #${f.occurrence}`;
}
