import { describe, it, expect } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { RegistrarError } from '../../src/errors.js';
import {
  buildCanonicalTarball,
  buildTarballWithFormat,
  canonicalGzip,
  canonicalTarball,
  CANONICAL_FORMAT,
  CANONICAL_MTIME_SECONDS,
  crc32Js,
  type CanonicalTarballOptions,
  type LazyParams,
  type TarballFormat,
} from '../../src/core/tarball.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import {
  chunks,
  COMMIT,
  githubArchive,
  gzip,
  tarOf,
  TOP,
  type TestEntry,
} from '../fixtures/archive-builder.js';

const REQUEST = { name: 'left-pad', version: '1.2.0' };
const ROOT = 'left-pad-1.2.0/';

function pack(archive: Uint8Array, options: Partial<CanonicalTarballOptions> = {}) {
  return canonicalTarball(chunks(archive), { ...REQUEST, ...options });
}

function limits(overrides: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}

async function refusal(promise: Promise<unknown>): Promise<RegistrarError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistrarError);
    const registrarError = error as RegistrarError;
    expect(registrarError.kind).toBe('refused');
    return registrarError;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(result, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`);
}

interface Decoded {
  path: string;
  type: string;
  mode: number | undefined;
  mtime: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  content: string;
}

/** Decode a .tar.gz with the standard zlib and node-tar, as a consumer of the registry would. */
async function decode(bytes: Uint8Array): Promise<{ entries: Decoded[]; pax: string[] }> {
  const entries: Decoded[] = [];
  const pax: string[] = [];
  const parser = new Parser({ strict: true });
  parser.on('meta', (body: string) => pax.push(body));
  parser.on('entry', (entry: ReadEntry) => {
    const parts: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => parts.push(chunk));
    entry.on('end', () =>
      entries.push({
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        mtime: entry.mtime ? entry.mtime.getTime() / 1000 : undefined,
        uid: entry.uid,
        gid: entry.gid,
        uname: entry.uname,
        gname: entry.gname,
        content: Buffer.concat(parts).toString('utf8'),
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(gunzipSync(bytes));
  });
  return { entries, pax };
}

// The golden fixture: small, but it exercises a ustar prefix split, a pax path (long name and non-ASCII),
// an executable, nested directories, and an ordering trap ("a-b.txt" sorts between "a/" and "a/x.txt").
const LONG_SPLIT = `docs/${'very-long-directory-name/'.repeat(4)}and-a-file-name-that-takes-it-past-one-hundred-bytes.md`;
const LONG_NAME = `docs/${'n'.repeat(110)}.md`;
const GOLDEN: TestEntry[] = [
  { path: 'package.json', body: '{\n  "name": "left-pad",\n  "version": "1.2.0",\n  "license": "MIT"\n}\n' },
  { path: 'README.md', body: '# left-pad\n\nPads strings on the left.\n' },
  { path: 'bin/left-pad.js', body: '#!/usr/bin/env node\nconsole.log("left-pad");\n', mode: 0o755 },
  { path: 'src/index.js', body: 'export default (s, n, c = " ") => String(s).padStart(n, c);\n' },
  { path: 'src/ünïcödé.js', body: 'export {};\n' },
  { path: LONG_SPLIT, body: 'split\n' },
  { path: LONG_NAME, body: 'pax\n' },
  { path: 'a-b.txt', body: 'between\n' },
  { path: 'a/x.txt', body: 'x\n' },
];
/** Guards the compressor (LazyDeflate, fflate's version, the schedule) and the tar format: change it only on purpose. */
const GOLDEN_SHA256 = '8108f0c59b9a67726c9ed7604f0b076bc50bcb605b15fa82470800e0d97c6196';

/**
 * Bytes that are the same on every machine (xorshift32): two-letter text, source-like text and noise, so the
 * compressor's matches, literals and stored blocks all show up in the golden hash below.
 */
function fixedBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>>= 0));
  const line = Buffer.from('export const leftPad = (s, n, c = " ") => String(s).padStart(n, c);\n');
  for (let i = 0; i < size; i++) {
    const region = Math.floor(i / 16_384) % 3;
    out[i] = region === 0 ? (next() & 1 ? 0x62 : 0x61) : region === 1 ? (next() % 50 === 0 ? 0x21 : line[i % line.length]!) : next() & 0xff;
  }
  return out;
}
/** A package larger than two of the deflate's 1 MiB pushes: its hash also guards how the tar is cut into them. */
const GOLDEN_LARGE: TestEntry[] = [...GOLDEN, { path: 'data/blob.bin', body: fixedBytes(2_500_000, 42) }, { path: 'data/small.txt', body: fixedBytes(70_000, 7) }];
const GOLDEN_LARGE_SHA256 = 'a72a696a107b331d4004cd0e6cc60f7142fd2453a3bb7f3f1618d1b472ea0b45';
/** GOLDEN_LARGE with LazyDeflate for 1 MiB, then fflate level 1: guards the switch between compressors. */
const GOLDEN_SCHEDULED_SHA256 = '56bafe4e54d51f88c69ac0583349dcac96a474ae6128dcde18311b8423046dce';

const shuffle = <T>(items: T[], seed: number): T[] => {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

describe('canonicalTarball: format and determinism', () => {
  it('produces the golden bytes for the fixture package', async () => {
    const result = await pack(githubArchive(GOLDEN));
    expect(result.sha256Hex).toBe(GOLDEN_SHA256);
    expect(result.size).toBe(result.bytes.length);
    expect(result.integrity).toBe(`sha256-${Buffer.from(result.sha256Hex, 'hex').toString('base64')}`);
    expect(createHash('sha256').update(result.bytes).digest('hex')).toBe(result.sha256Hex);
  });

  it('produces the golden bytes for a package spanning many deflate pushes, however the download is cut', async () => {
    const archive = githubArchive(GOLDEN_LARGE);
    for (const size of [1000, 1_048_577]) {
      const result = await canonicalTarball(chunks(archive, size), REQUEST);
      expect(result.sha256Hex).toBe(GOLDEN_LARGE_SHA256);
    }
    const { entries } = await decode((await pack(archive)).bytes);
    expect(entries.find((e) => e.path === `${ROOT}data/blob.bin`)?.content).toBe(fixedBytes(2_500_000, 42).toString('utf8'));
  });

  it('writes fixed gzip header fields: no mtime, no file name, XFL 2 (LazyDeflate, zlib 9\'s search), OS byte 3', async () => {
    const { bytes } = await pack(githubArchive(GOLDEN));
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  });

  it('writes canonical headers, ordered by file name then path, without directory entries', async () => {
    const result = await pack(githubArchive(GOLDEN));
    const { entries, pax } = await decode(result.bytes);
    expect(entries.map((e) => e.path)).toEqual([
      `${ROOT}README.md`,
      `${ROOT}a-b.txt`,
      `${ROOT}${LONG_SPLIT}`, // and-a-file-name-….md
      `${ROOT}src/index.js`,
      `${ROOT}bin/left-pad.js`,
      `${ROOT}${LONG_NAME}`, // nnn….md
      `${ROOT}package.json`,
      `${ROOT}a/x.txt`,
      `${ROOT}src/ünïcödé.js`, // a name starting with a byte over 0x7f sorts last
    ]);
    for (const entry of entries) {
      expect(entry.path.startsWith(ROOT)).toBe(true);
      expect(entry.mtime).toBe(CANONICAL_MTIME_SECONDS);
      expect(entry.uid).toBe(0);
      expect(entry.gid).toBe(0);
      expect(entry.uname).toBe('');
      expect(entry.gname).toBe('');
      expect(entry.type).toBe('File');
      const executable = entry.path.endsWith('bin/left-pad.js');
      expect(entry.mode).toBe(executable ? 0o755 : 0o644);
      const source = GOLDEN.find((g) => `${ROOT}${g.path as string}` === entry.path);
      expect(entry.content).toBe(source?.body);
    }
    // pax only where ustar cannot hold the path: the 110-byte name and the non-ASCII one, each with `path` alone.
    expect(pax).toEqual([
      expect.stringMatching(new RegExp(`^\\d+ path=${ROOT}${LONG_NAME}\\n$`)),
      expect.stringMatching(new RegExp(`^\\d+ path=${ROOT}src/ünïcödé\\.js\\n$`)),
    ]);
    // `files` lists the same paths in UTF-8 byte order, whatever the archive's order.
    const paths = entries.map((e) => e.path.slice(ROOT.length));
    expect(result.files).toEqual(paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(Buffer.from(result.manifest!).toString('utf8')).toContain('"left-pad"');
  });

  it('gives identical bytes whatever the order, times, owners, modes and top directory of the source', async () => {
    const a = await pack(githubArchive(GOLDEN));
    const variant = shuffle(GOLDEN, 7).map((entry, i) => ({
      ...entry,
      mtime: 1_000_000 + i * 7919,
      uid: 501 + i,
      gid: 20,
      uname: `someone-${i}`,
      gname: 'staff',
      // 0600 reads as a plain file, 0700 as an executable one.
      mode: entry.mode === 0o755 ? 0o700 : 0o600,
    }));
    const b = await pack(
      githubArchive(variant, {
        top: 'acme-left-pad-ffffff0',
        explicitDirs: false,
        globalPax: { comment: 'f'.repeat(40) },
        trailingZeros: 9 * 512,
      }),
    );
    const c = await pack(githubArchive(shuffle(GOLDEN, 99), { withoutGlobalHeader: true }));
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(Buffer.from(c.bytes).equals(Buffer.from(a.bytes))).toBe(true);
  });

  it('marks a file executable when any exec bit is set, and nothing else of the mode survives', async () => {
    const result = await pack(
      githubArchive([
        { path: 'u', body: '', mode: 0o4744 },
        { path: 'g', body: '', mode: 0o610 },
        { path: 'o', body: '', mode: 0o601 },
        { path: 'w', body: '', mode: 0o666 },
      ]),
    );
    const { entries } = await decode(result.bytes);
    const modes = Object.fromEntries(entries.map((e) => [e.path.slice(ROOT.length), e.mode]));
    expect(modes).toEqual({ g: 0o755, o: 0o755, u: 0o755, w: 0o644 });
  });

  it('accepts a Node readable stream as well as an async iterable', async () => {
    const archive = githubArchive(GOLDEN);
    const fromStream = await canonicalTarball(Readable.from([archive.subarray(0, 100), archive.subarray(100)]), REQUEST);
    const fromIterable = await pack(archive);
    expect(fromStream.sha256Hex).toBe(fromIterable.sha256Hex);
  });
});

describe('canonicalGzip', () => {
  const MiB = 1024 * 1024;
  const data = fixedBytes(2 * MiB + 1234, 3);
  // What is tested here is the re-cutting into pushes, not the match search: a small chain budget keeps it quick
  // on the two-letter regions of the data (the golden tests cover the canonical settings).
  const quick: TarballFormat = { ...CANONICAL_FORMAT, schedule: [{ level: { ...(CANONICAL_FORMAT.schedule[0]!.level as LazyParams), budget: 1 }, bytes: MiB }, { level: 1 }] };
  const cut = (bytes: Uint8Array, sizes: number[]): Uint8Array[] => {
    const pieces: Uint8Array[] = [];
    for (let offset = 0, i = 0; offset < bytes.length; i++) {
      const size = sizes[i % sizes.length]!;
      pieces.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
    return pieces;
  };

  it('gives the same bytes however its input is split', () => {
    const whole = Buffer.from(canonicalGzip([data], quick));
    for (const sizes of [[4096], [511, 1], [MiB - 1], [MiB + 1], [100_000, 3, 0, 7]]) {
      expect(Buffer.from(canonicalGzip(cut(data, sizes), quick)).equals(whole)).toBe(true);
    }
  });

  it('round-trips through the standard gunzip, at and around the 1 MiB push boundary', () => {
    for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB, data.length]) {
      const input = data.subarray(0, size);
      expect(Buffer.from(gunzipSync(canonicalGzip([input], quick))).equals(Buffer.from(input))).toBe(true);
    }
  });
});

/** The format before the flat-memory build: fflate level 1 throughout, byte order, directory entries. */
const FORMAT_BEFORE: TarballFormat = { schedule: [{ level: 1 }], mem: 4, order: 'path', directories: true };
const LAZY: LazyParams = (CANONICAL_FORMAT.schedule[0]!.level as LazyParams);

async function inWorkDir<T>(use: (workDir: string) => Promise<T>): Promise<T> {
  const workDir = await mkdtemp(join(tmpdir(), 'registrar-tarball-test-'));
  try {
    return await use(workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

describe('buildCanonicalTarball', () => {
  it('writes canonical.tar.gz into the work directory, hashed as written, and leaves nothing else there', async () => {
    const archive = githubArchive(GOLDEN_LARGE);
    await inWorkDir(async (workDir) => {
      const built = await buildCanonicalTarball(chunks(archive, 65_536), { ...REQUEST, workDir });
      expect(built.file).toBe(join(workDir, 'canonical.tar.gz'));
      expect(await readdir(workDir)).toEqual(['canonical.tar.gz']);
      const bytes = await readFile(built.file);
      expect(built.size).toBe(bytes.length);
      expect(built.sha256Hex).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(built.integrity).toBe(`sha256-${createHash('sha256').update(bytes).digest('base64')}`);
      expect(built.md5Hex).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(built.sha256Hex).toBe(GOLDEN_LARGE_SHA256);
      // The in-memory wrapper returns the same bytes and fields.
      const inMemory = await pack(archive);
      expect(Buffer.from(inMemory.bytes).equals(bytes)).toBe(true);
      expect(inMemory.files).toEqual(built.files);
      expect(Buffer.from(inMemory.manifest!).equals(Buffer.from(built.manifest!))).toBe(true);
    });
  });

  it('removes the spool and the partial output when the package is refused', async () => {
    await inWorkDir(async (workDir) => {
      const archive = githubArchive([{ path: 'a.txt', body: 'a'.repeat(100_000) }, { path: 'z', kind: 'symlink', linkpath: '/etc/passwd' }]);
      await refusal(buildCanonicalTarball(chunks(archive), { ...REQUEST, workDir }));
      expect(await readdir(workDir)).toEqual([]);
    });
  });

  it('never writes into a file that is already in the work directory', async () => {
    await inWorkDir(async (workDir) => {
      await import('node:fs/promises').then((fs) => fs.writeFile(join(workDir, 'canonical.tar.gz'), 'someone else\'s'));
      await expect(buildCanonicalTarball(chunks(githubArchive(GOLDEN)), { ...REQUEST, workDir })).rejects.toMatchObject({ code: 'EEXIST' });
      expect(await readFile(join(workDir, 'canonical.tar.gz'), 'utf8')).toBe("someone else's");
      expect(await readdir(workDir)).toEqual(['canonical.tar.gz']);
    });
  });

  it('with the format from before the flat-memory build, writes exactly the bytes the in-memory build wrote', async () => {
    // The two golden hashes the in-memory build had (fflate level 1, byte order, directory entries).
    await inWorkDir(async (workDir) => {
      const small = await buildTarballWithFormat(chunks(githubArchive(GOLDEN)), { ...REQUEST, workDir }, FORMAT_BEFORE);
      expect(small.sha256Hex).toBe('2efe5f1b3458306f0424c4214ad1c60f40620363d4553bffd48d9bfb98120495');
    });
    await inWorkDir(async (workDir) => {
      const large = await buildTarballWithFormat(chunks(githubArchive(GOLDEN_LARGE), 1_048_577), { ...REQUEST, workDir }, FORMAT_BEFORE);
      expect(large.sha256Hex).toBe('f4777616e0451775de8998b3c149f7e55507d3f0eaf78bf90874d9d2457961c9');
    });
  });

  it('refuses to publish a deflate stream that does not inflate back to the tar', async () => {
    // fflate 0.8.3's streaming deflate at level 9, started without a dictionary, finds matches in the zeros it
    // assumes before the start of the stream: on this package its output is invalid. The check catches it.
    const files = Array.from({ length: 2000 }, (_, i) => ({
      path: `lib/${String(i % 40).padStart(2, '0')}/m${i}.js`,
      body: `module.exports = require('../../core')(${i});\n`,
    }));
    await inWorkDir(async (workDir) => {
      const options = { name: 'shape', version: '1.0.0', workDir };
      const broken = buildTarballWithFormat(chunks(githubArchive(files), 1 << 20), options, { ...CANONICAL_FORMAT, schedule: [{ level: 9 }] });
      await expect(broken).rejects.toThrow(/does not inflate to the tar it was made from/);
      expect(await readdir(workDir)).toEqual([]);
    });
  });
});

describe('the deflate schedule', () => {
  const MiB = 1024 * 1024;
  const format = (schedule: TarballFormat['schedule']): TarballFormat => ({ ...CANONICAL_FORMAT, schedule });

  it('is LazyDeflate for the first 4 MiB, then fflate level 1', () => {
    expect(CANONICAL_FORMAT.schedule).toEqual([{ level: { good: 32, lazy: 258, nice: 258, chain: 4096, budget: 32 }, bytes: 4 * MiB }, { level: 1 }]);
  });

  it('switches compressor at each stage boundary; the stream inflates, and depends only on the bytes', () => {
    const data = fixedBytes(2 * MiB + 777, 11);
    const lazy = { ...LAZY, budget: 1 };
    const stages = format([{ level: lazy, bytes: MiB }, { level: 2, bytes: MiB }, { level: 1 }]);
    const whole = Buffer.from(canonicalGzip([data], stages));
    expect(Buffer.from(gunzipSync(whole)).equals(data)).toBe(true);
    for (const size of [65_536, MiB + 1]) {
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
      expect(Buffer.from(canonicalGzip(pieces, stages)).equals(whole)).toBe(true);
    }
    // Each stage makes its own bytes: the same data under one compressor comes out otherwise.
    expect(Buffer.from(canonicalGzip([data], format([{ level: lazy }]))).equals(whole)).toBe(false);
    // Exactly at a boundary, and from fflate back to LazyDeflate (with a dictionary), it still inflates.
    for (const input of [data.subarray(0, MiB), data.subarray(0, 2 * MiB)]) {
      expect(Buffer.from(gunzipSync(canonicalGzip([input], stages))).equals(input)).toBe(true);
      expect(Buffer.from(gunzipSync(canonicalGzip([input], format([{ level: 2, bytes: MiB }, { level: lazy }])))).equals(input)).toBe(true);
    }
  });

  it('guards a package that crosses stage boundaries with a golden hash', async () => {
    const result = await inWorkDir((workDir) =>
      buildTarballWithFormat(chunks(githubArchive(GOLDEN_LARGE), 65_536), { ...REQUEST, workDir }, format([{ level: LAZY, bytes: MiB }, { level: 1 }])),
    );
    expect(result.sha256Hex).toBe(GOLDEN_SCHEDULED_SHA256);
  });

  it('LazyDeflate round-trips edge cases: empty, one byte, long runs, stored blocks, every byte value, adversarial text', () => {
    const twoLetters = Buffer.from(Array.from(fixedBytes(200_000, 5), (b) => (b & 1 ? 0x62 : 0x61)));
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('a'),
      Buffer.alloc(259, 7),
      Buffer.alloc(100_000),
      randomBytes(150_000), // stored blocks, more than 65,535 bytes each
      Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff)),
      twoLetters,
      fixedBytes(300_000, 9),
    ];
    for (const level of [LAZY, { ...LAZY, budget: 0 }, { ...LAZY, chain: 1, lazy: 0 }]) {
      for (const input of inputs) {
        expect(Buffer.from(gunzipSync(canonicalGzip([input], format([{ level }])))).equals(input)).toBe(true);
      }
    }
  });

  it('computes the CRC-32 as zlib does', () => {
    const data = fixedBytes(100_000, 3);
    const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    expect(crc32Js(data)).toBe(native ? native(data) : 0xfbd5ea9b);
    expect(crc32Js(data.subarray(50_000), crc32Js(data.subarray(0, 50_000)))).toBe(crc32Js(data));
  });
});

describe('canonicalTarball: selecting the package', () => {
  const monorepo: TestEntry[] = [
    { path: 'README.md', body: 'repo readme' },
    { path: 'link-outside', kind: 'symlink', linkpath: '/etc/passwd' },
    { path: 'packages/left-pad/package.json', body: '{"name":"left-pad"}' },
    { path: 'packages/left-pad/lib/index.js', body: 'index' },
    { path: 'packages/left-pad-extra/evil.js', body: 'not part of the package' },
    { path: 'packages/other/index.js', body: 'other' },
  ];

  it('keeps only the subdir, re-rooted, and skips (does not refuse) what lies outside it', async () => {
    const result = await pack(githubArchive(monorepo), { subdir: 'packages/left-pad' });
    expect(result.files).toEqual(['lib/index.js', 'package.json']);
    expect(Buffer.from(result.manifest!).toString()).toBe('{"name":"left-pad"}');
    const { entries } = await decode(result.bytes);
    expect(entries.map((e) => e.path)).toEqual([`${ROOT}lib/index.js`, `${ROOT}package.json`]);
  });

  it('treats a trailing slash on the subdir as the same directory', async () => {
    const a = await pack(githubArchive(monorepo), { subdir: 'packages/left-pad/' });
    const b = await pack(githubArchive(monorepo), { subdir: 'packages/left-pad' });
    expect(a.sha256Hex).toBe(b.sha256Hex);
  });

  it('packs the whole repository without a subdir, with the top directory stripped', async () => {
    const result = await pack(githubArchive([{ path: 'index.js', body: 'x' }, { path: 'lib/a.js', body: 'a' }]));
    expect(result.files).toEqual(['index.js', 'lib/a.js']);
    expect(result.manifest).toBeUndefined();
  });

  it('reads a manifest under another name', async () => {
    const result = await pack(githubArchive([{ path: 'purs.json', body: '{}' }]), { manifestFile: 'purs.json' });
    expect(Buffer.from(result.manifest!).toString()).toBe('{}');
  });

  it('ignores the pax global header that carries the commit id', async () => {
    const withHeader = await pack(githubArchive(GOLDEN, { globalPax: { comment: COMMIT } }));
    const without = await pack(githubArchive(GOLDEN, { withoutGlobalHeader: true }));
    expect(withHeader.sha256Hex).toBe(without.sha256Hex);
    expect(withHeader.files).not.toContain('pax_global_header');
  });

  it('round-trips paths longer than 100 bytes', async () => {
    const deep = `${'segment-of-twenty-c/'.repeat(8)}file-with-a-name-that-is-long.txt`;
    const longName = `${'x'.repeat(150)}.txt`;
    const result = await pack(githubArchive([{ path: deep, body: 'deep' }, { path: longName, body: 'long' }]));
    expect(result.files).toEqual([deep, longName].sort());
    const { entries } = await decode(result.bytes);
    const files = entries.filter((e) => e.type === 'File');
    expect(files.map((e) => [e.path, e.content])).toEqual(
      [
        [`${ROOT}${deep}`, 'deep'],
        [`${ROOT}${longName}`, 'long'],
      ].sort((x, y) => Buffer.compare(Buffer.from(x[0]!), Buffer.from(y[0]!))),
    );
  });
});

describe('canonicalTarball: refusals', () => {
  const expectRefusal = async (archive: Uint8Array, pattern: RegExp, options: Partial<CanonicalTarballOptions> = {}) => {
    const error = await refusal(pack(archive, options));
    expect(error.message).toMatch(pattern);
    expect(error.hint).toBeTruthy();
    return error;
  };

  it('refuses a symbolic link, naming it', async () => {
    const error = await expectRefusal(
      githubArchive([{ path: 'lib/evil', kind: 'symlink', linkpath: '../../../etc/passwd' }]),
      /`lib\/evil` is a symbolic link/,
    );
    expect(error.hint).toMatch(/link/);
    expect(error.hint).toMatch(/tag a new version/);
  });

  it('refuses a hard link', async () => {
    await expectRefusal(
      githubArchive([{ path: 'a.txt', body: 'a' }, { path: 'b.txt', kind: 'hardlink', linkpath: `${TOP}/a.txt` }]),
      /`b.txt` is a hard link/,
    );
  });

  it('refuses a FIFO and a character device', async () => {
    const error = await expectRefusal(
      githubArchive([{ path: 'pipe', kind: 'fifo' }, { path: 'tty', kind: 'chardev' }]),
      /`pipe` is a FIFO/,
    );
    expect(error.message).toMatch(/`tty` is a character device/);
  });

  it('refuses an unknown entry type', async () => {
    await expectRefusal(githubArchive([{ path: 'odd', typeflag: 'Z' }]), /`odd` has an unsupported entry type/);
  });

  it('refuses a ".." segment', async () => {
    await expectRefusal(githubArchive([{ path: 'lib/../../escape.txt', body: 'x' }]), /`lib\/..\/..\/escape.txt` contains a ".." segment/);
  });

  it('refuses a backslash', async () => {
    await expectRefusal(githubArchive([{ path: 'lib\\win.txt', body: 'x' }]), /contains a backslash/);
  });

  it('refuses a control character, showing it escaped', async () => {
    await expectRefusal(githubArchive([{ path: 'bell\u0007.txt', body: 'x' }]), /`bell\\u\{0007\}.txt` contains a control character/);
  });

  it('refuses a trailing dot and a trailing space', async () => {
    const error = await expectRefusal(
      githubArchive([{ path: 'notes.', body: 'x' }, { path: 'dir /file', body: 'y' }]),
      /`notes\.` has a name ending in a dot or a space/,
    );
    expect(error.message).toMatch(/`dir \/file` has a name ending in a dot or a space/);
  });

  it('refuses a Windows reserved name, with or without an extension', async () => {
    const error = await expectRefusal(
      githubArchive([{ path: 'con.txt', body: 'x' }, { path: 'lib/LPT1', body: 'y' }]),
      /`con.txt` uses `con.txt`, a reserved device name on Windows/,
    );
    expect(error.message).toMatch(/`lib\/LPT1` uses `LPT1`/);
  });

  it('refuses paths that differ only in case', async () => {
    await expectRefusal(
      githubArchive([{ path: 'a/B.txt', body: '1' }, { path: 'a/b.txt', body: '2' }]),
      /`a\/B.txt` and `a\/b.txt` differ only in letter case/,
    );
  });

  it('refuses directories that differ only in case', async () => {
    await expectRefusal(
      githubArchive([{ path: 'Lib/a.txt', body: '1' }, { path: 'lib/b.txt', body: '2' }]),
      /`Lib` and `lib` differ only in letter case/,
    );
  });

  it('refuses an NFD name next to its NFC twin', async () => {
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    const error = await expectRefusal(
      githubArchive([{ path: nfc, body: '1' }, { path: nfd, body: '2' }]),
      /differ only in letter case or Unicode normalisation/,
    );
    expect(error.message).toMatch(/is not in Unicode NFC form/);
  });

  it('refuses a path that is not valid UTF-8', async () => {
    await expectRefusal(githubArchive([{ path: Buffer.from([0x62, 0xff, 0x2e, 0x74]), body: 'x' }]), /is not valid UTF-8/);
  });

  it('refuses a path that is both a file and a directory', async () => {
    await expectRefusal(
      githubArchive([{ path: 'x', body: 'file' }, { path: 'x/y', body: 'nested' }], { explicitDirs: false }),
      /`x` is both a file and a directory/,
    );
  });

  it('refuses a file that appears twice', async () => {
    await expectRefusal(
      githubArchive([{ path: 'a.txt', body: '1' }, { path: 'a.txt', body: '2' }]),
      /`a.txt` appears more than once/,
    );
  });

  it('refuses a path over the length and depth limits', async () => {
    const error = await expectRefusal(
      githubArchive([{ path: 'a/b/c/d.txt', body: 'x' }, { path: 'abcdefghij.txt', body: 'y' }]),
      /`a\/b\/c\/d.txt` is 4 levels deep; the limit is 3/,
      { limits: limits({ pathDepth: 3, pathLength: 12 }) },
    );
    expect(error.message).toMatch(/`abcdefghij.txt` is 14 characters long; the limit is 12/);
  });

  it('lists every problem at once', async () => {
    const error = await expectRefusal(
      githubArchive([
        { path: 'l', kind: 'symlink', linkpath: 'x' },
        { path: 'aux.js', body: 'x' },
      ]),
      /cannot be published:\n- .*symbolic link[^]*\n- .*reserved device name/,
    );
    expect(error.hint).toMatch(/Replace the links[^]*Rename or remove/);
  });

  it('refuses too many entries, counting directories', async () => {
    const files = Array.from({ length: 3 }, (_, i) => ({ path: `lib/f${i}.js`, body: 'x' }));
    await expectRefusal(githubArchive(files), /more than 3 files and directories/, { limits: limits({ entries: 3 }) });
    await expect(pack(githubArchive(files), { limits: limits({ entries: 4 }) })).resolves.toBeDefined();
  });

  it('refuses a path of 60,001 characters and 30,001 segments (a pax record under the cap) on its length alone', async () => {
    const hostile = 'a/'.repeat(30_000) + 'x';
    const error = await expectRefusal(
      gzip(
        tarOf(
          [
            { path: `${TOP}/`, kind: 'dir' },
            { path: `${TOP}/${hostile}`, body: 'x' },
            { path: `${TOP}/${'d/'.repeat(30_000)}`, kind: 'dir' },
          ],
          { globalPax: { comment: COMMIT } },
        ),
      ),
      /`a\/a\/a[^`]*…` is 60001 characters long; the limit is 255\./,
    );
    // The directory of 60,000 characters (its trailing "/" trimmed without a regex) is refused on its length too.
    expect(error.message).toMatch(/`d\/d\/d[^`]*…` is 59999 characters long/);
    expect(error.message).not.toMatch(/empty segment|levels deep|differ only/);
  });

  it('refuses a file over the per-file limit, naming it', async () => {
    await expectRefusal(
      githubArchive([{ path: 'big.bin', body: Buffer.alloc(2048, 1) }]),
      /`big.bin` is 2 KiB; the limit for one file is 1 KiB/,
      { limits: limits({ fileBytes: 1024 }) },
    );
  });

  it('refuses an archive that unpacks to more than the cap, even outside the package', async () => {
    const archive = githubArchive([
      { path: 'pkg/index.js', body: 'x' },
      ...Array.from({ length: 4 }, (_, i) => ({ path: `assets/${i}.bin`, body: randomBytes(32 * 1024) })),
    ]);
    await expectRefusal(archive, /unpacks to more than 64 KiB/, {
      subdir: 'pkg',
      limits: limits({ unpackedBytes: 64 * 1024 }),
    });
  });

  it('refuses a zip-bomb-like ratio before unpacking all of it', async () => {
    const archive = githubArchive([{ path: 'zeros.bin', body: Buffer.alloc(16 * 1024 * 1024) }]);
    expect(archive.length).toBeLessThan(64 * 1024);
    await expectRefusal(archive, /more than 100 times its compressed size/);
  });

  it('aborts a bomb early, without reading the rest of it', async () => {
    // The bomb (64 MiB of zeros, ~64 KiB compressed) comes first; 1 MiB of noise after it makes the archive larger
    // than any runtime's read-ahead, so the assertion below says something on Node 22+ (64 KiB streams) too.
    const archive = githubArchive([
      { path: 'zeros.bin', body: Buffer.alloc(64 * 1024 * 1024) },
      { path: 'zz-noise.bin', body: randomBytes(1024 * 1024) },
    ]);
    expect(archive.length).toBeGreaterThan(1024 * 1024);
    let pulled = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(archive, 1024)) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    await refusal(canonicalTarball(counted(), REQUEST));
    // What was pulled is the bomb's first MiB unpacked plus the pipeline's read-ahead (16 KiB on Node 20, 64 KiB on 22+).
    expect(pulled).toBeLessThan(256 * 1024);
  });

  it('stops the download and destroys the input stream after a refusal', async () => {
    const archive = githubArchive(Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, body: randomBytes(3000) })));
    let offset = 0;
    const stream = new Readable({
      highWaterMark: 64,
      read() {
        this.push(offset < archive.length ? archive.subarray(offset, (offset += 64)) : null);
      },
    });
    await refusal(canonicalTarball(stream, { ...REQUEST, limits: limits({ entries: 5 }) }));
    expect(stream.destroyed).toBe(true);
    expect(offset).toBeLessThan(archive.length / 2);
  });

  it('refuses an archive over the compressed cap and stops reading it', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled += 1;
        yield randomBytes(1024);
      }
    }
    const error = await refusal(canonicalTarball(endless(), { ...REQUEST, limits: limits({ archiveBytes: 10 * 1024 }) }));
    expect(error.message).toMatch(/larger than 10 KiB compressed/);
    expect(pulled).toBeLessThanOrEqual(11);
  });

  it('refuses a pax record over the metadata cap', async () => {
    await expectRefusal(
      githubArchive([{ path: 'a.txt', body: 'x', pax: { comment: 'c'.repeat(4000) } }]),
      /metadata \(pax\) record of .* the limit is 1 KiB/,
      { limits: limits({ paxBytes: 1024 }) },
    );
  });

  it('refuses a missing subdir, naming it', async () => {
    const error = await expectRefusal(githubArchive([{ path: 'lib/a.js', body: 'x' }]), /`packages\/left-pad` is not in the source archive/, {
      subdir: 'packages/left-pad',
    });
    expect(error.hint).toMatch(/subdir/);
  });

  it('refuses a subdir that is a file', async () => {
    await expectRefusal(githubArchive([{ path: 'pkg', body: 'x' }]), /`pkg` is a file in the source archive, not a directory/, {
      subdir: 'pkg',
    });
  });

  it('refuses an unacceptable subdir before reading anything', async () => {
    await expectRefusal(githubArchive([{ path: 'a', body: 'x' }]), /subdir\) is not an acceptable path/, { subdir: '../x' });
  });

  it('refuses two top directories', async () => {
    const tar = tarOf([
      { path: `${TOP}/`, kind: 'dir' },
      { path: `${TOP}/a.txt`, body: 'a' },
      { path: 'other/', kind: 'dir' },
      { path: 'other/b.txt', body: 'b' },
    ]);
    await expectRefusal(gzip(tar), /one top directory: it has `.*\/` and also `other\/`/);
  });

  it('refuses a file beside the top directory and an absolute path', async () => {
    await expectRefusal(gzip(tarOf([{ path: 'loose.txt', body: 'x' }])), /`loose.txt`, outside any directory/);
    await expectRefusal(gzip(tarOf([{ path: '/etc/passwd', body: 'x' }])), /absolute path, `\/etc\/passwd`/);
  });

  it('refuses a truncated gzip stream', async () => {
    const archive = githubArchive(GOLDEN);
    await expectRefusal(archive.subarray(0, archive.length - 40), /source archive could not be read/);
    await expectRefusal(archive.subarray(0, 30), /source archive could not be read/);
  });

  it('refuses a tar without its end-of-archive marker, and bytes that are not gzip at all', async () => {
    await expectRefusal(
      gzip(tarOf([{ path: `${TOP}/`, kind: 'dir' }, { path: `${TOP}/a`, body: 'x'.repeat(600) }], { noEnd: true }).subarray(0, 1024)),
      /could not be read/,
    );
    await expectRefusal(gzip(tarOf([{ path: `${TOP}/a`, body: 'x' }], { noEnd: true })), /end-of-archive marker/);
    await expectRefusal(randomBytes(2000), /could not be read/);
    await expectRefusal(tarOf([{ path: `${TOP}/a`, body: 'x' }]), /could not be read/);
  });

  it('refuses a damaged header (checksum failure)', async () => {
    const tar = tarOf([{ path: `${TOP}/`, kind: 'dir' }, { path: `${TOP}/a`, body: 'x' }]);
    tar[512 + 10] = tar[512 + 10]! ^ 0x01;
    await expectRefusal(gzip(tar), /could not be read/);
  });

  it('refuses a tar that is compressed twice', async () => {
    await expectRefusal(gzip(githubArchive(GOLDEN)), /compressed twice/);
  });

  it('reports a failing download as transient, not as a refusal', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield githubArchive(GOLDEN).subarray(0, 100);
      throw new Error('ECONNRESET');
    }
    await expect(canonicalTarball(broken(), REQUEST)).rejects.toMatchObject({ kind: 'transient' });
  });
});

describe('the layout an ecosystem asks for', () => {
  const archive = githubArchive([
    { path: 'package.json', body: '{"name":"@scope/name"}\n' },
    { path: 'bower.json', body: '{"name":"purescript-x"}\n' },
    { path: 'src/a.js', body: 'a\n' },
  ]);
  const entryNames = (bytes: Uint8Array) => {
    const tar = gunzipSync(bytes);
    const names: string[] = [];
    for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
      names.push(tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, ''));
      at += 512 + Math.ceil(parseInt(tar.subarray(at + 124, at + 136).toString('utf8').trim() || '0', 8) / 512) * 512;
    }
    return names;
  };

  it('puts every entry under the top directory given (npm: package/), whatever the name', async () => {
    const built = await pack(archive, { name: '@scope/name', version: '3.0.0-canary.1', topDirectory: 'package' });
    expect(entryNames(built.bytes).sort()).toEqual(['package/bower.json', 'package/package.json', 'package/src/a.js']);
  });

  it('keeps every manifest asked for, by file name, and reports the absent ones as absent', async () => {
    const built = await pack(archive, { manifestFiles: ['purs.json', 'spago.yaml', 'bower.json'] });
    expect([...built.manifests.keys()]).toEqual(['bower.json']);
    expect(new TextDecoder().decode(built.manifests.get('bower.json'))).toBe('{"name":"purescript-x"}\n');
    expect(built.manifest).toBeUndefined(); // the first file asked for, purs.json, is not there
    // The default layout is untouched: <name>-<version>/ and package.json.
    const plain = await pack(archive);
    expect(entryNames(plain.bytes).every((name) => name.startsWith(ROOT))).toBe(true);
    expect(new TextDecoder().decode(plain.manifest)).toBe('{"name":"@scope/name"}\n');
  });
});
