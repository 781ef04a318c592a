// Turns a GitHub source archive into the registry's canonical .tar.gz: only the package's files, in byte-stable form.

import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { gzipSync } from 'fflate';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { RegistrarError, refused, transient } from '../errors.js';
import { collisionProblems, pathProblems, quotePath } from './archive-paths.js';
import { DEFAULT_LIMITS, RATIO_FLOOR_BYTES, type Limits } from './limits.js';

export interface CanonicalTarball {
  /** The canonical `.tar.gz`. */
  bytes: Uint8Array;
  sha256Hex: string;
  /** `sha256-<base64>` (Subresource Integrity form), as the registry metadata records it. */
  integrity: string;
  size: number;
  /** Package-relative paths of the regular files, in the archive's (UTF-8 byte) order. */
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
 * fflate settings. The format's stability depends on them (and on fflate's version): the golden-hash test guards
 * both. gzip header: mtime 0 (fflate then writes zeros), no file name, OS byte 3 (fflate always writes "Unix").
 */
const GZIP_OPTIONS = { level: 9, mem: 8, mtime: 0 } as const;

const BLOCK = 512;
const AGAIN = 'Then tag a new version and open a new publish request.';

/** Build the canonical tarball of one package from a GitHub source archive (gzip'd tar), without touching disk. */
export async function canonicalTarball(
  archive: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options: CanonicalTarballOptions,
): Promise<CanonicalTarball> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const manifestFile = options.manifestFile ?? 'package.json';
  const top = `${options.name}-${options.version}`;
  const subdir = normaliseSubdir(options.subdir);
  checkOwnPaths(top, subdir, manifestFile);

  const pkg = await readPackage(archive, limits, subdir);
  const tar = writeTar(top, pkg);
  const bytes = gzipSync(tar, GZIP_OPTIONS);
  const digest = createHash('sha256').update(bytes).digest();
  const files = [...pkg.files.keys()];
  const manifest = pkg.files.get(manifestFile)?.content;
  return {
    bytes,
    sha256Hex: digest.toString('hex'),
    integrity: `sha256-${digest.toString('base64')}`,
    size: bytes.length,
    files,
    manifest,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

interface PackageFile {
  content: Uint8Array;
  executable: boolean;
}

interface PackageContent {
  /** Sorted by the UTF-8 bytes of the path. */
  files: Map<string, PackageFile>;
  /** Every directory that holds a file, sorted like files; the package root ('') is not included. */
  dirs: string[];
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
  const pending = new Map<string, { chunks: Buffer[]; size: number; executable: boolean }>();
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
    const raw = isDir ? entry.path.replace(/\/+$/, '') : entry.path;
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
    seen.add(rel);
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
        const record = { chunks: [] as Buffer[], size: entry.size, executable: ((entry.mode ?? 0) & 0o111) !== 0 };
        pending.set(rel, record);
        entry.on('data', (chunk: Buffer) => record.chunks.push(chunk));
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
        `The path ${quotePath(place.rel)} has an unsupported entry type (${JSON.stringify(entry.header.typeKey)}); only regular files and directories may be published.`,
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
    }
    if (head?.length) parser.write(head);
    parser.end();
    await parserDone;
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
    await pipeline(countCompressed(), createGunzip(), consume);
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
  return assemble(pending, explicitDirs, seen, problems);
}

/** Check the package as a whole (collisions, file-vs-directory clashes), then sort it into the canonical order. */
function assemble(
  pending: Map<string, { chunks: Buffer[]; size: number; executable: boolean }>,
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
    const content = Buffer.concat(record.chunks);
    // node-tar reports a short body as a truncated archive; this guards the invariant we rely on when writing.
    if (content.length !== record.size) throw unreadable(`the file ${quotePath(rel)} is shorter than its header says`);
    files.set(rel, { content, executable: record.executable });
  }
  return { files, dirs: sortByBytes([...dirs]) };
}

function ancestors(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const rel of paths) {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) dirs.add(rel.slice(0, i));
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

/**
 * The canonical tar: `<top>/` first, then every directory and file merged in the UTF-8 byte order of the
 * package-relative path (a directory always precedes its contents, being a prefix of them). ustar headers with
 * uid/gid 0, empty user and group names, the fixed mtime, mode 0755 for directories and executable files and 0644
 * for other files; a pax header carrying only `path` precedes an entry whose path does not fit ustar (too long, or
 * not ASCII). Ends with the two zero blocks of the standard end-of-archive marker, and no further padding.
 */
function writeTar(top: string, pkg: PackageContent): Uint8Array {
  const entries: Array<{ rel: string; file?: PackageFile }> = [];
  for (const rel of pkg.dirs) entries.push({ rel });
  for (const [rel, file] of pkg.files) entries.push({ rel, file });
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.rel, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));

  const parts: Buffer[] = [];
  pushEntry(parts, `${top}/`, 'Directory', 0o755, undefined);
  for (const { entry } of keyed) {
    if (entry.file) {
      pushEntry(parts, `${top}/${entry.rel}`, 'File', entry.file.executable ? 0o755 : 0o644, entry.file.content);
    } else {
      pushEntry(parts, `${top}/${entry.rel}/`, 'Directory', 0o755, undefined);
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function pushEntry(
  parts: Buffer[],
  path: string,
  type: 'File' | 'Directory',
  mode: number,
  content: Uint8Array | undefined,
): void {
  const size = content?.length ?? 0;
  const { block, needPax } = headerBlock(path, type, mode, size);
  if (needPax) {
    // Only `path` goes in the pax record: every other field fits ustar, so nothing else can vary.
    const body = Buffer.from(new Pax({ path }).encodeBody(), 'utf8');
    const name = 'PaxHeaders/' + (path.replace(/\/+$/, '').split('/').pop() ?? '').replace(/[^\x20-\x7e]/g, '_');
    parts.push(headerBlock(name.slice(0, 99), 'ExtendedHeader', 0o644, body.length).block);
    parts.push(body, padding(body.length));
  }
  parts.push(block);
  if (content) parts.push(Buffer.from(content.buffer, content.byteOffset, content.length), padding(size));
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

function normaliseSubdir(subdir: string | undefined): string | undefined {
  if (subdir === undefined) return undefined;
  const trimmed = subdir.replace(/\/+$/, '');
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
