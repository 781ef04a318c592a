// The wait before a re-plan after a lost compare-and-swap: a window that doubles with each loss, in units of one observed commit.
import { describe, expect, it } from '@jest/globals';
import { replanWaitMs } from '../../src/pipeline/registry-commit.js';

describe('replanWaitMs', () => {
  it('draws from a window of 2^attempt units, the unit being the observed commit time when it is longer than the pace', () => {
    const contention = { paceMs: 1, commitMs: 40 };
    expect([1, 2, 3].map((attempt) => replanWaitMs(attempt, contention, 0.999_999))).toEqual(
      [2, 4, 8].map((units) => expect.closeTo(units * 40, 0)));
    expect(replanWaitMs(3, contention, 0)).toBe(0);
    expect(replanWaitMs(3, contention, 0.5)).toBe(160);
  });

  it('keeps the pacing setting as the floor, and stops doubling at 2^3 units', () => {
    expect(replanWaitMs(1, { paceMs: 1000, commitMs: 40 }, 0.5)).toBe(1000);
    expect(replanWaitMs(3, { paceMs: 1, commitMs: 10 }, 0.5)).toBe(40);
    expect(replanWaitMs(19, { paceMs: 1, commitMs: 10 }, 0.5)).toBe(40);
    // A commit answered at once (a refused connection) still waits a little: the unit is never below 1 ms.
    expect(replanWaitMs(2, { paceMs: 0, commitMs: 0 }, 0.5)).toBe(2);
  });
});
