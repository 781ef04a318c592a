// `npm run deflate`: measures the deflate candidates for the canonical tarball side by side (speed, size, and whether native zlib's bytes equal a pure-JS deflate's), on the content kinds that matter; `-- --build` times whole builds instead.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync as zlibGzip } from 'node:zlib';
import { Gzip, gzipSync as fflateGzip } from 'fflate';
import { githubArchive, chunks, type TestEntry } from '../__tests__/fixtures/archive-builder.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import { buildTarballWithFormat, canonicalGzip, CANONICAL_FORMAT, type LazyParams, type TarballFormat } from '../src/core/tarball.js';
import { SeededBytes, randomContent, repetitiveText, twoLetterContent } from '../test-support/cap-archive.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    pako: { type: 'string' },
    /** Time whole builds (buildTarballWithFormat: read, spool, write, hash, check) instead of deflate calls. */
    build: { type: 'boolean', default: false },
  },
});
const MiB = 1024 * 1024;
const size = Number(values.mib) * MiB;
const reps = Number(values.reps);

/**
 * pako is not a dependency (fflate was chosen): it is measured when installed, or from a directory given with
 * `--pako` (e.g. after `npm install --prefix /tmp/pako pako@2`, `--pako /tmp/pako/node_modules/pako`).
 */
type Pako = { gzip(data: Uint8Array, options: { level: number }): Uint8Array };
const pakoDir = values.pako ?? 'node_modules/pako';
const pako: Pako | undefined = await import(pathToFileURL(join(resolve(pakoDir), 'dist/pako.esm.mjs')).href).then(
  (module: Partial<Pako> & { default?: Pako }) => (module.gzip ? (module as Pako) : module.default),
  () => undefined,
);
const pakoVersion = pako ? (JSON.parse(readFileSync(join(pakoDir, 'package.json'), 'utf8')) as { version: string }).version : undefined;
const fflateVersion = (JSON.parse(readFileSync('node_modules/fflate/package.json', 'utf8')) as { version: string }).version;

/** Real files of a source tree: everything under node_modules in sorted order (JS, type declarations, JSON, Markdown, maps, the odd binary). */
function sourceTree(bytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (total >= bytes) return;
      const path = join(dir, name);
      const info = statSync(path);
      if (info.isDirectory()) walk(path);
      else if (info.isFile() && info.size < 4 * MiB) {
        const content = readFileSync(path);
        parts.push(content);
        total += content.length;
      }
    }
  };
  walk('node_modules');
  return Buffer.concat(parts).subarray(0, bytes);
}

const source = new SeededBytes('deflate candidates');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (values.build) {
  await buildRates();
  process.exit(0);
}
const CORPORA: Array<{ name: string; data: Buffer }> = [
  { name: 'low-entropy: two-letter random', data: twoLetterContent(source, size) },
  { name: 'low-entropy: repetitive text', data: repetitiveText(source, size, 700) },
  { name: 'high-entropy: random', data: randomContent(source, size) },
  { name: 'source tree (node_modules)', data: sourceTree(size) },
];

/**
 * Whole builds: a package of `--mib` MiB of one content kind (4 MiB files, as scripts/bench.ts builds them), in a
 * gzip'd archive in memory, built `--reps` times after a warm-up; MiB of tar per second, the median. Before (fflate
 * level 1 throughout, byte order, directory entries) and the canonical format side by side.
 */
async function buildRates(): Promise<void> {
  const formats: Array<[string, Readonly<TarballFormat>]> = [
    ['before: fflate 1', { schedule: [{ level: 1 }], mem: 4, order: 'path', directories: true }],
    ['canonical: LazyDeflate 4 MiB, then fflate 1', CANONICAL_FORMAT],
  ];
  const kinds: Array<[string, (size: number) => Buffer]> = [
    ['random', (n) => randomContent(source, n)],
    ['zeros', (n) => Buffer.alloc(n)],
    ['source-like text (1 random byte in 500)', (n) => repetitiveText(source, n, 500)],
    ['source tree (node_modules)', (n) => sourceTree(n)],
    ['two-letter random (adversarial)', (n) => twoLetterContent(source, n)],
  ];
  const limits = { ...DEFAULT_LIMITS, ratio: 1_000_000, unpackedBytes: 4 * size + MiB, archiveBytes: 4 * size + MiB };
  console.log(`whole builds: Node ${process.version}, ${values.mib} MiB packages, ${reps} repetitions (median), load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`);
  console.log(`| content | ${formats.map(([name]) => `${name}: MiB/s`).join(' | ')} | ${formats.map(([name]) => `${name}: output / input`).join(' | ')} |`);
  console.log(`|---|${formats.map(() => '---:').join('|')}|${formats.map(() => '---:').join('|')}|`);
  for (const [kind, make] of kinds) {
    const files: TestEntry[] = [{ path: "package.json", body: "{\"name\":\"build\",\"version\":\"1.0.0\"}" }];
    for (let at = 0, i = 0; at < size; at += 4 * MiB, i++) files.push({ path: `lib/part-${i}.dat`, body: make(Math.min(4 * MiB, size - at)) });
    const archive = githubArchive(files);
    const rates: string[] = [];
    const ratios: string[] = [];
    for (const [, format] of formats) {
      const times: number[] = [];
      let bytes = 0;
      for (let rep = 0; rep <= reps; rep++) {
        const workDir = await mkdtemp(join(tmpdir(), 'registrar-deflate-build-'));
        try {
          const started = performance.now();
          const built = await buildTarballWithFormat(chunks(archive, MiB), { name: 'build', version: '1.0.0', limits, workDir }, format);
          if (rep > 0) times.push((performance.now() - started) / 1000);
          bytes = built.size;
        } finally {
          await rm(workDir, { recursive: true, force: true });
        }
      }
      rates.push((size / MiB / median(times)).toFixed(1));
      ratios.push((bytes / size).toFixed(4));
    }
    console.log(`| ${kind} | ${rates.join(' | ')} | ${ratios.join(' | ')} |`);
  }
}

/** LazyDeflate (src/core/deflate.ts) alone, with the canonical settings and with others, through canonicalGzip. */
function lazyCandidates(): Candidate[] {
  const canonical = CANONICAL_FORMAT.schedule[0]!.level as LazyParams;
  const alone = (params: LazyParams): TarballFormat => ({ ...CANONICAL_FORMAT, schedule: [{ level: params }] });
  return [
    { name: 'LazyDeflate zlib-9 search, budget 32 (chosen)', params: canonical },
    // Without a budget the same search takes ~20 s per MiB of two-letter text: not listed, it would dominate the run.
    { name: 'LazyDeflate zlib-6 search', params: { good: 8, lazy: 16, nice: 128, chain: 128, budget: Infinity } },
  ].map(({ name, params }) => ({ name, run: (d: Uint8Array) => canonicalGzip([d], alone(params)) }));
}

interface Candidate {
  name: string;
  run: (data: Uint8Array) => Uint8Array;
  /** For native zlib: the pure-JS candidates at the same level, whose bytes it is compared with. */
  sameAs?: string[];
}

/** fflate's streaming Gzip at level 1, mem 4, fed fixed-size pushes (what canonicalGzip does, with another push size). */
function streamed(data: Uint8Array, push: number): Uint8Array {
  const out: Uint8Array[] = [];
  const gzip = new Gzip({ level: 1, mem: 4, mtime: 0 }, (chunk) => out.push(chunk.slice()));
  for (let offset = 0; offset < data.length; offset += push) gzip.push(data.subarray(offset, offset + push), offset + push >= data.length);
  if (data.length === 0) gzip.push(data, true);
  return Buffer.concat(out);
}

const CANDIDATES: Candidate[] = [
  ...[1, 3, 6].map((level) => ({ name: `fflate ${level}`, run: (d: Uint8Array) => fflateGzip(d, { level: level as 1 | 3 | 6, mtime: 0 }) })),
  // fflate's default hash size for inputs of a few MiB or more is mem 8, so this is also plain `fflate 9`.
  { name: 'fflate 9 mem 8 (before)', run: (d: Uint8Array) => fflateGzip(d, { level: 9, mem: 8, mtime: 0 }) },
  ...[2, 4, 8].map((mem) => ({ name: `fflate 1 mem ${mem}`, run: (d: Uint8Array) => fflateGzip(d, { level: 1, mem: mem as 2 | 4 | 8, mtime: 0 }) })),
  { name: 'fflate 2 mem 4', run: (d: Uint8Array) => fflateGzip(d, { level: 2, mem: 4, mtime: 0 }) },
  ...[16, 64, 256, 1024].map((kib) => ({ name: `fflate 1 mem 4, ${kib} KiB pushes`, run: (d: Uint8Array) => streamed(d, kib * 1024) })),
  ...lazyCandidates(),
  { name: 'canonicalGzip (chosen: lazy for 8 MiB, then fflate 1)', run: (d: Uint8Array) => canonicalGzip([d]) },
  ...(pako ? [1, 3, 6].map((level) => ({ name: `pako ${level}`, run: (d: Uint8Array) => pako.gzip(d, { level }) })) : []),
  ...[1, 3, 6, 9].map((level) => ({
    name: `node:zlib ${level}`,
    run: (d: Uint8Array) => zlibGzip(d, { level }),
    sameAs: level === 9 ? ['fflate 9 mem 8 (before)'] : [`fflate ${level}`, `pako ${level}`],
  })),
].filter((c) => values.only === undefined || c.name.includes(values.only));

/** The deflate stream alone: gzip headers differ by design (OS byte, XFL), the compressed data is what must match. */
const deflateBody = (gz: Uint8Array) => Buffer.from(gz.subarray(10, gz.length - 8));
const short = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

console.log(`deflate candidates: Node ${process.version}, fflate ${fflateVersion}, pako ${pakoVersion ?? 'not installed'}, zlib ${process.versions.zlib}`);
console.log(`${values.mib} MiB per corpus, ${reps} repetitions (median), candidates interleaved within each repetition\n`);

// Warm every candidate up on a small input first, so the first corpus does not pay for the JIT.
for (const candidate of CANDIDATES) candidate.run(CORPORA[3]!.data.subarray(0, MiB));

const bodies = new Map<string, Buffer>();
const rows: string[] = [];
rows.push('| corpus | candidate | MiB/s (median) | output / input | native bytes equal | output sha256 (first 12) |');
rows.push('|---|---|---:|---:|---|---|');
for (const corpus of CORPORA) {
  const times = new Map<string, number[]>(CANDIDATES.map((c) => [c.name, []]));
  const outputs = new Map<string, Uint8Array>();
  for (let rep = 0; rep < reps; rep++) {
    for (const candidate of CANDIDATES) {
      const started = performance.now();
      const output = candidate.run(corpus.data);
      times.get(candidate.name)!.push((performance.now() - started) / 1000);
      outputs.set(candidate.name, output);
    }
  }
  for (const candidate of CANDIDATES) {
    const output = outputs.get(candidate.name)!;
    bodies.set(`${corpus.name}/${candidate.name}`, deflateBody(output));
    const rate = size / MiB / median(times.get(candidate.name)!);
    let equal = '';
    if (candidate.sameAs) {
      equal = candidate.sameAs
        .filter((other) => outputs.has(other))
        .map((other) => `${bodies.get(`${corpus.name}/${other}`)!.equals(deflateBody(output)) ? '=' : '≠'} ${other}`)
        .join(', ');
    }
    rows.push(`| ${corpus.name} | ${candidate.name} | ${rate.toFixed(1)} | ${(output.length / corpus.data.length).toFixed(4)} | ${equal} | ${short(output)} |`);
  }
}
console.log(rows.join('\n'));
