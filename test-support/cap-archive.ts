// Builds GitHub-style source archives that sit at every cap of DEFAULT_LIMITS at once, and measures what building their canonical tarball costs.

import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import { Header, Pax } from 'tar';
import { DEFAULT_LIMITS } from '../src/core/limits.js';

const MiB = 1024 * 1024;
const BLOCK = 512;

// ---------------------------------------------------------------------------------------------------------------
// Content: deterministic, so every run (and every runtime) builds the same tar.

/** A seeded byte source (AES-128-CTR keystream): fast, and the same bytes for the same seed everywhere. */
export class SeededBytes {
  private readonly cipher;
  constructor(seed: string) {
    const key = createHash('sha256').update(seed).digest().subarray(0, 16);
    this.cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }
  next(size: number): Buffer {
    return this.cipher.update(Buffer.alloc(size));
  }
}

/** High entropy: incompressible bytes. */
export function randomContent(source: SeededBytes, size: number): Buffer {
  return source.next(size);
}

/**
 * Low entropy, worst for a deflate's match search: a random string over the two letters `a` and `b` (1 bit per byte).
 * Every 3-byte hash has thousands of earlier occurrences and each match is short, so the search walks its whole
 * chain at every position: fflate level 9 (4,096 chain steps) took ~4 s per MiB of it.
 */
export function twoLetterContent(source: SeededBytes, size: number): Buffer {
  const bits = source.next(Math.ceil(size / 8));
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (bits[i >> 3]! >> (i & 7)) & 1 ? 0x62 : 0x61;
  return out;
}

const PARAGRAPH = Buffer.from(
  [
    "import { pad } from './pad.js';",
    '',
    '/** Pads a value on the left to the given width. */',
    'export function leftPad(value: unknown, width: number, fill = " "): string {',
    '  return String(value).padStart(width, fill);',
    '}',
    '',
  ].join('\n'),
);

/** Low entropy, very repetitive: source-like text repeated, one random byte changed in every `mutateEvery` bytes. */
export function repetitiveText(source: SeededBytes, size: number, mutateEvery = 500): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += PARAGRAPH.length) PARAGRAPH.copy(out, i, 0, Math.min(PARAGRAPH.length, size - i));
  const noise = source.next(2 * Math.ceil(size / mutateEvery));
  for (let block = 0, k = 0; block < size; block += mutateEvery, k += 2) {
    const at = block + (noise[k]! % mutateEvery);
    if (at < size) out[at] = 0x21 + (noise[k + 1]! % 94);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The archive

export type CapVariant = 'mixed' | 'low-entropy';
export const CAP_VARIANTS: readonly CapVariant[] = ['mixed', 'low-entropy'];

export interface CapArchiveStats {
  variant: CapVariant;
  /** Bytes of the .tar.gz written. */
  compressedBytes: number;
  /** Bytes of the tar inside it (headers, padding and end-of-archive records included), as Registrar counts them. */
  unpackedBytes: number;
  /** Entries under the top directory (files and directories), as Registrar counts them. */
  entries: number;
  files: number;
  largestFileBytes: number;
  /** The longest package-relative path, in characters, and the deepest, in segments. */
  longestPath: number;
  deepestPath: number;
  /** Body of the pax global header (GitHub puts the commit id there; this one is padded to the cap). */
  paxBytes: number;
}

/** The top directory GitHub names `<owner>-<repo>-<short sha>`. */
const TOP = 'acme-capped-5eed5ee';
const DEPTH = DEFAULT_LIMITS.pathDepth;
/** 31 nested directories of 7 characters each: `d01xxxx/d02xxxx/…`, 248 characters with their slashes. */
const CHAIN = Array.from({ length: DEPTH - 1 }, (_, i) => `d${String(i + 1).padStart(2, '0')}`.padEnd(7, 'x'));
const DEEPEST = CHAIN.join('/');
/** File names of 7 characters finish a path of exactly pathLength (255) characters at depth 32. */
const NAME_CHARS = DEFAULT_LIMITS.pathLength - DEEPEST.length - 1;
const BIG_FILES = 9;
/** Each big file is just under the per-file cap. */
const BIG_FILE_BYTES = DEFAULT_LIMITS.fileBytes - BLOCK;
/** Left under the compressed and unpacked caps, for gzip's and our estimate's slack. */
const COMPRESSED_TARGET = DEFAULT_LIMITS.archiveBytes - 0.5 * MiB;
const UNPACKED_MARGIN = 10_240;
/**
 * What native gzip level 1 makes of two-letter content (0.2263 on Node 20 and 24, 8 MiB measured) and of random
 * content; the mixed variant's share of random pieces is planned from these, not from what gzip returns, so the tar
 * is the same whatever zlib the runtime has.
 */
const TWO_LETTER_RATIO = 0.2263;
const RANDOM_RATIO = 1.0003;
/** The small files and all headers: ~20 MiB unpacked, measured ~1.15 MiB compressed. */
const SMALL_REGION_BUDGET = 1.2 * MiB;
const PIECE = 1 * MiB;
/** One random byte in every this-many of the low-entropy variant's text: a ratio near (under) the cap of 100. */
const MUTATE_EVERY = 700;

const pad = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
const roundUp = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

function header(path: string, type: 'File' | 'Directory', size: number): Buffer[] {
  const fields = { path, type, size, mode: type === 'File' ? 0o644 : 0o755, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000), uname: '', gname: '' };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header(fields).encode(block, 0);
  if (!needPax) return [block];
  // What git archive does too: a per-entry pax header carrying the full path.
  const body = Buffer.from(new Pax({ path }).encodeBody(), 'utf8');
  const paxBlock = Buffer.alloc(BLOCK);
  new Header({ path: 'PaxHeader', type: 'ExtendedHeader', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: fields.mtime }).encode(paxBlock, 0);
  return [paxBlock, body, pad(body.length), block];
}

/** A pax global header whose body is exactly `size` bytes: the commit id, then a comment filling the rest. */
function globalHeader(size: number): Buffer[] {
  const record = (key: string, value: string) => {
    const rest = ` ${key}=${value}\n`;
    let length = rest.length + 1;
    while (String(length).length + rest.length !== length) length = String(length).length + rest.length;
    return `${length}${rest}`;
  };
  const commit = record('comment', '5eed5ee'.padEnd(40, '0'));
  // Find the filler length that makes the whole body exactly `size` bytes (the length prefix grows with it).
  let filler = size - commit.length - 20;
  while (commit.length + record('registrar.filler', 'f'.repeat(filler)).length < size) filler += 1;
  while (commit.length + record('registrar.filler', 'f'.repeat(filler)).length > size) filler -= 1;
  const body = Buffer.from(commit + record('registrar.filler', 'f'.repeat(filler)), 'ascii');
  const block = Buffer.alloc(BLOCK);
  new Header({ path: 'pax_global_header', type: 'GlobalExtendedHeader', size: body.length, mode: 0o666, uid: 0, gid: 0, mtime: new Date(0) }).encode(block, 0);
  return [block, body, pad(body.length)];
}

interface Plan {
  smallFiles: number;
  smallFileBytes: number;
  /** The first this-many small files are one block longer, to use the unpacked cap up to the last block. */
  longerFiles: number;
}

/** How many small files and how big, so that entries and unpacked bytes both land just under their caps. */
function plan(globalPaxBytes: number): Plan {
  const entries = DEFAULT_LIMITS.entries;
  const dirs = CHAIN.length;
  const smallFiles = entries - dirs - BIG_FILES;
  const metaPerEntry = (path: string) => header(`${TOP}/${path}`, 'File', 0).reduce((sum, part) => sum + part.length, 0);
  const sampleFile = `${DEEPEST}/${'f'.padEnd(NAME_CHARS, '0')}`;
  let fixed = BLOCK + roundUp(globalPaxBytes) + BLOCK; // global header, the top directory's entry
  for (let i = 1; i <= dirs; i++) fixed += metaPerEntry(CHAIN.slice(0, i).join('/') + '/');
  fixed += BIG_FILES * (metaPerEntry(sampleFile) + roundUp(BIG_FILE_BYTES));
  fixed += 2 * BLOCK; // end-of-archive marker
  const left = DEFAULT_LIMITS.unpackedBytes - UNPACKED_MARGIN - fixed;
  const perSmall = Math.floor(left / smallFiles);
  const smallFileBytes = Math.floor((perSmall - metaPerEntry(sampleFile)) / BLOCK) * BLOCK;
  if (smallFileBytes < 0) throw new Error('the cap archive plan does not fit the unpacked cap');
  const longerFiles = Math.floor((left - smallFiles * (metaPerEntry(sampleFile) + smallFileBytes)) / BLOCK);
  return { smallFiles, smallFileBytes, longerFiles };
}

function fileName(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(NAME_CHARS - prefix.length, '0')}`;
}

/** The tar, in pieces of at most ~1 MiB, never all of it in memory. */
function* tarPieces(variant: CapVariant, stats: CapArchiveStats, manifest: CapManifest | undefined): Generator<Buffer> {
  const source = new SeededBytes(`registrar cap archive ${variant}`);
  const globalPaxBytes = DEFAULT_LIMITS.paxBytes;
  const { smallFiles, smallFileBytes, longerFiles } = plan(globalPaxBytes);
  const count = (parts: Buffer[]) => {
    for (const part of parts) stats.unpackedBytes += part.length;
    return Buffer.concat(parts);
  };
  const noteEntry = (rel: string) => {
    stats.entries += 1;
    stats.longestPath = Math.max(stats.longestPath, [...rel.replace(/\/$/, '')].length);
    stats.deepestPath = Math.max(stats.deepestPath, rel.replace(/\/$/, '').split('/').length);
  };
  stats.paxBytes = globalPaxBytes;
  yield count(globalHeader(globalPaxBytes));
  yield count(header(`${TOP}/`, 'Directory', 0));
  for (let i = 1; i <= CHAIN.length; i++) {
    const rel = CHAIN.slice(0, i).join('/') + '/';
    noteEntry(rel);
    yield count(header(`${TOP}/${rel}`, 'Directory', 0));
  }

  // Big files first: in the low-entropy variant they hold the ratio under the cap before the very compressible
  // small files come. In the mixed one, a share of 1 MiB pieces is random, spread evenly (error diffusion).
  const bigBytes = BIG_FILES * BIG_FILE_BYTES;
  const bigTarget = COMPRESSED_TARGET - SMALL_REGION_BUDGET;
  const randomShare = Math.min(1, Math.max(0, (bigTarget / bigBytes - TWO_LETTER_RATIO) / (RANDOM_RATIO - TWO_LETTER_RATIO)));
  let owed = 0;
  for (let f = 0; f < BIG_FILES; f++) {
    const rel = `${DEEPEST}/${fileName('big', f)}`;
    noteEntry(rel);
    stats.files += 1;
    stats.largestFileBytes = Math.max(stats.largestFileBytes, BIG_FILE_BYTES);
    yield count(header(`${TOP}/${rel}`, 'File', BIG_FILE_BYTES));
    for (let offset = 0; offset < BIG_FILE_BYTES; offset += PIECE) {
      const size = Math.min(PIECE, BIG_FILE_BYTES - offset);
      let piece: Buffer;
      if (variant === 'low-entropy') {
        piece = repetitiveText(source, size, MUTATE_EVERY);
      } else {
        owed += randomShare;
        if (owed >= 1) {
          owed -= 1;
          piece = randomContent(source, size);
        } else {
          piece = twoLetterContent(source, size);
        }
      }
      yield count([piece]);
    }
    yield count([pad(BIG_FILE_BYTES)]);
  }

  // A manifest takes the place of the first small file, so the entry count stays exactly at its cap.
  if (manifest) {
    const body = Buffer.from(`${JSON.stringify({ name: manifest.name, version: manifest.version, license: 'MIT' }, null, 2)}\n`);
    noteEntry('package.json');
    stats.files += 1;
    yield count([...header(`${TOP}/package.json`, 'File', body.length), body, pad(body.length)]);
  }
  for (let s = manifest ? 1 : 0; s < smallFiles; s++) {
    const rel = `${DEEPEST}/${fileName('f', s)}`;
    noteEntry(rel);
    stats.files += 1;
    const size = smallFileBytes + (s < longerFiles ? BLOCK : 0);
    const body = variant === 'low-entropy' ? repetitiveText(source, size, MUTATE_EVERY) : twoLetterContent(source, size);
    yield count([...header(`${TOP}/${rel}`, 'File', size), body, pad(size)]);
  }
  // The end-of-archive marker, then zeros up to git's 10,240-byte record, if the cap leaves room.
  const end = 2 * BLOCK;
  const record = (10_240 - ((stats.unpackedBytes + end) % 10_240)) % 10_240;
  const room = DEFAULT_LIMITS.unpackedBytes - stats.unpackedBytes - end;
  yield count([Buffer.alloc(end + (record <= room ? record : 0))]);
}

/** A package.json at the root, so a publish of the cap archive goes all the way (the caps script builds without one). */
export interface CapManifest {
  name: string;
  version: string;
}

/**
 * Write the cap archive of a variant to `path`, streamed (the tar is never whole in memory):
 * - `mixed`: ~49 MiB compressed, ~200 MiB unpacked: 9 files of 20 MiB − 512 bytes, mostly two-letter content
 *   (the slowest kind to deflate) with about one 1 MiB piece in ten random; 9,960 small files; 10,000 entries;
 *   paths of exactly 255 characters at depth 32; a 64 KiB pax global header.
 * - `low-entropy`: the same layout with repetitive text only, at a compression ratio near the cap of 100.
 */
export async function writeCapArchive(variant: CapVariant, path: string, options: { manifest?: CapManifest } = {}): Promise<CapArchiveStats> {
  const stats: CapArchiveStats = {
    variant,
    compressedBytes: 0,
    unpackedBytes: 0,
    entries: 0,
    files: 0,
    largestFileBytes: 0,
    longestPath: 0,
    deepestPath: 0,
    paxBytes: 0,
  };
  // Level 1 for the two-letter content (level 6 would take ~20 s on it); level 6, like git archive, for the text.
  const level = variant === 'mixed' ? 1 : 6;
  await pipeline(tarPieces(variant, stats, options.manifest), createGzip({ level }), createWriteStream(path));
  stats.compressedBytes = (await stat(path)).size;
  return stats;
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring a build

/** What `measureCapBuild` reports: the archive built, then the child's measurements (see ChildResult). */
export interface CapBuild extends ChildResult {
  variant: CapVariant;
  archive: CapArchiveStats;
}

export interface ChildResult {
  /** Wall time of buildCanonicalTarball in the child, from the first byte read to the file written and hashed. */
  seconds: number;
  /** The child's peak resident set (process.resourceUsage().maxRSS), a fresh process per build. */
  peakRssMiB: number;
  /** The child's resident set just before the build (Node, tsx and the modules loaded): what the build adds is the difference. */
  startRssMiB: number;
  /** Size and sha256 (hex) of the canonical tarball, and its number of files. */
  bytes: number;
  sha256: string;
  files: number;
}

const THIS_FILE = fileURLToPath(import.meta.url);
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));

/** Run buildCanonicalTarball on an archive file in a fresh Node process (this runtime, or `node`), for a clean RSS. */
export async function buildInChild(archivePath: string, node = process.execPath): Promise<ChildResult> {
  const child = spawn(node, ['--import', 'tsx', THIS_FILE, archivePath], { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || line === undefined) {
    throw new Error(`building the canonical tarball of ${archivePath} failed (exit ${code}): ${(stderr || stdout).trim().slice(0, 2000)}`);
  }
  return JSON.parse(line) as ChildResult;
}

/** The child's side: build into a work directory, time it, read the peak RSS, then check the output inflates to a tar (untimed). */
async function childMain(archivePath: string): Promise<void> {
  const { buildCanonicalTarball } = await import('../src/core/tarball.js');
  const workDir = await mkdtemp(join(tmpdir(), 'registrar-caps-build-'));
  try {
    const startRssMiB = process.memoryUsage().rss / MiB;
    const started = performance.now();
    const result = await buildCanonicalTarball(createReadStream(archivePath, { highWaterMark: 64 * 1024 }), { name: 'capped', version: '1.0.0', workDir });
    const seconds = (performance.now() - started) / 1000;
    // maxRSS is in KiB; read before the check below, which is not part of the build.
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    let tarBytes = 0;
    let tail = Buffer.alloc(0);
    await pipeline(createReadStream(result.file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        tarBytes += chunk.length;
        tail = Buffer.concat([tail, chunk]).subarray(-2 * BLOCK);
      }
    });
    if (tarBytes % BLOCK !== 0 || !tail.every((byte) => byte === 0)) throw new Error('the canonical tarball does not inflate to a tar');
    const child: ChildResult = { seconds, peakRssMiB, startRssMiB, bytes: result.size, sha256: result.sha256Hex, files: result.files.length };
    console.log(JSON.stringify(child));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Build the cap archive of a variant in a temporary directory, then its canonical tarball in a child process, and
 * report the child's wall time, peak RSS, and the tarball's size and sha256. `npm run caps` prints these; `npm run
 * attack` can take its CPU rows from here.
 */
export async function measureCapBuild(variant: CapVariant, options: { node?: string } = {}): Promise<CapBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'registrar-caps-'));
  try {
    const path = join(dir, `${variant}.tar.gz`);
    const archive = await writeCapArchive(variant, path);
    const result = await buildInChild(path, options.node);
    return { variant, archive, ...result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === THIS_FILE) {
  const archivePath = process.argv[2];
  if (archivePath === undefined) throw new Error('usage: node --import tsx test-support/cap-archive.ts <archive.tar.gz>');
  await childMain(archivePath);
}
