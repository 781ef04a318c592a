// Given one world with published packages and a rolled-back version, when each attack of issue #8 runs through the built action, then it is refused (or ignored, or denied) and nothing is written.
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { CATALOGUE } from '../../test-support/attacks/catalogue.js';
import { runRow, startAttackWorld, type AttackWorld, type RowResult } from '../../test-support/attacks/run.js';

/**
 * The same catalogue as `npm run attack`, one test per row. The parsers' 50 ms verdict is the script's (a 2-core
 * machine running jest is no stopwatch); here a parser fails only past 1 s on 64 KiB, which still catches any
 * super-linear pattern, and the row reports its time either way.
 */
const BUDGETS = { parserMs: 1000, endToEndMs: 3000 };

let world: AttackWorld;
beforeAll(async () => { world = await startAttackWorld(); }, 180_000);
afterAll(async () => { await world?.close(); });

function explain(result: RowResult): string {
  return [`expected ${result.expected}, observed ${result.observed}`,
    ...result.sideEffects.map((s) => `side effect: ${s}`), ...result.problems].join('\n');
}

describe('every attack is refused with no side effect', () => {
  for (const row of CATALOGUE.filter((r) => !r.scriptOnly)) {
    it(`[${row.category}] ${row.name}`, async () => {
      const result = await runRow(world, row, BUDGETS);
      if (!result.clean) throw new Error(explain(result));
    }, 180_000);
  }
});
