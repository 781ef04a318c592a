// `npm run caps`: what a package at every cap costs: builds each cap archive, runs buildCanonicalTarball on it in a child process (wall time, peak RSS), and times the path checks on hostile 64 KiB paths.
import { parseArgs } from 'node:util';
import { collisionProblems, pathProblems } from '../src/core/archive-paths.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import { CAP_VARIANTS, measureCapBuild, type CapBuild, type CapVariant } from '../test-support/cap-archive.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    /** Another Node binary for the child (e.g. Node 24's), to compare runtimes: the sha256 must not change. */
    node: { type: 'string' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
const MiB = 1024 * 1024;
const maxSeconds = Number(values['max-seconds']);
const variants = (values.variant ?? CAP_VARIANTS) as CapVariant[];
for (const v of variants) if (!CAP_VARIANTS.includes(v)) throw new Error(`unknown variant ${v}; there are: ${CAP_VARIANTS.join(', ')}`);

let failed = false;

// ---------------------------------------------------------------------------------------------------------------
// Path checks: every one linear and capped; a 64 KiB path must be judged in well under 50 ms.
const K64 = 64 * 1024;
const HOSTILE_PATHS: Array<[string, string]> = [
  ['64 KiB of spaces, then x', ' '.repeat(K64 - 1) + 'x'],
  ['64 KiB of slashes, then x', '/'.repeat(K64 - 1) + 'x'],
  ['a/ × 32 Ki (32,768 segments)', 'a/'.repeat(K64 / 2)],
  ['con + spaces + x (reserved-name stem)', 'con' + ' '.repeat(K64 - 4) + 'x'],
  ['64 KiB of combining accents (not NFC)', 'e' + '\u0301'.repeat(K64 - 1)],
  ['32 Ki emoji (surrogate pairs)', '\u{1F600}'.repeat(K64 / 2)],
  ['64 KiB of dots and spaces', '. '.repeat(K64 / 2)],
];
const PATH_BUDGET_MS = 50;
console.log('| hostile path | ms (median of 5) | verdict (with, without limits; collisions) |');
console.log('|---|---:|---|');
for (const [name, path] of HOSTILE_PATHS) {
  const times: number[] = [];
  let verdict: string[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    verdict = [...pathProblems(path, DEFAULT_LIMITS), ...pathProblems(path), ...collisionProblems([path, path.toUpperCase()])];
    times.push(performance.now() - started);
  }
  const ms = times.sort((a, b) => a - b)[2]!;
  // The message without the quoted path (whitespace and accents are hard to read in a table): what was decided.
  const first = verdict[0] ?? 'accepted';
  console.log(`| ${name} | ${ms.toFixed(2)} | ${verdict.length} problem(s): "…${first.slice(first.lastIndexOf('" ') + 1).trim()}" |`);
  if (verdict.length === 0 && path.length > DEFAULT_LIMITS.pathLength) {
    console.log(`caps: path "${name}" was accepted`);
    failed = true;
  }
  if (ms > PATH_BUDGET_MS) {
    console.log(`caps: path "${name}" took ${ms.toFixed(1)} ms, over ${PATH_BUDGET_MS} ms`);
    failed = true;
  }
}
console.log('');

// ---------------------------------------------------------------------------------------------------------------
// A publish at the caps.
const results: CapBuild[] = [];
for (const variant of variants) {
  try {
    const build = await measureCapBuild(variant, values.node === undefined ? {} : { node: values.node });
    results.push(build);
    const a = build.archive;
    console.log(
      `${variant}: archive ${(a.compressedBytes / MiB).toFixed(2)} MiB compressed (cap ${DEFAULT_LIMITS.archiveBytes / MiB}), ` +
        `${(a.unpackedBytes / MiB).toFixed(2)} MiB unpacked (cap ${DEFAULT_LIMITS.unpackedBytes / MiB}), ratio ${(a.unpackedBytes / a.compressedBytes).toFixed(1)} (cap ${DEFAULT_LIMITS.ratio}), ` +
        `${a.entries} entries (cap ${DEFAULT_LIMITS.entries}), largest file ${a.largestFileBytes} bytes (cap ${DEFAULT_LIMITS.fileBytes}), ` +
        `longest path ${a.longestPath} chars (cap ${DEFAULT_LIMITS.pathLength}), depth ${a.deepestPath} (cap ${DEFAULT_LIMITS.pathDepth}), pax ${a.paxBytes} bytes (cap ${DEFAULT_LIMITS.paxBytes})`,
    );
    console.log(`${variant}: canonical tarball ${build.bytes} bytes, ${build.files} files, sha256 ${build.sha256}`);
    console.log(`${variant}: the child's RSS was ${build.startRssMiB.toFixed(0)} MiB before the build (Node, tsx, modules)`);
    console.log(`caps: ${variant} built in ${build.seconds.toFixed(2)} s, peak RSS ${build.peakRssMiB.toFixed(0)} MiB`);
    if (build.seconds > maxSeconds) {
      console.log(`caps: ${variant} took over ${maxSeconds} s`);
      failed = true;
    }
  } catch (error) {
    console.log(`caps: ${variant} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    failed = true;
  }
}
if (results.length > 0) {
  console.log(`\n| archive | compressed MiB | unpacked MiB | entries | build s | peak RSS MiB (before build) | tarball bytes | sha256 |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    console.log(
      `| ${r.variant} | ${(r.archive.compressedBytes / MiB).toFixed(2)} | ${(r.archive.unpackedBytes / MiB).toFixed(2)} | ${r.archive.entries} | ${r.seconds.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} (${r.startRssMiB.toFixed(0)}) | ${r.bytes} | ${r.sha256.slice(0, 16)}… |`,
    );
  }
}
process.exitCode = failed ? 1 : 0;
