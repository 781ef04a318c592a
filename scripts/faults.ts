// `npm run faults`: the crash-point matrix (every request x refuse/lose/crash, then a retry) and randomised multi-fault schedules, with invariants checked after each.
import { parseArgs } from 'node:util';
import { crashMatrix, describeFault, randomSchedules, recordRequests, type MatrixRow, type RandomResult } from '../test-support/matrix.js';
import { SCENARIOS as ALL } from '../test-support/scenarios.js';

const { values } = parseArgs({
  options: {
    random: { type: 'string', default: '300' },
    seed: { type: 'string' },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    'skip-matrix': { type: 'boolean', default: false },
    scenario: { type: 'string' },
  },
});
const SCENARIOS = values.scenario === undefined ? ALL : ALL.filter((s) => s.name === values.scenario);
if (SCENARIOS.length === 0) throw new Error(`no scenario named ${values.scenario}; there are: ${ALL.map((s) => s.name).join(', ')}`);
const count = Number(values.random);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const concurrency = Number(values.concurrency);
const modes = ['refuse', 'lose', 'crash'] as const;
const started = Date.now();

function firstAttempt(row: MatrixRow): string {
  if (!row.fired) return 'not reached';
  return row.firstAttempt === row.success ? 'absorbed (clients retried)' : `failed (${row.firstAttempt})`;
}

let requests = 0;
const rows: MatrixRow[] = [];
const random: RandomResult[] = [];
for (const scenario of SCENARIOS) {
  const points = await recordRequests(scenario);
  requests += points.length;
  console.log(`\n## ${scenario.name}: a clean first attempt makes ${points.length} requests`);
  if (!values['skip-matrix']) {
    console.log('\n| # | request | occurrence | mode | first attempt | after the repeat |');
    console.log('|---|---|---|---|---|---|');
    let n = 0;
    const these = await crashMatrix(scenario, points, [...modes], {
      concurrency,
      onRow: (row) => {
        n += 1;
        const verdict = row.result.converged ? 'converged' : `NOT converged: ${row.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || row.result.attempts.at(-1)?.status}`;
        console.log(`| ${n} | ${row.point.route} | ${row.point.occurrence} | ${row.mode} | ${firstAttempt(row)} | ${verdict} |`);
      },
    });
    rows.push(...these);
    const failed = these.filter((r) => r.firstAttempt !== scenario.success).length;
    console.log(`\n${scenario.name}: first attempts that failed ${failed}/${these.length}, absorbed by client retries ${these.filter((r) => r.fired && r.firstAttempt === scenario.success).length}`);
  }
  // The random budget is split evenly; each scenario draws from its own seed so a replay needs only (scenario, seed, index).
  const share = Math.ceil(count / SCENARIOS.length);
  const scenarioSeed = seed + SCENARIOS.indexOf(scenario);
  console.log(`random schedules of ${scenario.name}: seed ${scenarioSeed} (replay one: npm run faults -- --scenario "${scenario.name}" --skip-matrix --seed ${scenarioSeed} --random ${share * SCENARIOS.length} --only <index>)`);
  const results = await randomSchedules(scenario, points, {
    seed: scenarioSeed, count: share, concurrency, ...(values.only !== undefined ? { only: Number(values.only) } : {}),
    onResult: ({ index, schedule, result }) => {
      if (!result.converged) {
        console.log(`schedule ${index} did NOT converge: ${schedule.map((a, i) => `attempt ${i + 1}: ${a.map(describeFault).join(', ') || 'no fault'}`).join(' | ')}`);
        for (const v of result.violations) console.log(`  [${v.invariant}] ${v.message}`);
        for (const [i, a] of result.attempts.entries()) console.log(`  attempt ${i + 1}: ${a.status}`);
      }
    },
  });
  random.push(...results);
}

const converged = rows.filter((r) => r.result.converged).length;
const ok = random.filter((r) => r.result.converged).length;
console.log(`\ntook ${((Date.now() - started) / 1000).toFixed(1)} s; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
console.log(`fault matrix: ${converged}/${rows.length} converged (${requests} requests x ${modes.length} modes), random: ${ok}/${random.length} schedules`);
process.exit(converged === rows.length && ok === random.length ? 0 : 1);
