// The crash-point matrix inside `npm test`: a slice of every command's requests failed in every mode, then the repeat (itself faulted in a second pass), then every invariant.
import { describe, expect, it } from '@jest/globals';
import { BEST_EFFORT_ROUTES, MATRIX_MODES, crashMatrix, retryMatrix, describeFault, randomSchedules, recordRequests, type RequestPoint, type Scenario } from '../../test-support/matrix.js';
import { SCENARIOS } from '../../test-support/scenarios.js';

/** A smaller random run than `npm run faults`; FAULTS_SEED replays a printed seed. */
const RANDOM = Number(process.env.FAULTS_RANDOM ?? 6);
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
 * npm test runs a slice of `npm run faults`: every mode on every SLICE-th request (the offset moves with the seed, so
 * runs cover different requests) plus the requests above; the full matrix runs as a CI step of its own.
 */
const SLICE = Number(process.env.FAULTS_SLICE ?? 4);
const OFFSET = SEED % SLICE;

function slice(scenario: Scenario, points: RequestPoint[]): RequestPoint[] {
  const always = new Set(MUST_TOUCH[scenario.name] ?? []);
  return points.filter((p, i) => i % SLICE === OFFSET || (always.has(p.route) && p.occurrence === 1));
}

describe.each(SCENARIOS)('the crash-point matrix of $name', (scenario) => {
  it(`converges from a fault at every ${SLICE}th request (offset ${OFFSET}) in every mode, and from a faulted /retry`, async () => {
    const points = await recordRequests(scenario);
    expect(points.map((p) => p.route)).toEqual(expect.arrayContaining(MUST_TOUCH[scenario.name] ?? ['(no list for this scenario)']));
    const chosen = slice(scenario, points);
    const rows = await crashMatrix(scenario, chosen, MATRIX_MODES);
    const retried = await retryMatrix(scenario, rows);
    const failures = [...rows, ...retried].filter((r) => !r.result.converged).map((r) =>
      `${describeFault(r.fault)}${r.retryFired === undefined ? '' : ' (and on /retry)'}: `
      + `${r.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || r.result.attempts.map((a) => a.status).join(' → ')}`);
    expect(failures).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(chosen.length * 5);
    // Every fault really fired, and crashes and exhausted retries really failed the first attempt.
    expect(rows.filter((r) => !r.fired).map((r) => describeFault(r.fault))).toEqual([]);
    expect(rows.filter((r) => (r.mode === 'crash' || r.mode === 'exhausted') && r.firstAttempt === r.success
      && !BEST_EFFORT_ROUTES.includes(r.point.route)).map((r) => describeFault(r.fault))).toEqual([]);
  }, 900_000);

  it(`converges from ${RANDOM} random multi-fault schedules with stale reads on (seed ${SEED})`, async () => {
    const points = await recordRequests(scenario);
    const results = await randomSchedules(scenario, points, { seed: SEED, count: RANDOM });
    const failures = results.filter((r) => !r.result.converged).map((r) =>
      `seed ${SEED} schedule ${r.index}: ${r.schedule.map((a) => a.map(describeFault).join(', ') || 'no fault').join(' | ')} → `
      + `${r.result.violations.map((v) => v.message).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(RANDOM);
  }, 900_000);
});
