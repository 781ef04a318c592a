// The crash-point matrix inside `npm test`: every command, every mode at a request the seed picks, then the repeat (itself faulted in a second pass), then every invariant.
import { describe, expect, it } from '@jest/globals';
import { BEST_EFFORT_ROUTES, MATRIX_MODES, describeFault, matrixCases, randomSchedules, recordRequests, retryMatrix, sliceMatrix, type MatrixCase, type RequestPoint } from '../../test-support/matrix.js';
import { applicable } from '../../test-support/faults/index.js';
import { SCENARIOS } from '../../test-support/scenarios.js';

/** A smaller random run than `npm run faults` (CI's own step runs 300); FAULTS_SEED replays a printed seed. */
const RANDOM = Number(process.env.FAULTS_RANDOM ?? 3);
const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 2 ** 31);

/** Requests every command's clean run must make: a matrix over less proves less. */
const MUST_TOUCH: Record<string, string[]> = {
  publish: ['POST graphql:createCommitOnBranch', 'PUT s3:PutObject backend1/staging', 'PUT s3:CopyObject backend1/final',
    'DELETE s3:DeleteObject backend1/staging', 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}'],
  'publish to 2 backends': ['PUT s3:PutObject backend2/staging', 'PUT s3:CopyObject backend2/final', 'DELETE s3:DeleteObject backend2/staging'],
  'rollback on 2 backends': ['POST graphql:createCommitOnBranch', 'DELETE s3:DeleteObject backend1/final', 'DELETE s3:DeleteObject backend2/final'],
  'publish a second version': ['POST graphql:repository', 'POST graphql:createCommitOnBranch', 'PUT s3:CopyObject backend1/final'],
  'refuse an already-published version': ['POST graphql:repository', 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}'],
};

/**
 * npm test runs a slice of `npm run faults` (which CI runs whole): every mode once per command, each at a request
 * the seed picks among those it can happen to (so runs cover different requests), plus a lost answer and a crash at
 * the commit and at the promote copy; then the second pass over the first attempts that failed.
 */
function slice(points: RequestPoint[]): MatrixCase[] {
  const all = matrixCases(points, MATRIX_MODES);
  const picked = MATRIX_MODES.flatMap((mode, i) => {
    const candidates = all.filter((c) => c.mode === mode);
    return candidates.length === 0 ? [] : [candidates[(SEED + i * 7) % candidates.length]!];
  });
  const critical = all.filter((c) => (c.mode === 'lose' || c.mode === 'crash') && c.point.occurrence === 1
    && (c.point.route === 'POST graphql:createCommitOnBranch' || c.point.route === 'PUT s3:CopyObject backend1/final'));
  return [...new Set([...picked, ...critical])];
}

/** Each command's clean run, recorded once and shared by its two tests (a recording is a whole world and a run). */
const recorded = new Map<string, Promise<RequestPoint[]>>();
function pointsOf(scenario: (typeof SCENARIOS)[number]): Promise<RequestPoint[]> {
  if (!recorded.has(scenario.name)) recorded.set(scenario.name, recordRequests(scenario));
  return recorded.get(scenario.name)!;
}

describe.each(SCENARIOS)('the crash-point matrix of $name', (scenario) => {
  it(`converges from every mode at a request picked by seed ${SEED}, and from a faulted /retry`, async () => {
    const points = await pointsOf(scenario);
    expect(points.map((p) => p.route)).toEqual(expect.arrayContaining(MUST_TOUCH[scenario.name] ?? ['(no list for this scenario)']));
    const cases = slice(points);
    const rows = await sliceMatrix(scenario, cases);
    const retried = await retryMatrix(scenario, rows);
    const failures = [...rows, ...retried].filter((r) => !r.result.converged).map((r) =>
      `${describeFault(r.fault)}${r.retryFired === undefined ? '' : ' (and on /retry)'}: `
      + `${r.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || r.result.attempts.map((a) => a.status).join(' → ')}`);
    expect(failures).toEqual([]);
    // Every mode that can happen to this command ran, every fault really fired, and crashes and exhausted retries failed the first attempt.
    expect(new Set(rows.map((r) => r.mode))).toEqual(new Set(MATRIX_MODES.filter((m) => points.some((p) => applicable(m, p.route)))));
    expect(rows.filter((r) => !r.fired).map((r) => describeFault(r.fault))).toEqual([]);
    expect(rows.filter((r) => (r.mode === 'crash' || r.mode === 'exhausted') && r.firstAttempt === r.success
      && !BEST_EFFORT_ROUTES.includes(r.point.route)).map((r) => describeFault(r.fault))).toEqual([]);
  }, 900_000);

  it(`converges from ${RANDOM} random multi-fault schedules with stale reads on (seed ${SEED})`, async () => {
    const points = await pointsOf(scenario);
    const results = await randomSchedules(scenario, points, { seed: SEED, count: RANDOM });
    const failures = results.filter((r) => !r.result.converged).map((r) =>
      `seed ${SEED} schedule ${r.index}: ${r.schedule.map((a) => a.map(describeFault).join(', ') || 'no fault').join(' | ')} → `
      + `${r.result.violations.map((v) => v.message).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(RANDOM);
  }, 900_000);
});
