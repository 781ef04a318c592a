// The crash-point matrix inside `npm test`: every request of each command failed in every mode, then the repeat, then every invariant.
import { describe, expect, it } from '@jest/globals';
import { crashMatrix, describeFault, randomSchedules, recordRequests } from '../../test-support/matrix.js';
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
};

describe.each(SCENARIOS)('the crash-point matrix of $name', (scenario) => {
  it('converges from a fault at every request in every mode (refuse, lose, crash)', async () => {
    const points = await recordRequests(scenario);
    expect(points.map((p) => p.route)).toEqual(expect.arrayContaining(MUST_TOUCH[scenario.name] ?? ['(no list for this scenario)']));
    const rows = await crashMatrix(scenario, points, ['refuse', 'lose', 'crash']);
    const failures = rows.filter((r) => !r.result.converged).map((r) =>
      `${describeFault({ ...r.point, mode: r.mode })}: ${r.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(rows).toHaveLength(points.length * 3);
    // Every fault really fired, and every crash really failed the first attempt.
    expect(rows.filter((r) => !r.fired)).toEqual([]);
    expect(rows.filter((r) => r.mode === 'crash' && r.firstAttempt === r.success)).toEqual([]);
  }, 900_000);

  it(`converges from ${RANDOM} random multi-fault schedules (seed ${SEED})`, async () => {
    const points = await recordRequests(scenario);
    const results = await randomSchedules(scenario, points, { seed: SEED, count: RANDOM });
    const failures = results.filter((r) => !r.result.converged).map((r) =>
      `seed ${SEED} schedule ${r.index}: ${r.schedule.map((a) => a.map(describeFault).join(', ') || 'no fault').join(' | ')} → `
      + `${r.result.violations.map((v) => v.message).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(RANDOM);
  }, 900_000);
});
