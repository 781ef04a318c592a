// `npm run attack`: every attack of issue #8 through the built action on real local servers, one row each, judged by an independent checker; exits non-zero unless every attack was refused cleanly.
import { CATALOGUE, CAP_BUILD_HOOK, costReport } from '../test-support/attacks/catalogue.js';
import { CATEGORIES, runRow, startAttackWorld, summaryLine, type RowResult } from '../test-support/attacks/run.js';
import { existsSync } from 'node:fs';

/** The verdicts `npm run attack` gives: 50 ms per parser on 64 KiB (median of five), 1 s over an ordinary run end to end. */
const BUDGETS = { parserMs: 50, endToEndMs: 1000 };

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const verbose = args.includes('--verbose');
const category = args.includes('--category') ? args[args.indexOf('--category') + 1] : undefined;
const rows = CATALOGUE.filter((r) => (!only || r.name.includes(only)) && (!category || r.category === category));

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
const started = Date.now();
const world = await startAttackWorld();
console.log(`world ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${rows.length} attacks`);
const results: RowResult[] = [];
try {
  for (const [i, row] of rows.entries()) {
    const result = await runRow(world, row, BUDGETS);
    results.push(result);
    process.stdout.write(`${String(i + 1).padStart(3)} ${result.clean ? 'ok  ' : 'FAIL'} ${cut(result.category, 10)} ${cut(result.name, 78)} ${(result.ms / 1000).toFixed(1)} s\n`);
    if (verbose && result.said) process.stdout.write(`      said: ${result.said}\n`);
  }
} finally {
  await world.close();
}

console.log('\n' + ['#'.padStart(3), cut('category', 10), cut('attack', 70), cut('expected', 22), cut('observed', 44), 'side effects'].join(' | '));
for (const [i, r] of results.entries()) {
  console.log([String(i + 1).padStart(3), cut(r.category, 10), cut(r.name, 70), cut(r.expected, 22), cut(r.observed, 44),
    r.sideEffects.length === 0 ? 'none' : `${r.sideEffects.length}: ${r.sideEffects[0]}`].join(' | '));
}
console.log('\nPer category:');
for (const c of CATEGORIES) {
  const mine = results.filter((r) => r.category === c);
  if (mine.length > 0) console.log(`  ${cut(c, 10)} ${mine.filter((r) => r.clean).length}/${mine.length}`);
}
if (results.some((r) => r.category === 'cost')) console.log(`\nParsers timed (median of 5, worse of 64 KiB and 15 KiB): ${(await costReport()).parsers.join(', ')}; budget ${BUDGETS.parserMs} ms each.`);
if (!existsSync(CAP_BUILD_HOOK)) console.log(`\nCPU rows: ${CAP_BUILD_HOOK} (measureCapBuild) is missing; no CPU row ran.`);
const failing = results.filter((r) => !r.clean);
if (failing.length > 0) {
  console.log('\nNot refused cleanly:');
  for (const r of failing) {
    console.log(`- [${r.category}] ${r.name}: expected ${r.expected}, observed ${r.observed}${r.said ? ` — said: ${r.said.slice(0, 120)}` : ''}`);
    for (const line of [...r.sideEffects.map((s) => `side effect: ${s}`), ...r.problems]) console.log(`    ${line.slice(0, 300)}`);
  }
}
console.log(`\nran in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(summaryLine(results));
process.exitCode = failing.length === 0 ? 0 : 1;
