// Turns a GitHub source archive into the registry's canonical .tar.gz: only the package's files, in byte-stable form.

import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { RegistrarError, refused, transient } from '../errors.js';
import { collisionProblems, pathProblems, quotePath, withinPathLimits } from './archive-paths.js';
import { CANONICAL_FORMAT, checkSchedule, ScheduledGzip, type TarballFormat } from './gzip-schedule.js';
import { DEFAULT_LIMITS, RATIO_FLOOR_BYTES, type Limits } from './limits.js';
import { Spool } from './spool.js';

// The format and the compression (CANONICAL_FORMAT, ScheduledGzip) are in gzip-schedule.ts, the deflate itself
// (LazyDeflate) in deflate.ts, the spool in spool.ts; what callers import from here is re-exported.
export { CANONICAL_FORMAT, canonicalGzip, crc32Js, type TarballFormat } from './gzip-schedule.js';
export type { LazyParams } from './deflate.js';

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
  /** The bytes of every manifest file asked for (manifestFiles) that the package root holds, by file name. */
  manifests: Map<string, Uint8Array>;
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
  /** The bytes of every manifest file asked for (manifestFiles) that the package root holds, by file name. */
  manifests: Map<string, Uint8Array>;
}

export interface CanonicalTarballOptions {
  name: string;
  version: string;
  /** Directory of the package inside the repository; absent or '' = the repository root. */
  subdir?: string;
  /** Path of the manifest relative to the package root; default `package.json`. */
  manifestFile?: string;
  /**
   * Further manifests to keep (an ecosystem may read one of several, e.g. purs.json, spago.yaml, bower.json);
   * `manifestFile` is always among those kept.
   */
  manifestFiles?: readonly string[];
  /** The tarball's one top directory; default `<name>-<version>` (npm's tarballs use `package`). */
  topDirectory?: string;
  limits?: Limits;
}

/**
 * Every entry's mtime: 1980-01-01T00:00:00Z. A fixed time makes the bytes independent of when the tag was made;
 * this one rather than 0 because it is the earliest time every archive format can express (zip's DOS dates start
 * in 1980), so tools that re-pack or unpack the tarball never see an out-of-range or "implausible" time.
 */
export const CANONICAL_MTIME_SECONDS = 315_532_800;
const CANONICAL_MTIME = new Date(CANONICAL_MTIME_SECONDS * 1000);

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
  const manifestFile = options.manifestFile ?? options.manifestFiles?.[0] ?? 'package.json';
  const manifestFiles = [...new Set([manifestFile, ...(options.manifestFiles ?? [])])];
  const top = options.topDirectory ?? `${options.name}-${options.version}`;
  const subdir = normaliseSubdir(options.subdir);
  checkOwnPaths(top, subdir, manifestFiles);
  checkSchedule(format);

  const spoolPath = join(options.workDir, SPOOL_NAME);
  const file = join(options.workDir, OUTPUT_NAME);
  // 'wx': never write through a link or into a file someone else put there.
  const spool = await open(spoolPath, 'wx+');
  let output: FileHandle | undefined;
  let done = false;
  try {
    const pkg = await readPackage(archive, limits, subdir, manifestFiles, spool);
    output = await open(file, 'wx');
    const written = await writeCanonical(top, pkg, spool, output, format);
    done = true;
    return {
      file,
      ...written,
      files: [...pkg.files.keys()],
      manifest: pkg.manifests.get(manifestFile),
      manifests: pkg.manifests,
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
    return { bytes, sha256Hex: built.sha256Hex, integrity: built.integrity, size: built.size, files: built.files, manifest: built.manifest,
      manifests: built.manifests };
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
  /** The manifests asked for that the package root holds, by file name. */
  manifests: Map<string, Uint8Array>;
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
  manifestFiles: readonly string[],
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
  /** The manifests' content, kept in memory too (the caller reads them; each is at most one file, fileBytes). */
  const manifestChunks = new Map<string, Buffer[]>();
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
        const keep: Buffer[] | undefined = manifestFiles.includes(rel) ? [] : undefined;
        if (keep) manifestChunks.set(rel, keep);
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
  for (const [file, chunks] of manifestChunks) content.manifests.set(file, Buffer.concat(chunks));
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
  return { files, dirs: sortByBytes([...dirs]), manifests: new Map() };
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
function checkOwnPaths(top: string, subdir: string | undefined, manifestFiles: readonly string[]): void {
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
  for (const manifestFile of manifestFiles) {
    const issues = pathProblems(manifestFile);
    if (issues.length > 0) throw refused(`The manifest file name is not an acceptable path: ${issues.join(' ')}`);
  }
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
