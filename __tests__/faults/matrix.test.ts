// The crash-point matrix inside `npm test`: every request of a publish failed in every mode, then /retry, then every invariant.
import { describe, expect, it } from '@jest/globals';
import { crashMatrix, describeFault, randomSchedules, recordRequests } from '../../test-support/matrix.js';
import { publishScenario } from '../../test-support/scenarios.js';

const scenario = publishScenario(1);
/** A smaller random run than `npm run faults`; FAULTS_SEED replays a printed seed. */
const RANDOM = Number(process.env.FAULTS_RANDOM ?? 12);
const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 2 ** 31);

describe(`the crash-point matrix of ${scenario.name}`, () => {
  it('converges from a fault at every request in every mode (refuse, lose, crash)', async () => {
    const points = await recordRequests(scenario);
    // The clean run of a publish touches both servers and every step: a matrix over less proves less.
    expect(points.map((p) => p.route)).toEqual(expect.arrayContaining([
      'POST graphql:createCommitOnBranch', 'PUT s3:PutObject backend1/staging', 'PUT s3:CopyObject backend1/final',
      'DELETE s3:DeleteObject backend1/staging', 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}',
    ]));
    const rows = await crashMatrix(scenario, points, ['refuse', 'lose', 'crash']);
    const failures = rows.filter((r) => !r.result.converged).map((r) =>
      `${describeFault({ ...r.point, mode: r.mode })}: ${r.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(rows).toHaveLength(points.length * 3);
    // Every fault really fired, and every crash really failed the first attempt.
    expect(rows.filter((r) => !r.fired)).toEqual([]);
    expect(rows.filter((r) => r.mode === 'crash' && r.firstAttempt === 'published')).toEqual([]);
  }, 600_000);

  it(`converges from ${RANDOM} random multi-fault schedules (seed ${SEED})`, async () => {
    const points = await recordRequests(scenario);
    const results = await randomSchedules(scenario, points, { seed: SEED, count: RANDOM });
    const failures = results.filter((r) => !r.result.converged).map((r) =>
      `seed ${SEED} schedule ${r.index}: ${r.schedule.map((a) => a.map(describeFault).join(', ') || 'no fault').join(' | ')} → `
      + `${r.result.violations.map((v) => v.message).join('; ') || r.result.attempts.at(-1)?.status}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(RANDOM);
  }, 600_000);
});
