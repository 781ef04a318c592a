// Turns a GitHub source archive into the registry's canonical .tar.gz: only the package's files, in byte-stable form.

import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Deflate } from 'fflate';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { RegistrarError, refused, transient } from '../errors.js';
import { collisionProblems, pathProblems, quotePath, withinPathLimits } from './archive-paths.js';
import { DEFAULT_LIMITS, RATIO_FLOOR_BYTES, type Limits } from './limits.js';

export interface CanonicalTarball {
  /** The canonical `.tar.gz`. */
  bytes: Uint8Array;
  sha256Hex: string;
  /** `sha256-<base64>` (Subresource Integrity form), as the registry metadata records it. */
  integrity: string;
  size: number;
  /** Package-relative paths of the regular files, sorted by their UTF-8 bytes (not the archive's order). */
  files: string[];
  /** The bytes of the manifest file at the package root, if there is one. */
  manifest: Uint8Array | undefined;
}

export interface CanonicalTarballFile {
  /** The canonical .tar.gz on disk, inside options.workDir (the caller removes that directory). */
  file: string;
  size: number;
  sha256Hex: string;
  /** `sha256-<base64>` (Subresource Integrity form), as the registry metadata records it. */
  integrity: string;
  /** Lower-case hex md5 of the whole file (what S3 answers as the ETag of a single-part PUT). */
  md5Hex: string;
  /** Package-relative paths of the regular files, sorted by their UTF-8 bytes (not the archive's order). */
  files: string[];
  /** The bytes of the manifest file at the package root, if there is one. */
  manifest: Uint8Array | undefined;
}

export interface CanonicalTarballOptions {
  name: string;
  version: string;
  /** Directory of the package inside the repository; absent or '' = the repository root. */
  subdir?: string;
  /** Path of the manifest relative to the package root; default `package.json`. */
  manifestFile?: string;
  limits?: Limits;
}

/**
 * Every entry's mtime: 1980-01-01T00:00:00Z. A fixed time makes the bytes independent of when the tag was made;
 * this one rather than 0 because it is the earliest time every archive format can express (zip's DOS dates start
 * in 1980), so tools that re-pack or unpack the tarball never see an out-of-range or "implausible" time.
 */
export const CANONICAL_MTIME_SECONDS = 315_532_800;
const CANONICAL_MTIME = new Date(CANONICAL_MTIME_SECONDS * 1000);

/**
 * What decides the bytes besides the files themselves. Only CANONICAL_FORMAT is ever published; the other values
 * exist so scripts/size-vs-npm.ts and scripts/deflate-candidates.ts can measure the alternatives with this code.
 */
export interface TarballFormat {
  /**
   * Compressors along the tar stream, an fflate level or LazyDeflate's settings: each stage covers `bytes` (a
   * multiple of DEFLATE_PUSH) after the ones before it; the last stage, without `bytes`, covers the rest. A stage
   * after the first starts with the last 32 KiB as its dictionary.
   */
  schedule: ReadonlyArray<{ level: DeflateLevel | LazyParams; bytes?: number }>;
  /** fflate's `mem`: a hash table of 2^(12 + mem) entries. */
  mem: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;
  /** How files are ordered (see canonicalEntries). */
  order: 'name' | 'extension' | 'path';
  /** Whether directories get entries of their own (`<top>/` and every directory that holds a file). */
  directories: boolean;
}
type DeflateLevel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

const MiB = 1024 * 1024;

/**
 * The deflate, all pure JS (bundled, so the bytes never depend on the runtime's zlib), on a fixed schedule along the
 * tar stream:
 * - the first 4 MiB: LazyDeflate below, with zlib level 9's match search (lazy matching, chains of up to 4,096,
 *   nice length 258) within a work budget of 32 per input byte over each 1 MiB push (one per chain step and one per
 *   byte compared; past it, 8 steps per position). On code the budget does not bind (the same output as without
 *   it); on text made to be slow (two letters at random) it holds the cost to ~0.3–0.5 s per MiB, where the same
 *   search without it took ~20 s (both measured on the 2 shared cores at load ~8).
 * - the rest: fflate level 1 with a 2^16-entry hash table (mem 4), fast whatever the content, so a package at the
 *   caps still builds in seconds.
 * With the order below, a package's tarball is then no larger than `npm pack`'s (zlib level 9): median 0.998 over
 * the 26 package shapes of scripts/size-vs-npm.ts. fflate alone cannot get there: its search is greedy, and at any
 * level its output is 2–3% larger than zlib 9's. BENCHMARKS.md has the numbers.
 *
 * Files are ordered by their name (the last path segment), then by path, so the copies of one module in several
 * builds (dist/esm/x.js, dist/cjs/x.js) and its variants (x.d.ts, x.js, x.js.map, x.mjs) sit within deflate's 32 KiB
 * window of each other. Directories get no entries of their own, as in npm's tarballs: every tar reader creates
 * the directories a file's path names, and their headers cost small packages more than the order gains them.
 *
 * These values, LazyDeflate, fflate's version and DEFLATE_PUSH make up the format: the golden-hash tests guard them.
 */
export const CANONICAL_FORMAT: Readonly<TarballFormat> = Object.freeze({
  schedule: Object.freeze([
    { level: Object.freeze({ good: 32, lazy: 258, nice: 258, chain: 4096, budget: 32 }), bytes: 4 * MiB },
    { level: 1 },
  ] as const),
  mem: 4,
  order: 'name',
  directories: false,
});

/**
 * fflate's streaming output depends on how its input is cut (it ends a deflate block per push), so the input is
 * always pushed in pieces of exactly this size; 1 MiB compresses as well as one-shot (64 KiB pushes: +0.07% on
 * random data, +6.5% on repetitive text).
 */
const DEFLATE_PUSH = MiB;
/** Deflate's window: the low-level stream starts with the last this-many bytes of the high-level one as its dictionary. */
const WINDOW = 32 * 1024;

const BLOCK = 512;
const AGAIN = 'Then tag a new version and open a new publish request.';
/** Where the package's file contents wait, inside the work directory, between reading and writing. */
const SPOOL_NAME = 'spool';
/** The output's name inside the work directory: fixed, so no name from the archive or request ever reaches the disk. */
const OUTPUT_NAME = 'canonical.tar.gz';

/**
 * Build the canonical tarball of one package from a GitHub source archive (gzip'd tar) into `options.workDir`.
 * Memory stays flat whatever the package's size: file contents go to one spool file as they are read and come back
 * in bounded pieces, and the output is written and hashed as it is compressed.
 */
export async function buildCanonicalTarball(
  archive: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options: CanonicalTarballOptions & { workDir: string },
): Promise<CanonicalTarballFile> {
  return buildTarballWithFormat(archive, options, CANONICAL_FORMAT);
}

/** buildCanonicalTarball with another format: for the scripts that measure the alternatives, never for publishing. */
export async function buildTarballWithFormat(
  archive: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options: CanonicalTarballOptions & { workDir: string },
  format: Readonly<TarballFormat>,
): Promise<CanonicalTarballFile> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const manifestFile = options.manifestFile ?? 'package.json';
  const top = `${options.name}-${options.version}`;
  const subdir = normaliseSubdir(options.subdir);
  checkOwnPaths(top, subdir, manifestFile);
  checkSchedule(format);

  const spoolPath = join(options.workDir, SPOOL_NAME);
  const file = join(options.workDir, OUTPUT_NAME);
  // 'wx': never write through a link or into a file someone else put there.
  const spool = await open(spoolPath, 'wx+');
  let output: FileHandle | undefined;
  let done = false;
  try {
    const pkg = await readPackage(archive, limits, subdir, manifestFile, spool);
    output = await open(file, 'wx');
    const written = await writeCanonical(top, pkg, spool, output, format);
    done = true;
    return {
      file,
      ...written,
      files: [...pkg.files.keys()],
      manifest: pkg.manifest,
    };
  } finally {
    await output?.close().catch(() => undefined);
    await spool.close().catch(() => undefined);
    await rm(spoolPath, { force: true });
    // Only a file this build created: 'wx' refused to open one that was there before.
    if (!done && output) await rm(file, { force: true });
  }
}

/**
 * The same build, returned in memory: a temporary work directory under os.tmpdir(), removed before returning.
 * Kept for callers that have not moved to buildCanonicalTarball; the bytes are identical.
 */
export async function canonicalTarball(
  archive: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options: CanonicalTarballOptions,
): Promise<CanonicalTarball> {
  const workDir = await mkdtemp(join(tmpdir(), 'registrar-tarball-'));
  try {
    const built = await buildCanonicalTarball(archive, { ...options, workDir });
    const bytes = new Uint8Array(await readFile(built.file));
    return { bytes, sha256Hex: built.sha256Hex, integrity: built.integrity, size: built.size, files: built.files, manifest: built.manifest };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

interface PackageFile {
  /** Where the content sits in the spool file. */
  offset: number;
  size: number;
  /** Bytes received so far (node-tar reports a short body as truncated; checked again before writing). */
  received: number;
  executable: boolean;
}

interface PackageContent {
  /** Sorted by the UTF-8 bytes of the path. */
  files: Map<string, PackageFile>;
  /** Every directory that holds a file, sorted like files; the package root ('') is not included. */
  dirs: string[];
  manifest: Uint8Array | undefined;
}

/**
 * Appends file contents to the spool as node-tar hands them over. The parser's events are synchronous, so chunks
 * queue here and the reading loop awaits flush() after every piece it feeds the parser: what waits in memory is at
 * most one piece's worth of content plus the flush threshold.
 */
class Spool {
  private queue: Buffer[] = [];
  private queued = 0;
  /** Bytes handed to add(), written or queued: the offset of the next one. */
  size = 0;
  private written = 0;
  constructor(private readonly handle: FileHandle) {}

  add(chunk: Buffer): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.size += chunk.length;
  }

  /** Write what is queued once it is worth a system call (or always, with `all`). */
  async flush(all = false): Promise<void> {
    if (this.queue.length === 0) return;
    // 512 buffers stays under every system's IOV_MAX in one writev; 256 KiB keeps the calls few.
    if (!all && this.queued < 256 * 1024 && this.queue.length < 512) return;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    let position = this.written;
    for (let i = 0; i < batch.length; i += 512) {
      const part = batch.slice(i, i + 512);
      let length = 0;
      for (const chunk of part) length += chunk.length;
      const { bytesWritten } = await this.handle.writev(part, position);
      // writev on a regular file writes everything or throws; a short write would silently corrupt the tarball.
      if (bytesWritten !== length) throw new Error(`short write to the spool file (${bytesWritten} of ${length} bytes)`);
      position += length;
    }
    this.written = position;
  }
}

/** A rule the package breaks: what is wrong (naming the path) and what the author should do about it. */
interface Problem {
  message: string;
  fix: string;
}

const FIX = {
  path: 'Rename or remove the files and directories with these paths.',
  link: 'Replace the links with regular files or remove them from the package directory.',
  special: 'Remove device files, FIFOs and other special files from the package directory.',
  duplicate: 'Rename one of each pair of colliding files.',
} as const;

async function readPackage(
  archive: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  limits: Limits,
  subdir: string | undefined,
  manifestFile: string,
  spoolFile: FileHandle,
): Promise<PackageContent> {
  let compressed = 0;
  let unpacked = 0;
  let entries = 0;
  let topDir: string | undefined;
  let subdirFound = subdir === undefined;
  let sawEof = false;
  let parseError: unknown;
  /** The first cap crossed or structural fault; once set, parsing stops and this is what we throw. */
  let failure: RegistrarError | undefined;
  const problems: Problem[] = [];
  const pending = new Map<string, PackageFile>();
  const spool = new Spool(spoolFile);
  /** The manifest's content, kept in memory too (the caller reads it; it is at most one file, fileBytes). */
  let manifestChunks: Buffer[] | undefined;
  const explicitDirs = new Set<string>();
  /** Every package path seen, refused ones included, for the collision check. */
  const seen = new Set<string>();

  const parser = new Parser({
    strict: true,
    // The input reaching the parser is already plain tar: never let a crafted first block start another decompressor.
    brotli: false,
    zstd: false,
    // A larger pax / GNU long-name record is emitted as an 'ignoredEntry', which we refuse below.
    maxMetaEntrySize: limits.paxBytes,
  });

  const fail = (error: RegistrarError) => {
    if (!failure) {
      failure = error;
      parser.abort(new Error('aborted by Registrar'));
    }
  };
  const problem = (message: string, fix: string) => problems.push({ message, fix });

  /** Where an entry belongs: the package (with its package-relative path), or nowhere we keep. */
  const locate = (entry: ReadEntry): { inPackage: true; rel: string } | { inPackage: false } => {
    const isDir = entry.type === 'Directory';
    const raw = isDir ? trimTrailingSlashes(entry.path) : entry.path;
    const slash = raw.indexOf('/');
    const first = slash < 0 ? raw : raw.slice(0, slash);
    if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) {
      fail(notOneTopDirectory(`it has an entry with an absolute path, ${quotePath(entry.path)}`));
      return { inPackage: false };
    }
    if (topDir === undefined) {
      if (slash < 0 && !isDir) {
        fail(notOneTopDirectory(`it has a file, ${quotePath(entry.path)}, outside any directory`));
        return { inPackage: false };
      }
      topDir = first;
    } else if (first !== topDir || (slash < 0 && !isDir)) {
      fail(notOneTopDirectory(`it has ${quotePath(topDir + '/')} and also ${quotePath(entry.path)}`));
      return { inPackage: false };
    }
    if (slash < 0) return { inPackage: false }; // the top directory's own entry
    const inRepo = raw.slice(slash + 1);
    if (subdir === undefined) return { inPackage: true, rel: inRepo };
    if (inRepo === subdir) {
      if (!isDir) {
        fail(
          refused(
            `The package directory ${quotePath(subdir)} is a ${describeType(entry.type)} in the source archive, not a directory.`,
            'Correct `subdir` in the publish request, or leave it out if the package is at the repository root.',
          ),
        );
      }
      return { inPackage: false };
    }
    if (inRepo.startsWith(subdir + '/')) {
      subdirFound = true;
      return { inPackage: true, rel: inRepo.slice(subdir.length + 1) };
    }
    return { inPackage: false };
  };

  /** Count a package entry and check its path; false when it must not be kept. */
  const admit = (rel: string): boolean => {
    entries += 1;
    // A path over the length or depth cap is refused anyway; kept out of the collision check, a hostile 64 KiB path
    // with 32,000 segments cannot make it build 32,000 ancestors.
    if (withinPathLimits(rel, limits)) seen.add(rel);
    if (entries > limits.entries) {
      fail(
        refused(
          `The package has more than ${limits.entries} files and directories, the registry's limit.`,
          `Keep generated files and test data out of the package directory. ${AGAIN}`,
        ),
      );
      return false;
    }
    const pathIssues = pathProblems(rel, limits);
    for (const message of pathIssues) problem(message, FIX.path);
    return pathIssues.length === 0;
  };

  parser.on('entry', (entry: ReadEntry) => {
    const place = failure ? { inPackage: false as const } : locate(entry);
    if (!place.inPackage) {
      // Outside the package: drain without buffering (the bytes were already counted as unpacked).
      entry.resume();
      return;
    }
    const { rel } = place;
    const ok = admit(rel);
    switch (entry.type) {
      case 'File':
      case 'OldFile': {
        if (entry.size > limits.fileBytes) {
          fail(
            refused(
              `The file ${quotePath(rel)} is ${formatBytes(entry.size)}; the limit for one file is ${formatBytes(limits.fileBytes)}.`,
              `Keep large files out of the package directory. ${AGAIN}`,
            ),
          );
          break;
        }
        if (pending.has(rel)) {
          problem(`The path ${quotePath(rel)} appears more than once in the source archive.`, FIX.duplicate);
          break;
        }
        if (!ok) break;
        const record: PackageFile = { offset: spool.size, size: entry.size, received: 0, executable: ((entry.mode ?? 0) & 0o111) !== 0 };
        pending.set(rel, record);
        const keep: Buffer[] | undefined = rel === manifestFile ? (manifestChunks = []) : undefined;
        entry.on('data', (chunk: Buffer) => {
          // node-tar never hands over more than the header's size; counted anyway, so a file's bytes never spill into the next one's.
          const take = chunk.length <= record.size - record.received ? chunk : chunk.subarray(0, record.size - record.received);
          record.received += take.length;
          spool.add(take);
          keep?.push(take);
        });
        return;
      }
      case 'Directory':
        explicitDirs.add(rel);
        break;
      case 'SymbolicLink':
        problem(`The path ${quotePath(rel)} is a symbolic link; only regular files and directories may be published.`, FIX.link);
        break;
      case 'Link':
        problem(`The path ${quotePath(rel)} is a hard link; only regular files and directories may be published.`, FIX.link);
        break;
      default:
        problem(
          `The path ${quotePath(rel)} is a ${describeType(entry.type)}; only regular files and directories may be published.`,
          FIX.special,
        );
    }
    entry.resume();
  });

  // node-tar skips (rather than emits) unknown entry types and over-sized metadata records: both are refusals.
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    if (failure) return;
    if (entry.meta) {
      fail(
        refused(
          `The source archive has a metadata (pax) record of ${formatBytes(entry.size)}; the limit is ${formatBytes(limits.paxBytes)}.`,
          `Shorten the longest paths in the repository. ${AGAIN}`,
        ),
      );
      return;
    }
    const place = locate(entry);
    if (place.inPackage && admit(place.rel)) {
      problem(
        `The path ${quotePath(place.rel)} has an unsupported entry type (${quotePath(String(entry.header.typeKey))}); only regular files and directories may be published.`,
        FIX.special,
      );
    }
  });
  parser.on('eof', () => {
    sawEof = true;
  });
  parser.on('error', (error: unknown) => {
    parseError ??= error;
  });
  // An abort (or error) during end() means 'end' never comes: settle on any of them and look at the state after.
  const parserDone = new Promise<void>((resolve) => {
    for (const event of ['end', 'abort', 'error']) parser.once(event, () => resolve());
  });

  let head: Buffer | undefined = Buffer.alloc(0);
  /** Last stage: count what the gunzip produces, enforce the caps, feed the tar parser. */
  const consume = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      unpacked += chunk.length;
      if (unpacked > limits.unpackedBytes) {
        fail(
          refused(
            `The source archive unpacks to more than ${formatBytes(limits.unpackedBytes)}, the registry's limit.`,
            `Move large files out of the repository (or publish from a smaller repository). ${AGAIN}`,
          ),
        );
      } else if (unpacked > RATIO_FLOOR_BYTES && unpacked > compressed * limits.ratio) {
        fail(
          refused(
            `The source archive expands to more than ${limits.ratio} times its compressed size, which is how decompression bombs look.`,
            `Remove the highly compressible files (large runs of identical bytes) from the repository. ${AGAIN}`,
          ),
        );
      }
      if (failure) throw failure;
      // Past the end-of-archive marker only padding should follow: count it, but don't hand it to node-tar, which
      // would keep concatenating it into one growing buffer.
      if (sawEof) continue;
      if (head) {
        // A tar starting with the gzip magic would make node-tar decompress a second time, behind our counters.
        head = Buffer.concat([head, chunk]);
        if (head.length < 2) continue;
        if (head[0] === 0x1f && head[1] === 0x8b) throw unreadable('it is compressed twice');
        parser.write(head);
        head = undefined;
      } else {
        parser.write(chunk);
      }
      if (failure) throw failure;
      if (parseError !== undefined) throw unreadable(parseError);
      await spool.flush();
    }
    if (head?.length) parser.write(head);
    parser.end();
    await parserDone;
    await spool.flush(true);
    if (failure) throw failure;
    if (parseError !== undefined) throw unreadable(parseError);
    if (!sawEof) throw unreadable('it ends before the end-of-archive marker');
  };

  /** First stage: pass the compressed bytes on, counting them and stopping as soon as the cap is crossed. */
  async function* countCompressed(): AsyncGenerator<Uint8Array> {
    const iterator = (archive as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array | string>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw transient('Downloading the source archive failed.', error);
        }
        if (next.done) return;
        const chunk = next.value;
        if (typeof chunk === 'string') throw new TypeError('the source archive must be a byte stream, not text');
        compressed += chunk.byteLength;
        if (compressed > limits.archiveBytes) {
          fail(
            refused(
              `The source archive is larger than ${formatBytes(limits.archiveBytes)} compressed, the registry's limit.`,
              `Move large files out of the repository (or publish from a smaller repository). ${AGAIN}`,
            ),
          );
          throw failure;
        }
        yield chunk;
      }
    } finally {
      // Stop the download when we stop early (a cap, a refusal); a finished or failed iterator ignores this.
      await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }

  try {
    // Reading uses Node's zlib: it checks the gzip CRC and hands over output in 16 KiB pieces, so every cap is
    // checked within 16 KiB of being crossed. Only the output has to be independent of the runtime's zlib.
    await pipeline(countCompressed(), zlib.createGunzip(), consume);
  } catch (error) {
    if (failure) throw failure;
    if (error instanceof RegistrarError) throw error;
    throw unreadable(error);
  }

  if (!subdirFound) {
    throw refused(
      `The directory ${quotePath(subdir ?? '')} is not in the source archive at this tag, or holds no files.`,
      'Check `subdir` in the publish request against the repository at that tag (it is case-sensitive).',
    );
  }
  const content = assemble(pending, explicitDirs, seen, problems);
  content.manifest = manifestChunks && Buffer.concat(manifestChunks);
  return content;
}

/** Check the package as a whole (collisions, file-vs-directory clashes), then sort it into the canonical order. */
function assemble(
  pending: Map<string, PackageFile>,
  explicitDirs: Set<string>,
  seen: Set<string>,
  problems: Problem[],
): PackageContent {
  // Directories are derived from the files, so empty directories (which git cannot hold anyway) never vary the output.
  const dirs = ancestors(pending.keys());
  for (const rel of pending.keys()) {
    if (dirs.has(rel) || explicitDirs.has(rel)) {
      problems.push({ message: `The path ${quotePath(rel)} is both a file and a directory.`, fix: FIX.duplicate });
    }
  }
  // Paths refused for other reasons take part too, so an NFD name is also reported as the twin of its NFC form.
  const everything = new Set([...seen, ...ancestors(seen)]);
  for (const message of collisionProblems(everything)) problems.push({ message, fix: FIX.duplicate });
  if (problems.length > 0) throw packageProblems(problems);

  const files = new Map<string, PackageFile>();
  for (const rel of sortByBytes([...pending.keys()])) {
    const record = pending.get(rel)!;
    // node-tar reports a short body as a truncated archive; this guards the invariant we rely on when writing.
    if (record.received !== record.size) throw unreadable(`the file ${quotePath(rel)} is shorter than its header says`);
    files.set(rel, record);
  }
  return { files, dirs: sortByBytes([...dirs]), manifest: undefined };
}

/** Every proper prefix of the paths that ends before a `/`. */
function ancestors(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  const found: string[] = [];
  for (const rel of paths) {
    // Deepest first, stopping at a directory already known (its own ancestors were added with it): 10,000 files
    // 32 levels deep cost one slice each, not 31. Added shallowest first, as messages list them.
    for (let i = rel.lastIndexOf('/'); i >= 0; i = i === 0 ? -1 : rel.lastIndexOf('/', i - 1)) {
      const dir = rel.slice(0, i);
      if (dirs.has(dir)) break;
      found.push(dir);
    }
    while (found.length > 0) dirs.add(found.pop()!);
  }
  return dirs;
}

function sortByBytes(paths: string[]): string[] {
  const keyed = paths.map((path) => ({ path, key: Buffer.from(path, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ path }) => path);
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

type Entry = { rel: string; file?: PackageFile };

/**
 * The entries in the format's order. 'extension': every file ordered by the UTF-8 bytes of its extension (the part
 * of its name after the last `.`, empty when there is none or the name only starts with one), then of its path;
 * directories, if they get entries, all come first in path order. 'path': directories and files merged in the
 * UTF-8 byte order of their paths (a directory precedes its contents, being a prefix of them).
 */
function canonicalEntries(pkg: PackageContent, format: Readonly<TarballFormat>): Entry[] {
  const dirs: Entry[] = format.directories ? pkg.dirs.map((rel) => ({ rel })) : [];
  const files: Entry[] = [...pkg.files].map(([rel, file]) => ({ rel, file }));
  if (format.order !== 'path') {
    const first = format.order === 'name' ? lastSegment : extensionOf;
    const keyed = files.map((entry) => ({ entry, first: Buffer.from(first(entry.rel), 'utf8'), key: Buffer.from(entry.rel, 'utf8') }));
    keyed.sort((a, b) => Buffer.compare(a.first, b.first) || Buffer.compare(a.key, b.key));
    return [...dirs, ...keyed.map(({ entry }) => entry)];
  }
  const keyed = [...dirs, ...files].map((entry) => ({ entry, key: Buffer.from(entry.rel, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ entry }) => entry);
}

function checkSchedule(format: Readonly<TarballFormat>): void {
  const { schedule } = format;
  const ok =
    schedule.length > 0 &&
    schedule.every((stage, i) => (i === schedule.length - 1 ? stage.bytes === undefined : stage.bytes !== undefined && stage.bytes > 0 && stage.bytes % DEFLATE_PUSH === 0));
  if (!ok) throw new RangeError('a deflate schedule is stages of whole pushes, the last one open-ended');
}

function extensionOf(rel: string): string {
  const name = lastSegment(rel);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : '';
}

/**
 * The canonical tar: the entries in canonicalEntries' order, each path under `<top>/`. ustar headers with uid/gid
 * 0, empty user and group names, the fixed mtime, mode 0755 for directories and executable files and 0644 for other
 * files; a pax header carrying only `path` precedes an entry whose path does not fit ustar (too long, or not ASCII).
 * Ends with the two zero blocks of the standard end-of-archive marker, and no further padding. File contents come
 * back from the spool in pieces no larger than one deflate push; the output is hashed and written as it comes.
 */
async function writeCanonical(
  top: string,
  pkg: PackageContent,
  spool: FileHandle,
  output: FileHandle,
  format: Readonly<TarballFormat>,
): Promise<{ size: number; sha256Hex: string; integrity: string; md5Hex: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  const ready: Uint8Array[] = [];
  const gzip = new ScheduledGzip(format, (chunk) => ready.push(chunk));
  // Every output is inflated again by the runtime's zlib as it is written: gunzip checks the CRC-32 and length our
  // trailer took from the tar stream, so a deflate that wrote something else (fflate's streaming deflate did, at
  // level 9: matches reaching before the start of the stream) fails here instead of being published.
  const check = zlib.createGunzip();
  let checkError: Error | undefined;
  let inflated = 0;
  check.on('data', (chunk: Buffer) => (inflated += chunk.length));
  check.on('error', (error) => (checkError ??= error));
  const checked = new Promise<void>((resolve) => {
    check.once('end', resolve);
    check.once('error', () => resolve());
  });
  const drain = async () => {
    for (const chunk of ready.splice(0)) {
      sha256.update(chunk);
      md5.update(chunk);
      if (checkError) throw notInflating(checkError.message);
      // A gunzip that failed may never call back: stop waiting when it ends either way.
      await Promise.race([new Promise<void>((resolve) => check.write(chunk, () => resolve())), checked]);
      for (let at = 0; at < chunk.length; ) {
        const { bytesWritten } = await output.write(chunk, at, chunk.length - at, size + at);
        at += bytesWritten;
      }
      size += chunk.length;
    }
  };

  try {
    if (format.directories) for (const piece of entryPieces(`${top}/`, 'Directory', 0o755, 0)) gzip.write(piece);
    for (const { rel, file } of canonicalEntries(pkg, format)) {
      if (!file) {
        for (const piece of entryPieces(`${top}/${rel}/`, 'Directory', 0o755, 0)) gzip.write(piece);
        continue;
      }
      for (const piece of entryPieces(`${top}/${rel}`, 'File', file.executable ? 0o755 : 0o644, file.size)) gzip.write(piece);
      for (let position = file.offset, end = file.offset + file.size; position < end; ) {
        // Read straight into the deflate's push buffer: no copy, and never more than one push in memory.
        const room = gzip.room();
        const { bytesRead } = await spool.read(room, 0, Math.min(room.length, end - position), position);
        if (bytesRead === 0) throw new Error('the spool file is shorter than what was written to it');
        gzip.advance(bytesRead);
        position += bytesRead;
        await drain();
      }
      gzip.write(padding(file.size));
      if (ready.length > 0) await drain();
    }
    gzip.write(Buffer.alloc(2 * BLOCK));
    gzip.end();
    await drain();
    check.end();
    await checked;
    if (checkError || inflated !== gzip.length) throw notInflating(checkError?.message ?? `${inflated} of ${gzip.length} bytes`);
    const digest = sha256.digest();
    return { size, sha256Hex: digest.toString('hex'), integrity: `sha256-${digest.toString('base64')}`, md5Hex: md5.digest('hex') };
  } finally {
    check.destroy();
  }
}

function notInflating(detail: string): Error {
  return new Error(`the canonical tarball does not inflate to the tar it was made from (${detail})`);
}

function* entryPieces(path: string, type: 'File' | 'Directory', mode: number, size: number): Generator<Uint8Array> {
  const { block, needPax } = headerBlock(path, type, mode, size);
  if (needPax) {
    // Only `path` goes in the pax record: every other field fits ustar, so nothing else can vary.
    const body = Buffer.from(new Pax({ path }).encodeBody(), 'utf8');
    const name = 'PaxHeaders/' + asciiOnly(lastSegment(path));
    yield headerBlock(name.slice(0, 99), 'ExtendedHeader', 0o644, body.length).block;
    yield body;
    yield padding(body.length);
  }
  yield block;
}

/**
 * gzip with the format's level schedule. Input is re-cut into DEFLATE_PUSH-sized pushes, so the output depends only
 * on the bytes, never on how they were split. At the switch, the high-level deflate ends with a sync flush (a byte
 * boundary: another raw deflate may follow, fflate documents) and the low-level one starts with the last 32 KiB as
 * its dictionary, so its first matches can still reach back into the high-level part. One gzip member: our own
 * header and trailer around both.
 */
class ScheduledGzip {
  private readonly push = new Uint8Array(DEFLATE_PUSH);
  private filled = 0;
  private pushed = 0;
  private crc = 0;
  private deflate: Deflate | LazyDeflate;
  /** Bytes of input so far. */
  get length(): number {
    return this.pushed + this.filled;
  }
  private stage = 0;
  /** Where the current stage ends in the tar stream (Infinity in the last one). */
  private stageEnd: number;

  constructor(
    private readonly format: Readonly<TarballFormat>,
    private readonly emit: (chunk: Uint8Array) => void,
  ) {
    const first = format.schedule[0]!;
    // gzip header: no mtime, no file name, OS 3 (Unix); XFL as zlib sets it (4 fastest, 2 slowest, else 0): 2 for LazyDeflate.
    const xfl = first.level === 1 ? 4 : first.level === 9 || typeof first.level === 'object' ? 2 : 0;
    emit(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3));
    this.stageEnd = first.bytes ?? Infinity;
    this.deflate = this.deflater(first.level, undefined);
  }

  private deflater(level: DeflateLevel | LazyParams, dictionary: Uint8Array | undefined): Deflate | LazyDeflate {
    if (typeof level === 'object') return new LazyDeflate(level, this.emit, dictionary);
    // fflate hands each output piece over in an array of its own (a copy out of its working buffer).
    return new Deflate({ level, mem: this.format.mem, ...(dictionary && { dictionary }) }, (chunk) => this.emit(chunk));
  }

  /** The free part of the current push, to fill in place; then call advance(). */
  room(): Uint8Array {
    return this.push.subarray(this.filled);
  }

  advance(bytes: number): void {
    this.filled += bytes;
    if (this.filled === DEFLATE_PUSH) this.pushFull();
  }

  write(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; ) {
      const take = Math.min(DEFLATE_PUSH - this.filled, bytes.length - offset);
      this.push.set(bytes.subarray(offset, offset + take), this.filled);
      offset += take;
      this.advance(take);
    }
  }

  end(): void {
    const last = this.push.subarray(0, this.filled);
    this.crc = crc32(last, this.crc);
    this.pushed += last.length;
    this.filled = 0;
    this.deflate.push(last, true);
    const trailer = new Uint8Array(8);
    const view = new DataView(trailer.buffer);
    view.setUint32(0, this.crc >>> 0, true);
    view.setUint32(4, this.pushed >>> 0, true);
    this.emit(trailer);
  }

  private pushFull(): void {
    this.crc = crc32(this.push, this.crc);
    this.pushed += DEFLATE_PUSH;
    // fflate copies the push into its own window buffer, so ours is free again right away.
    this.deflate.push(this.push, false);
    this.filled = 0;
    if (this.pushed < this.stageEnd) return;
    this.stage += 1;
    const next = this.format.schedule[this.stage]!;
    this.stageEnd += next.bytes ?? Infinity;
    this.deflate.flush(true);
    this.deflate = this.deflater(next.level, this.push.subarray(DEFLATE_PUSH - WINDOW));
  }
}

/**
 * gzip the pieces in memory, as the tarball build does: for the scripts that measure deflate settings and for tests.
 * Whatever the pieces' sizes, the output depends only on their bytes.
 */
export function canonicalGzip(pieces: Iterable<Uint8Array>, format: Readonly<TarballFormat> = CANONICAL_FORMAT): Uint8Array {
  const output: Uint8Array[] = [];
  const gzip = new ScheduledGzip(format, (chunk) => output.push(chunk));
  for (const piece of pieces) gzip.write(piece);
  gzip.end();
  return Buffer.concat(output);
}

/** CRC-32 (gzip's trailer): the same function everywhere; native where Node has it (20.15+), else a table in JS. */
const crc32: (data: Uint8Array, value: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data, value) => zlib.crc32(data, value) : crc32Js;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Exported for the test that holds it equal to the native one. */
export function crc32Js(data: Uint8Array, value = 0): number {
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function headerBlock(
  path: string,
  type: 'File' | 'Directory' | 'ExtendedHeader',
  mode: number,
  size: number,
): { block: Buffer; needPax: boolean } {
  const header = new Header({
    path,
    type,
    mode,
    size,
    uid: 0,
    gid: 0,
    mtime: CANONICAL_MTIME,
    uname: '',
    gname: '',
    devmaj: 0,
    devmin: 0,
  });
  const block = Buffer.alloc(BLOCK);
  const needPax = header.encode(block, 0);
  return { block, needPax };
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

// ---------------------------------------------------------------------------------------------------------------
// Lazy deflate

/** Match search limits of LazyDeflate (zlib's names): see CANONICAL_FORMAT for the values used. */
export interface LazyParams {
  /** Longest hash chain walked per position… */
  chain: number;
  /** …a quarter of it once the previous match is at least this long… */
  good: number;
  /** …and no search at all at the next position once it is at least this long. */
  lazy: number;
  /** A match this long ends the search. */
  nice: number;
  /**
   * Work allowed per input byte of one push, over the whole push, counting one per chain step and one per byte
   * compared: past it, chains are cut to 8 steps. What bounds the cost on text made to be slow.
   */
  budget: number;
}

const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 15;
/** A 3-byte match farther than this costs more bits than its three literals (zlib's TOO_FAR). */
const TOO_FAR = 4096;
/** Symbols per block (zlib's at memLevel 8), and raw bytes per block, so the stored form stays cheap to keep. */
const BLOCK_SYMBOLS = 16_383;
const BLOCK_RAW = 256 * 1024;

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** Code-length codes in the order the block header lists their lengths (RFC 1951, 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Length (3…258) → length code index (0…28); distance − 1 (0…32767) → distance code (0…29). */
const LENGTH_CODE = new Uint8Array(MAX_MATCH + 1);
const DIST_CODE = new Uint8Array(WINDOW);
for (let code = 0; code < 29; code++) {
  for (let len = LENGTH_BASE[code]!; len < LENGTH_BASE[code]! + (1 << LENGTH_EXTRA[code]!) && len <= MAX_MATCH; len++) LENGTH_CODE[len] = code;
}
LENGTH_CODE[MAX_MATCH] = 28;
for (let code = 0; code < 30; code++) {
  for (let d = DIST_BASE[code]!; d < DIST_BASE[code]! + (1 << DIST_EXTRA[code]!); d++) DIST_CODE[d - 1] = code;
}
const FIXED_LITLEN = new Uint8Array(288).map((_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8));
const FIXED_DIST = new Uint8Array(30).fill(5);

/**
 * A raw deflate encoder with zlib's lazy matching (a match is taken only if the next position does not start a
 * longer one), which fflate does not do: on source code it writes ~2–3% less than fflate at any level. Plain
 * integer arithmetic and typed arrays, so its bytes depend on nothing but the input and the parameters. Each push
 * is parsed on its own (with the previous 32 KiB as history), so, like fflate, the output depends on how the input
 * is cut: ScheduledGzip always cuts it the same way.
 */
class LazyDeflate {
  private readonly window = new Uint8Array(WINDOW + DEFLATE_PUSH);
  private history = 0;
  private readonly head = new Int32Array(1 << HASH_BITS);
  private readonly prev = new Int32Array(WINDOW + DEFLATE_PUSH);
  /** Pending symbols of the current block: a literal byte, or 1<<24 | (length − 3) << 15 | (distance − 1). */
  private readonly symbols = new Int32Array(BLOCK_SYMBOLS);
  private count = 0;
  /** The bytes the pending symbols stand for, in case the block is cheapest stored. */
  private readonly raw = new Uint8Array(BLOCK_RAW + MAX_MATCH);
  private rawLength = 0;
  private out = new Uint8Array(64 * 1024);
  private at = 0;
  private bits = 0;
  private bitCount = 0;

  constructor(
    private readonly params: LazyParams,
    private readonly emit: (chunk: Uint8Array) => void,
    dictionary?: Uint8Array,
  ) {
    if (dictionary) {
      this.window.set(dictionary.subarray(-WINDOW));
      this.history = Math.min(dictionary.length, WINDOW);
    }
  }

  push(chunk: Uint8Array, final: boolean): void {
    // The window: up to 32 KiB of what came before, then this push.
    const w = this.window;
    const keep = Math.min(this.history, WINDOW);
    w.copyWithin(0, this.history - keep, this.history);
    w.set(chunk, keep);
    const n = keep + chunk.length;
    this.parse(keep, n);
    this.history = n;
    if (final) {
      this.block(true);
      this.align();
    }
    this.output();
  }

  /** End the current block and align to a byte with an empty stored block: another raw deflate may follow. */
  flush(_sync: true): void {
    if (this.count > 0) this.block(false);
    this.write(0, 3);
    this.align();
    this.write(0, 16);
    this.write(0xffff, 16);
    this.output();
  }

  private parse(start: number, n: number): void {
    const { window: w, head, prev } = this;
    const { good, lazy, nice } = this.params;
    head.fill(-1);
    const hash = (i: number) => (Math.imul(w[i]! | (w[i + 1]! << 8) | (w[i + 2]! << 16), 0x9e3779b1) >>> (32 - HASH_BITS));
    const insert = (i: number) => {
      if (i + MIN_MATCH > n) return;
      const h = hash(i);
      prev[i] = head[h]!;
      head[h] = i;
    };
    for (let i = 0; i < start; i++) insert(i);

    let budget = this.params.budget * (n - start);
    let prevLength = 0;
    let prevDistance = 0;
    let pending = false;
    let i = start;
    while (i < n) {
      insert(i);
      let length = 0;
      let distance = 0;
      if (prevLength < lazy && prevLength < MAX_MATCH && i + MIN_MATCH <= n && prevLength < n - i) {
        // The longest match at i that beats the previous one (zlib's longest_match).
        let chain = budget > 0 ? (prevLength >= good ? this.params.chain >> 2 : this.params.chain) : 8;
        const max = Math.min(MAX_MATCH, n - i);
        const enough = Math.min(nice, max);
        let best = prevLength;
        for (let candidate = prev[i]!; candidate >= 0 && i - candidate <= WINDOW && chain > 0; candidate = prev[candidate]!, chain--) {
          budget--;
          if (w[candidate + best] !== w[i + best] || w[candidate] !== w[i]) continue;
          let len = 0;
          while (len < max && w[candidate + len] === w[i + len]) len++;
          budget -= len;
          if (len > best) {
            best = len;
            distance = i - candidate;
            length = len;
            if (len >= enough) break;
          }
        }
        if (length === MIN_MATCH && distance > TOO_FAR) length = 0;
      }
      if (prevLength >= MIN_MATCH && length <= prevLength) {
        // The match found at i − 1 is at least as good: take it, and index the positions it covers.
        this.match(prevLength, prevDistance, i - 1);
        const end = i - 1 + prevLength;
        for (let j = i + 1; j < end; j++) insert(j);
        i = end;
        pending = false;
        prevLength = 0;
        continue;
      }
      if (pending) this.literal(w[i - 1]!);
      pending = true;
      prevLength = length;
      prevDistance = distance;
      i++;
    }
    if (pending) {
      if (prevLength >= MIN_MATCH) this.match(prevLength, prevDistance, n - 1);
      else this.literal(w[n - 1]!);
    }
  }

  private literal(byte: number): void {
    this.symbols[this.count++] = byte;
    this.raw[this.rawLength++] = byte;
    if (this.count === BLOCK_SYMBOLS || this.rawLength >= BLOCK_RAW) this.block(false);
  }

  private match(length: number, distance: number, from: number): void {
    this.symbols[this.count++] = (1 << 24) | ((length - MIN_MATCH) << 15) | (distance - 1);
    this.raw.set(this.window.subarray(from, from + length), this.rawLength);
    this.rawLength += length;
    if (this.count === BLOCK_SYMBOLS || this.rawLength >= BLOCK_RAW) this.block(false);
  }

  /** Write the pending symbols as one block, in whichever of the three forms is smallest. */
  private block(final: boolean): void {
    const litFreq = new Uint32Array(286);
    const distFreq = new Uint32Array(30);
    let extraBits = 0;
    for (let k = 0; k < this.count; k++) {
      const s = this.symbols[k]!;
      if (s < 256) {
        litFreq[s]!++;
        continue;
      }
      const lc = LENGTH_CODE[((s >> 15) & 0xff) + MIN_MATCH]!;
      const dc = DIST_CODE[s & 0x7fff]!;
      litFreq[257 + lc]!++;
      distFreq[dc]!++;
      extraBits += LENGTH_EXTRA[lc]! + DIST_EXTRA[dc]!;
    }
    litFreq[256] = 1;

    const litLengths = huffmanLengths(litFreq, 15);
    const distLengths = huffmanLengths(distFreq, 15);
    let hlit = 286;
    while (hlit > 257 && litLengths[hlit - 1] === 0) hlit--;
    let hdist = 30;
    while (hdist > 1 && distLengths[hdist - 1] === 0) hdist--;
    const runs = codeLengthRuns([...litLengths.subarray(0, hlit), ...distLengths.subarray(0, hdist)]);
    const clFreq = new Uint32Array(19);
    for (const [code] of runs) clFreq[code]!++;
    const clLengths = huffmanLengths(clFreq, 7);
    let hclen = 19;
    while (hclen > 4 && clLengths[CL_ORDER[hclen - 1]!] === 0) hclen--;

    const cost = (lit: Uint8Array, dist: Uint8Array) => {
      let bits = extraBits;
      for (let s = 0; s < 286; s++) bits += litFreq[s]! * lit[s]!;
      for (let s = 0; s < 30; s++) bits += distFreq[s]! * dist[s]!;
      return bits;
    };
    let header = 14 + 3 * hclen;
    for (const [code] of runs) header += clLengths[code]! + (code === 16 ? 2 : code === 17 ? 3 : code === 18 ? 7 : 0);
    const dynamicBits = 3 + header + cost(litLengths, distLengths);
    const fixedBits = 3 + cost(FIXED_LITLEN, FIXED_DIST);
    // Stored: up to 7 bits to the byte boundary, then 4 bytes of lengths per 65,535 bytes.
    const storedBits = 3 + 7 + 32 * Math.max(1, Math.ceil(this.rawLength / 65_535)) + 8 * this.rawLength;

    if (storedBits < dynamicBits && storedBits < fixedBits) {
      for (let offset = 0; offset < this.rawLength || offset === 0; offset += 65_535) {
        const size = Math.min(65_535, this.rawLength - offset);
        this.write(final && offset + size >= this.rawLength ? 1 : 0, 1);
        this.write(0, 2);
        this.align();
        this.write(size, 16);
        this.write(size ^ 0xffff, 16);
        this.bytes(this.raw.subarray(offset, offset + size));
        if (size === 0) break;
      }
    } else if (fixedBits <= dynamicBits) {
      this.write(final ? 1 : 0, 1);
      this.write(1, 2);
      this.symbolsWith(canonicalCodes(FIXED_LITLEN), FIXED_LITLEN, canonicalCodes(FIXED_DIST), FIXED_DIST);
    } else {
      this.write(final ? 1 : 0, 1);
      this.write(2, 2);
      this.write(hlit - 257, 5);
      this.write(hdist - 1, 5);
      this.write(hclen - 4, 4);
      for (let k = 0; k < hclen; k++) this.write(clLengths[CL_ORDER[k]!]!, 3);
      const clCodes = canonicalCodes(clLengths);
      for (const [code, extra] of runs) {
        this.write(clCodes[code]!, clLengths[code]!);
        if (code === 16) this.write(extra, 2);
        else if (code === 17) this.write(extra, 3);
        else if (code === 18) this.write(extra, 7);
      }
      this.symbolsWith(canonicalCodes(litLengths), litLengths, canonicalCodes(distLengths), distLengths);
    }
    this.count = 0;
    this.rawLength = 0;
  }

  private symbolsWith(litCodes: Uint16Array, litLengths: Uint8Array, distCodes: Uint16Array, distLengths: Uint8Array): void {
    for (let k = 0; k < this.count; k++) {
      const s = this.symbols[k]!;
      if (s < 256) {
        this.write(litCodes[s]!, litLengths[s]!);
        continue;
      }
      const length = ((s >> 15) & 0xff) + MIN_MATCH;
      const distance = (s & 0x7fff) + 1;
      const lc = LENGTH_CODE[length]!;
      const dc = DIST_CODE[distance - 1]!;
      this.write(litCodes[257 + lc]!, litLengths[257 + lc]!);
      if (LENGTH_EXTRA[lc]) this.write(length - LENGTH_BASE[lc]!, LENGTH_EXTRA[lc]!);
      this.write(distCodes[dc]!, distLengths[dc]!);
      if (DIST_EXTRA[dc]) this.write(distance - DIST_BASE[dc]!, DIST_EXTRA[dc]!);
    }
    this.write(litCodes[256]!, litLengths[256]!);
  }

  /** Append `count` (≤ 16) bits, least significant first. */
  private write(value: number, count: number): void {
    this.bits |= value << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.byte(this.bits & 0xff);
      this.bits >>>= 8;
      this.bitCount -= 8;
    }
  }

  private align(): void {
    if (this.bitCount > 0) this.write(0, 8 - this.bitCount);
  }

  private byte(value: number): void {
    if (this.at === this.out.length) this.grow(1);
    this.out[this.at++] = value;
  }

  private bytes(data: Uint8Array): void {
    if (this.at + data.length > this.out.length) this.grow(data.length);
    this.out.set(data, this.at);
    this.at += data.length;
  }

  private grow(needed: number): void {
    const bigger = new Uint8Array(Math.max(2 * this.out.length, this.at + needed));
    bigger.set(this.out.subarray(0, this.at));
    this.out = bigger;
  }

  /** Hand over the whole bytes written so far (a partial byte stays for the next block). */
  private output(): void {
    if (this.at === 0) return;
    this.emit(this.out.slice(0, this.at));
    this.at = 0;
  }
}

/**
 * Huffman code lengths for the frequencies, at most `limit` bits: a Huffman tree built with two queues (leaves by
 * frequency, then symbol; merged nodes in the order made), then its length counts squeezed under the limit and
 * handed out again, longest to the rarest. At least two symbols get a code, so every code is complete.
 */
function huffmanLengths(freq: Uint32Array, limit: number): Uint8Array {
  const lengths = new Uint8Array(freq.length);
  const used: number[] = [];
  for (let s = 0; s < freq.length; s++) if (freq[s]! > 0) used.push(s);
  for (let s = 0; used.length < 2; s++) if (freq[s] === 0 && !used.includes(s)) used.push(s);
  used.sort((a, b) => freq[a]! - freq[b]! || a - b);
  const m = used.length;
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1);
  for (let k = 0; k < m; k++) weight[k] = freq[used[k]!]!;
  let leaf = 0;
  let node = m;
  const pick = (made: number) => (leaf < m && (node >= made || weight[leaf]! <= weight[node]!) ? leaf++ : node++);
  for (let made = m; made < 2 * m - 1; made++) {
    const a = pick(made);
    const b = pick(made);
    weight[made] = weight[a]! + weight[b]!;
    parent[a] = made;
    parent[b] = made;
  }
  const depth = new Uint8Array(2 * m - 1);
  const counts = new Uint32Array(Math.max(limit, 64) + 1);
  for (let k = 2 * m - 3; k >= 0; k--) {
    depth[k] = depth[parent[k]!]! + 1;
    if (k < m) counts[Math.min(depth[k]!, limit + 1)]!++;
  }
  // Everything deeper than the limit moves up to it; then longer codes replace shorter ones until Kraft's sum is 1.
  counts[limit]! += counts[limit + 1]!;
  counts[limit + 1] = 0;
  let total = 0;
  for (let len = 1; len <= limit; len++) total += counts[len]! * 2 ** (limit - len);
  while (total > 2 ** limit) {
    counts[limit]!--;
    for (let len = limit - 1; len > 0; len--) {
      if (counts[len]! > 0) {
        counts[len]!--;
        counts[len + 1]! += 2;
        break;
      }
    }
    total--;
  }
  let k = 0;
  for (let len = limit; len > 0; len--) for (let c = 0; c < counts[len]!; c++) lengths[used[k++]!] = len;
  return lengths;
}

/** Canonical codes for the lengths (RFC 1951, 3.2.2), bit-reversed because the writer sends the lowest bit first. */
function canonicalCodes(lengths: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const len of lengths) if (len) count[len]!++;
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len < 16; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  const codes = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s]!;
    if (!len) continue;
    let code = next[len]!++;
    let reversed = 0;
    for (let b = 0; b < len; b++, code >>= 1) reversed = (reversed << 1) | (code & 1);
    codes[s] = reversed;
  }
  return codes;
}

/** The code-length sequence as code-length symbols: [symbol, extra bits], with runs as 16 (repeat), 17 and 18 (zeros). */
function codeLengthRuns(lengths: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < lengths.length; ) {
    const len = lengths[i]!;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === len) run++;
    let left = run;
    if (len === 0) {
      for (; left >= 3; ) {
        const take = Math.min(left, 138);
        runs.push(take >= 11 ? [18, take - 11] : [17, take - 3]);
        left -= take;
      }
    } else if (run >= 4) {
      runs.push([len, 0]);
      for (left -= 1; left >= 3; ) {
        const take = Math.min(left, 6);
        runs.push([16, take - 3]);
        left -= take;
      }
    }
    for (; left > 0; left--) runs.push([len, 0]);
    i += run;
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs and messages

/** `a/b//` → `a/b`, in one backward scan: the path can be a hostile 64 KiB pax record, so no regex. */
function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end -= 1;
  return path.slice(0, end);
}

function lastSegment(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Each UTF-16 unit outside printable ASCII becomes `_` (the pax header's own name is informational; ustar wants ASCII). */
function asciiOnly(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out += unit >= 0x20 && unit <= 0x7e ? text[i] : '_';
  }
  return out;
}

function normaliseSubdir(subdir: string | undefined): string | undefined {
  if (subdir === undefined) return undefined;
  const trimmed = trimTrailingSlashes(subdir);
  return trimmed === '' ? undefined : trimmed;
}

/** The caller's own names become paths too: refuse any that the package path rules would refuse. */
function checkOwnPaths(top: string, subdir: string | undefined, manifestFile: string): void {
  const topIssues = top.includes('/') ? [`${quotePath(top)} contains "/"`] : pathProblems(top);
  if (topIssues.length > 0) {
    throw refused(`The package name and version cannot name the tarball's directory: ${topIssues.join(' ')}`);
  }
  if (subdir !== undefined) {
    const issues = pathProblems(subdir);
    if (issues.length > 0) {
      throw refused(
        `The package directory (subdir) is not an acceptable path: ${issues.join(' ')}`,
        'Give `subdir` as a relative path such as `packages/left-pad`, and open a new publish request.',
      );
    }
  }
  const issues = pathProblems(manifestFile);
  if (issues.length > 0) throw refused(`The manifest file name is not an acceptable path: ${issues.join(' ')}`);
}

const MAX_LISTED = 20;

function packageProblems(problems: Problem[]): RegistrarError {
  const listed = problems.slice(0, MAX_LISTED).map((p) => `- ${p.message}`);
  if (problems.length > MAX_LISTED) listed.push(`- …and ${problems.length - MAX_LISTED} more.`);
  const fixes = [...new Set(problems.map((p) => p.fix))];
  const message =
    problems.length === 1
      ? `The package cannot be published: ${problems[0]!.message}`
      : `The package cannot be published:\n${listed.join('\n')}`;
  return refused(message, `${fixes.join(' ')} ${AGAIN}`);
}

function notOneTopDirectory(detail: string): RegistrarError {
  return refused(
    `The source archive is not a GitHub source archive with one top directory: ${detail}.`,
    'Registrar reads the archive GitHub builds for the tag; if this repeats, report it to the registry maintainers.',
  );
}

function unreadable(cause: unknown): RegistrarError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RegistrarError(
    'refused',
    `The source archive could not be read: it is damaged or truncated (${detail.slice(0, 200)}).`,
    'Comment `/retry` to download it again; if this repeats, report it to the registry maintainers.',
    { cause },
  );
}

function describeType(type: string): string {
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'SymbolicLink':
      return 'symbolic link';
    case 'Link':
      return 'hard link';
    case 'CharacterDevice':
      return 'character device';
    case 'BlockDevice':
      return 'block device';
    case 'FIFO':
      return 'FIFO (named pipe)';
    default:
      return `special entry (type ${type})`;
  }
}

function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
