// Given one world with published packages and a rolled-back version, when each attack of issue #8 runs through the built action, then it is refused (or ignored, or denied) and nothing is written.
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { CATALOGUE } from '../../test-support/attacks/catalogue.js';
import { runRow, startAttackWorld, type AttackRow, type AttackWorld, type Category, type RowResult } from '../../test-support/attacks/run.js';

/**
 * The same catalogue as `npm run attack`, one test per row. The parsers' 50 ms verdict is the script's (a 2-core
 * machine running jest is no stopwatch); here a parser fails only past 1 s on 64 KiB, which still catches any
 * super-linear pattern, and the row reports its time either way.
 */
const BUDGETS = { parserMs: 1000, endToEndMs: 3000 };

/**
 * Two lanes, each its own world, run side by side (jest runs one file at a time here, and a row is mostly the
 * action's own process, so the second core is free). Within a lane rows run one after another, as in the script,
 * and each is judged against the world as it was right before it; a category never spans lanes.
 */
const LANES: Category[][] = [['request', 'refs', 'events', 'cost'], ['archive', 'commands', 'rendering', 'secrets', 'durability', 'cpu']];
const ROWS = CATALOGUE.filter((r) => !r.scriptOnly);

const worlds: AttackWorld[] = [];
const results = new Map<AttackRow, Promise<RowResult>>();

beforeAll(async () => {
  worlds.push(...await Promise.all(LANES.map(() => startAttackWorld())));
  LANES.forEach((categories, lane) => {
    let previous: Promise<unknown> = Promise.resolve();
    for (const row of ROWS.filter((r) => categories.includes(r.category))) {
      const result = previous.then(() => runRow(worlds[lane]!, row, BUDGETS));
      results.set(row, result);
      previous = result.catch(() => undefined);
    }
  });
}, 300_000);
afterAll(async () => {
  await Promise.allSettled([...results.values()]);
  await Promise.all(worlds.map((w) => w.close()));
});

function explain(result: RowResult): string {
  return [`expected ${result.expected}, observed ${result.observed}`,
    ...result.sideEffects.map((s) => `side effect: ${s}`), ...result.problems].join('\n');
}

describe('every attack is refused with no side effect', () => {
  for (const row of ROWS) {
    it(`[${row.category}] ${row.name}`, async () => {
      const pending = results.get(row);
      if (!pending) throw new Error(`the row is in no lane (category ${row.category}): add the category to LANES`);
      const result = await pending;
      if (!result.clean) throw new Error(explain(result));
    }, 600_000);
  }
});
