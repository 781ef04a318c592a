// `npm run size-vs-npm`: how the canonical tarball's size compares with `npm pack` of the same files, over package shapes built deterministically (real packages from node_modules, pinned by package-lock.json, and seeded synthetic ones).
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { githubArchive, chunks, type TestEntry } from '../__tests__/fixtures/archive-builder.js';
import { buildTarballWithFormat, CANONICAL_FORMAT, type LazyParams, type TarballFormat } from '../src/core/tarball.js';
import { SeededBytes, randomContent } from '../test-support/cap-archive.js';

const run = promisify(execFile);
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

interface ShapeFile {
  path: string;
  body: Buffer;
  executable: boolean;
}
interface Shape {
  name: string;
  kind: string;
  files: () => Promise<ShapeFile[]>;
}

/** Every file of an installed package (its own package.json left out: each shape gets a plain one, so npm's `files` and `bin` rules cannot make the two file sets differ). */
function installed(pkg: string, kind: string): Shape {
  return {
    name: pkg,
    kind,
    files: async () => {
      const root = join(REPOSITORY, 'node_modules', pkg);
      const out: ShapeFile[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const name of (await readdir(dir)).sort()) {
          const path = join(dir, name);
          const info = await stat(path);
          if (info.isDirectory()) {
            if (name !== 'node_modules') await walk(path);
          } else if (info.isFile()) {
            const rel = relative(root, path);
            if (rel !== 'package.json') out.push({ path: rel, body: await readFile(path), executable: (info.mode & 0o111) !== 0 });
          }
        }
      };
      await walk(root);
      return out;
    },
  };
}

function synthetic(name: string, kind: string, make: (source: SeededBytes) => Promise<ShapeFile[]> | ShapeFile[]): Shape {
  return { name, kind, files: async () => make(new SeededBytes(`size-vs-npm ${name}`)) };
}

const text = (path: string, body: string | Buffer): ShapeFile => ({ path, body: Buffer.from(body), executable: false });
const readme = async (pkg: string) => readFile(join(REPOSITORY, 'node_modules', pkg, 'README.md'));

export const SHAPES: Shape[] = [
  installed('semver', 'small JS library (CommonJS, many modules)'),
  installed('chalk', 'tiny ESM library with .d.ts'),
  installed('picomatch', 'small JS library'),
  installed('minimatch', 'TypeScript build: ESM + CJS, .d.ts, maps'),
  installed('@actions/core', 'TypeScript build: .js, .d.ts, .js.map'),
  installed('@octokit/rest', 'tiny wrapper package'),
  installed('spdx-license-ids', 'JSON data package'),
  installed('js-yaml', 'JS library with a dist bundle'),
  installed('jest-circus', 'build output with .d.ts'),
  installed('fflate', 'minified bundles + .d.ts'),
  installed('bottleneck', 'bundled + light builds, minified'),
  installed('yaml', 'TypeScript build, many small modules'),
  installed('ajv', 'JS + .d.ts + maps + .ts sources'),
  installed('fast-check', 'large bundles + .d.ts'),
  installed('@babel/parser', 'one large JS file + map'),
  installed('tar', 'ESM + CJS builds with maps'),
  installed('graphql', 'hundreds of .js/.mjs/.d.ts files'),
  installed('@aws-sdk/client-s3', 'generated SDK: CJS, ESM, types'),
  installed('@octokit/openapi-types', 'one big .d.ts file (~5 MiB)'),
  installed('lodash', 'a thousand small modules'),
  installed('zod', 'TypeScript sources + builds, ~8 MiB'),
  synthetic('tiny', 'index.js, README, LICENSE', async () => [
    text('index.js', "'use strict';\nmodule.exports = (s, n, c = ' ') => String(s).padStart(n, c);\n"),
    text('README.md', '# tiny\n\nPads strings on the left.\n'),
    text('LICENSE', (await readFile(join(REPOSITORY, 'node_modules', 'semver', 'LICENSE'))).toString()),
  ]),
  synthetic('docs-heavy', 'Markdown docs (real READMEs) + a little code', async () => {
    const files = [text('index.js', 'export {};\n')];
    for (const pkg of ['ajv', 'yaml', 'graphql', 'fast-check', 'tar', 'semver', 'minimatch', 'zod', 'js-yaml', 'bottleneck']) {
      files.push(text(`docs/${pkg.replace('/', '-')}.md`, await readme(pkg)));
    }
    return files;
  }),
  synthetic('binary-assets', 'incompressible assets (images, fonts) + JS', async (source) => [
    text('index.js', "export const icons = new URL('./assets/', import.meta.url);\n"),
    ...Array.from({ length: 12 }, (_, i) => ({ path: `assets/icon-${i}.png`, body: randomContent(source, 8_000 + i * 7_919), executable: false })),
    { path: 'assets/font.woff2', body: randomContent(source, 300_000), executable: false },
    text('README.md', await readme('minimatch')),
  ]),
  synthetic('many-tiny', '2,000 files of a few dozen bytes', () =>
    Array.from({ length: 2000 }, (_, i) => text(`lib/${String(i % 40).padStart(2, '0')}/m${i}.js`, `module.exports = require('../../core')(${i});\n`)),
  ),
  synthetic('cli-with-bin', 'a CLI: executable bin + lib', async () => [
    { path: 'bin/cli.js', body: Buffer.from('#!/usr/bin/env node\nimport("../lib/main.js");\n'), executable: true },
    ...(await installed('semver', '').files()).filter((f) => f.path.startsWith('functions/')).map((f) => ({ ...f, path: `lib/${f.path}` })),
  ]),
];

interface ShapeResult {
  name: string;
  kind: string;
  files: number;
  unpackedBytes: number;
  npmBytes: number;
  ourBytes: number;
  ratio: number;
}

const npmCache = new Map<string, { files: ShapeFile[]; npmBytes: number }>();

/** Write the shape to a directory with a plain package.json, `npm pack` it offline, and keep exactly the files npm packed. */
async function npmPack(shape: Shape, work: string): Promise<{ files: ShapeFile[]; npmBytes: number }> {
  const cached = npmCache.get(shape.name);
  if (cached) return cached;
  const dir = join(work, 'pkg');
  await rm(dir, { recursive: true, force: true });
  const files = [text('package.json', `${JSON.stringify({ name: 'shape', version: '1.0.0', license: 'MIT' }, null, 2)}\n`), ...(await shape.files())];
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.body);
    await chmod(path, file.executable ? 0o755 : 0o644);
  }
  const out = join(work, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const { stdout } = await run('npm', ['pack', '--offline', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: dir, maxBuffer: 64 * MiB });
  const report = (JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  const packed = new Set(report.files.map((f) => f.path));
  const npmBytes = (await stat(join(out, report.filename))).size;
  // npm leaves out some names whatever the package says (.npmignore, .gitignore, …): compare like with like.
  const result = { files: files.filter((f) => packed.has(f.path)), npmBytes };
  if (result.files.length !== packed.size) throw new Error(`${shape.name}: npm packed files this script did not write`);
  npmCache.set(shape.name, result);
  return result;
}

async function ourSize(files: ShapeFile[], format: Readonly<TarballFormat>, work: string): Promise<number> {
  const entries: TestEntry[] = files.map((f) => ({ path: f.path, body: f.body, mode: f.executable ? 0o755 : 0o644 }));
  const workDir = await mkdtemp(join(work, 'build-'));
  try {
    const built = await buildTarballWithFormat(chunks(githubArchive(entries), MiB), { name: 'shape', version: '1.0.0', workDir }, format);
    return built.size;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Per-shape (our canonical tarball's size / npm pack's) for each format, and their medians. */
export async function sizeVsNpm(formats: Array<Readonly<TarballFormat>> = [CANONICAL_FORMAT]): Promise<{ shapes: ShapeResult[][]; medians: number[] }> {
  const work = await mkdtemp(join(tmpdir(), 'registrar-size-vs-npm-'));
  try {
    const shapes: ShapeResult[][] = formats.map(() => []);
    for (const shape of SHAPES) {
      const { files, npmBytes } = await npmPack(shape, work);
      const unpackedBytes = files.reduce((sum, f) => sum + f.body.length, 0);
      for (const [i, format] of formats.entries()) {
        const ourBytes = await ourSize(files, format, work);
        shapes[i]!.push({ name: shape.name, kind: shape.kind, files: files.length, unpackedBytes, npmBytes, ourBytes, ratio: ourBytes / npmBytes });
      }
    }
    return { shapes, medians: shapes.map((rows) => median(rows.map((r) => r.ratio))) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The median ratio for the canonical format: what a bench script reports. */
export async function sizeVsNpmMedian(): Promise<number> {
  return (await sizeVsNpm()).medians[0]!;
}

/** zlib's match-search settings for its lazy levels, as LazyDeflate takes them (with no chain-step budget). */
export const ZLIB_LIKE: Record<string, LazyParams> = {
  z6: { good: 8, lazy: 16, nice: 128, chain: 128, budget: Infinity },
  z9: { good: 32, lazy: 258, nice: 258, chain: 4096, budget: Infinity },
  /** zlib 9's settings with a work budget per byte (chain steps plus bytes compared; past it, 8 steps per position). */
  z9w64: { good: 32, lazy: 258, nice: 258, chain: 4096, budget: 64 },
  z9w32: { good: 32, lazy: 258, nice: 258, chain: 4096, budget: 32 },
  z9w16: { good: 32, lazy: 258, nice: 258, chain: 4096, budget: 16 },
};

/** A format from a short description: `z9:1,6:7,1` is LazyDeflate with zlib 9's settings for 1 MiB, fflate level 6 for the next 7 MiB, then fflate level 1. */
export function formatOf(schedule: string, order: TarballFormat['order'], directories: boolean, mem: TarballFormat['mem'] = 4): TarballFormat {
  const stages = schedule.split(',').map((stage) => {
    const [name, mib] = stage.split(':');
    const level = ZLIB_LIKE[name!] ?? (Number(name) as 1);
    return mib === undefined ? { level } : { level, bytes: Number(mib) * MiB };
  });
  return { schedule: stages, mem, order, directories };
}

/**
 * Formats compared with `--candidates`: the one before, fflate alone, LazyDeflate with other settings, other orders.
 * No candidate starts with fflate above level 6: its streaming deflate at level 9 wrote invalid streams here (see
 * buildTarballWithFormat's check), which the build now refuses.
 */
export const CANDIDATE_FORMATS: Record<string, Readonly<TarballFormat>> = {
  'before: fflate 1, path, dirs': formatOf('1', 'path', true),
  'fflate 6:8,1, path': formatOf('6:8,1', 'path', false),
  'fflate 6:8,1, name': formatOf('6:8,1', 'name', false),
  'z6:8,1, name': formatOf('z6:8,1', 'name', false),
  'z9w32:4,1, path': formatOf('z9w32:4,1', 'path', false),
  'z9w32:4,1, extension': formatOf('z9w32:4,1', 'extension', false),
  'z9w32:4,1, name, dirs': formatOf('z9w32:4,1', 'name', true),
  'z9w16:4,1, name': formatOf('z9w16:4,1', 'name', false),
  'z9w64:4,1, name': formatOf('z9w64:4,1', 'name', false),
  'z9w32:8,1, name': formatOf('z9w32:8,1', 'name', false),
  'z9w32:2,1, name': formatOf('z9w32:2,1', 'name', false),
  'chosen: z9w32:4,1, name': CANONICAL_FORMAT,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { candidates: { type: 'boolean', default: false } } });
  const names = values.candidates ? Object.keys(CANDIDATE_FORMATS) : ['chosen'];
  const formats = values.candidates ? Object.values(CANDIDATE_FORMATS) : [CANONICAL_FORMAT];
  const { stdout: npmVersion } = await run('npm', ['--version']);
  const result = await sizeVsNpm(formats);
  console.log(`npm ${npmVersion.trim()} (pack: zlib level 9), Node ${process.version}, ${SHAPES.length} shapes\n`);
  const rows = result.shapes[formats.length - 1]!;
  console.log(`| shape | what | files | unpacked KiB | npm pack bytes | ${names.map((n) => `ours / npm: ${n}`).join(' | ')} |`);
  console.log(`|---|---|---:|---:|---:|${names.map(() => '---:').join('|')}|`);
  for (const [s, row] of rows.entries()) {
    const ratios = result.shapes.map((shapes) => shapes[s]!.ratio.toFixed(4));
    console.log(`| ${row.name} | ${row.kind} | ${row.files} | ${(row.unpackedBytes / 1024).toFixed(0)} | ${row.npmBytes} | ${ratios.join(' | ')} |`);
  }
  console.log(`| **median** | | | | | ${result.medians.map((m) => `**${m.toFixed(4)}**`).join(' | ')} |`);
}
