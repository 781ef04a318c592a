// `npm run faults`: the crash-point matrix (every request x refuse/lose/crash, then a retry) and randomised multi-fault schedules, with invariants checked after each.
import { parseArgs } from 'node:util';
import { crashMatrix, describeFault, randomSchedules, recordRequests, type MatrixRow } from '../test-support/matrix.js';
import { publishScenario } from '../test-support/scenarios.js';

const { values } = parseArgs({
  options: {
    random: { type: 'string', default: '300' },
    seed: { type: 'string' },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    'skip-matrix': { type: 'boolean', default: false },
  },
});
const count = Number(values.random);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const concurrency = Number(values.concurrency);
const scenario = publishScenario(1);
const started = Date.now();

const points = await recordRequests(scenario);
console.log(`${scenario.name}: a clean first attempt makes ${points.length} requests`);
const modes = ['refuse', 'lose', 'crash'] as const;

function firstAttempt(row: MatrixRow): string {
  if (!row.fired) return 'not reached';
  return row.firstAttempt === 'published' ? 'absorbed (clients retried)' : `failed (${row.firstAttempt})`;
}

let rows: MatrixRow[] = [];
if (!values['skip-matrix']) {
  console.log('\n| # | request | occurrence | mode | first attempt | after /retry |');
  console.log('|---|---|---|---|---|---|');
  let n = 0;
  rows = await crashMatrix(scenario, points, [...modes], {
    concurrency,
    onRow: (row) => {
      n += 1;
      const verdict = row.result.converged ? 'converged' : `NOT converged: ${row.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || row.result.attempts.at(-1)?.status}`;
      console.log(`| ${n} | ${row.point.route} | ${row.point.occurrence} | ${row.mode} | ${firstAttempt(row)} | ${verdict} |`);
    },
  });
  const failed = rows.filter((r) => r.firstAttempt !== 'published').length;
  console.log(`\nfirst attempts that failed: ${failed}/${rows.length}; absorbed by client retries: ${rows.filter((r) => r.fired && r.firstAttempt === 'published').length}`);
}

console.log(`\nrandom schedules: seed ${seed} (replay one with: npm run faults -- --skip-matrix --seed ${seed} --random ${count} --only <index>)`);
const random = await randomSchedules(scenario, points, {
  seed, count, concurrency, ...(values.only !== undefined ? { only: Number(values.only) } : {}),
  onResult: ({ index, schedule, result }) => {
    if (!result.converged) {
      console.log(`schedule ${index} did NOT converge: ${schedule.map((a, i) => `attempt ${i + 1}: ${a.map(describeFault).join(', ') || 'no fault'}`).join(' | ')}`);
      for (const v of result.violations) console.log(`  [${v.invariant}] ${v.message}`);
      for (const [i, a] of result.attempts.entries()) console.log(`  attempt ${i + 1}: ${a.status}`);
    }
  },
});

const converged = rows.filter((r) => r.result.converged).length;
const ok = random.filter((r) => r.result.converged).length;
console.log(`\ntook ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`fault matrix: ${converged}/${rows.length} converged (${points.length} requests x ${modes.length} modes), random: ${ok}/${random.length} schedules`);
process.exit(converged === rows.length && ok === random.length ? 0 : 1);
