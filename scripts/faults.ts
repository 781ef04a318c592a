// `npm run faults`: the crash-point matrix (every request x every mode that can happen to it, then a retry; then again with the retry faulted) and randomised multi-fault schedules, with invariants checked after each.
import { parseArgs } from 'node:util';
import { BEST_EFFORT_ROUTES, MATRIX_MODES, crashMatrix, retryMatrix, describeFault, randomSchedules, recordRequests, summariseModes, type MatrixRow, type RandomResult } from '../test-support/matrix.js';
import { SCENARIOS as ALL } from '../test-support/scenarios.js';

const { values } = parseArgs({
  options: {
    random: { type: 'string', default: '300' },
    seed: { type: 'string' },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    'skip-matrix': { type: 'boolean', default: false },
    'skip-second-pass': { type: 'boolean', default: false },
    scenario: { type: 'string' },
  },
});
const SCENARIOS = values.scenario === undefined ? ALL : ALL.filter((s) => s.name === values.scenario);
if (SCENARIOS.length === 0) throw new Error(`no scenario named ${values.scenario}; there are: ${ALL.map((s) => s.name).join(', ')}`);
const count = Number(values.random);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const concurrency = Number(values.concurrency);
const modes = MATRIX_MODES;
const started = Date.now();

function firstAttempt(row: MatrixRow): string {
  if (!row.fired) return 'not reached';
  return row.firstAttempt === row.success ? 'succeeded anyway' : `failed (${row.firstAttempt})`;
}

function describeMode(row: MatrixRow): string {
  const variant = row.fault.rateLimitStatus ?? row.fault.graphqlType;
  return variant === undefined ? row.mode : `${row.mode} (${variant})`;
}

let requests = 0;
const rows: MatrixRow[] = [];
const secondPass: MatrixRow[] = [];
const random: RandomResult[] = [];
for (const scenario of SCENARIOS) {
  const points = await recordRequests(scenario);
  requests += points.length;
  console.log(`\n## ${scenario.name}: a clean first attempt makes ${points.length} requests`);
  if (!values['skip-matrix']) {
    let firstPass: MatrixRow[] = [];
    for (const pass of values['skip-second-pass'] ? [1] : [1, 2]) {
      console.log(pass === 1
        ? '\nPass 1: the first attempt meets the fault, then a fault-free `/retry`.'
        : '\nPass 2: every row whose first attempt failed, now with the `/retry` meeting the same fault again (where it makes that request), then a third attempt.');
      console.log('\n| # | request | occurrence | mode | first attempt | retry | after the repeat |');
      console.log('|---|---|---|---|---|---|---|');
      let n = 0;
      const onRow = (row: MatrixRow) => {
        n += 1;
        const verdict = row.result.converged ? 'converged' : `NOT converged: ${row.result.violations.map((v) => `[${v.invariant}] ${v.message}`).join('; ') || row.result.attempts.at(-1)?.status}`;
        const retry = row.retryFired === undefined ? '-' : row.retryFired ? `faulted (${row.result.attempts[1]!.status})` : 'not reached';
        console.log(`| ${n} | ${row.point.route} | ${row.point.occurrence} | ${describeMode(row)} | ${firstAttempt(row)} | ${retry} | ${verdict} |`);
      };
      const these = pass === 1 ? await crashMatrix(scenario, points, modes, { concurrency, onRow }) : await retryMatrix(scenario, firstPass, { concurrency, onRow });
      if (pass === 1) firstPass = these;
      (pass === 1 ? rows : secondPass).push(...these);
      console.log(`\n${scenario.name}, pass ${pass}: ${these.filter((r) => r.result.converged).length}/${these.length} converged; `
        + `first attempts that failed ${these.filter((r) => r.firstAttempt !== scenario.success).length}, succeeded anyway (client retries or a re-plan) ${these.filter((r) => r.fired && r.firstAttempt === scenario.success).length}`);
    }
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

const all = [...rows, ...secondPass];
console.log('\n## Per mode (both passes): how many first attempts failed, and whether the repeat converged\n');
console.log('| mode | rows | first attempt failed | of those, converged on /retry | succeeded anyway (client retries, re-plans) | fault not reached | converged |');
console.log('|---|---|---|---|---|---|---|');
for (const m of summariseModes(all)) {
  console.log(`| ${m.mode} | ${m.rows} | ${m.failed} | ${m.failedConverged} | ${m.absorbed} | ${m.notReached} | ${m.converged} |`);
}
// `exhausted` must fail every first attempt: only a request Registrar tolerates by design may be absorbed.
const exhaustedAbsorbed = all.filter((r) => r.mode === 'exhausted' && r.firstAttempt === r.success && !BEST_EFFORT_ROUTES.includes(r.point.route));
for (const r of exhaustedAbsorbed) console.log(`exhausted ${r.point.route} #${r.point.occurrence} did NOT fail its first attempt`);
const tolerated = all.filter((r) => r.mode === 'exhausted' && r.firstAttempt === r.success && BEST_EFFORT_ROUTES.includes(r.point.route));
if (tolerated.length > 0) console.log(`exhausted on a best-effort request (tolerated by design): ${tolerated.map((r) => `${r.point.route} #${r.point.occurrence}`).join(', ')}`);

const converged = all.filter((r) => r.result.converged).length;
const ok = random.filter((r) => r.result.converged).length;
console.log(`\ntook ${((Date.now() - started) / 1000).toFixed(1)} s; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
console.log(`fault matrix: ${converged}/${all.length} converged (${requests} requests x ${modes.length} modes), random: ${ok}/${random.length} schedules`);
process.exit(converged === all.length && ok === random.length && exhaustedAbsorbed.length === 0 ? 0 : 1);
