// The Storage port on a local directory: atomic writes, the sha256 recorded beside each object, entity tags that name exactly one file, keys confined to the directory.
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream, mkdirSync, realpathSync } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, rename, rmdir, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistrarError, conflict, notFound } from '../../errors.js';
import type { Body, BodyDigest, ObjectDigest, Storage, StoredObject, WriteReceipt } from '../../ports.js';

export interface FsStorageConfig {
  /** The directory; created (with its parents) if missing. */
  path: string;
  /** A short name for reports (default `local`). */
  name?: string;
}

/** Hidden files (temp files, the sha256 records) start with a dot; no key segment may, so they never meet a key. */
const HIDDEN = '.';
const RECORD_SUFFIX = '.sha256';
/** One key segment: no dot first (hidden files are ours), no separators, controls or backslashes. */
const SEGMENT = /^[^./\\\u0000-\u001f\u007f][^/\\\u0000-\u001f\u007f]{0,254}$/;
const MAX_KEY = 1024;
/** Tries of a write whose directory vanished under it (see intoKey). */
const WRITE_ATTEMPTS = 3;

/** What is recorded beside an object: its sha256, bound to the exact file by its entity tag. */
interface ShaRecord {
  etag: string;
  sha256: string;
}

/**
 * An object is a file at `<dir>/<key>`. Its sha256 is recorded in a hidden file beside it (`.<basename>.sha256`)
 * together with the object's entity tag, so a record left by an older file (a crash between the two renames)
 * is recognised and ignored rather than believed. The entity tag is the file's inode, size and mtime in
 * nanoseconds: a rename that replaces the file changes it, which makes conditional deletes and verified copies
 * exact. Writes go to a temp file in the same directory, are fsynced, then renamed over the key.
 */
export class FsStorage implements Storage {
  readonly name: string;
  /** The directory's real path: every key's file must resolve inside it. */
  private readonly root: string;

  constructor(config: FsStorageConfig) {
    this.name = config.name ?? 'local';
    mkdirSync(config.path, { recursive: true });
    this.root = realpathSync(config.path);
  }

  async put(key: string, body: Body, digest: BodyDigest): Promise<WriteReceipt> {
    const written = await this.intoKey(key, 'put', () =>
      (body instanceof Uint8Array ? Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]) : createReadStream(body.file)));
    // Proven only when the bytes that reached the disk hash to what the caller computed before sending them.
    return { etag: written.etag, verified: written.sha256 === digest.sha256Hex };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const file = await this.pathFor(key);
    const stat = await this.statFile(file, 'head', key);
    if (stat === undefined) return undefined;
    const sha256 = await this.recorded(file, etagOf(stat));
    return { key, bytes: Number(stat.size), ...(sha256 ? { sha256 } : {}), lastModified: stat.mtime, etag: etagOf(stat) };
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const file = await this.pathFor(key);
    try {
      return await readFile(file);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.fail(error, 'read', key);
    }
  }

  /** Hashed from one open file descriptor: the entity tag and the bytes belong to the same file, whatever renames happen meanwhile. */
  async digest(key: string): Promise<ObjectDigest | undefined> {
    const file = await this.pathFor(key);
    const handle = await this.openExisting(file, 'read', key);
    if (handle === undefined) return undefined;
    try {
      const stat = await handle.stat({ bigint: true });
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 })) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      return { bytes, sha256Hex: hash.digest('hex'), etag: etagOf(stat) };
    } catch (error) {
      throw this.fail(error, 'read', key);
    } finally {
      await handle.close();
    }
  }

  /**
   * Copies through a temp file, hashing the bytes as they go. Verified when the file copied is exactly the one
   * the caller verified (its entity tag is `source.etag`): those bytes were hashed as written, fsynced and renamed.
   */
  async copy(fromKey: string, toKey: string, source: { etag?: string } = {}): Promise<WriteReceipt> {
    const from = await this.pathFor(fromKey);
    const handle = await this.openExisting(from, 'copy', fromKey);
    if (handle === undefined) throw notFound(`Local storage "${this.name}": copy of "${fromKey}": no such object.`);
    try {
      const stat = await handle.stat({ bigint: true });
      const written = await this.intoKey(toKey, 'copy', () => handle.createReadStream({ autoClose: false, start: 0 }));
      return { etag: written.etag, verified: source.etag !== undefined && source.etag === etagOf(stat) };
    } finally {
      await handle.close();
    }
  }

  /** With `expected.etag`, deletes only that exact file (a `conflict` when the key now holds another); a missing key succeeds. */
  async delete(key: string, expected: { etag?: string } = {}): Promise<void> {
    const file = await this.pathFor(key);
    const stat = await this.statFile(file, 'delete', key);
    if (stat === undefined) return;
    if (expected.etag !== undefined) {
      await this.deleteIfTag(file, key, expected.etag);
    } else {
      try {
        await unlink(file);
      } catch (error) {
        if (!isMissing(error)) throw this.fail(error, 'delete', key);
      }
      await unlink(recordPath(file)).catch(() => {});
    }
    await this.pruneEmpty(dirname(file));
  }

  /**
   * Rule 5 without a window: the key's file is first moved aside (one atomic rename), then judged. Checking the key
   * and then unlinking it would delete whatever a concurrent writer renamed over it in between. A file that is not the
   * verified one goes back, unless the key was filled again meanwhile: then the newer object stays, as if it had
   * overwritten this one.
   */
  private async deleteIfTag(file: string, key: string, etag: string): Promise<void> {
    const aside = join(dirname(file), `${HIDDEN}${basename(file)}.${randomBytes(6).toString('hex')}.deleting`);
    try {
      await rename(file, aside);
    } catch (error) {
      if (isMissing(error)) return;
      throw this.fail(error, 'delete', key);
    }
    const moved = await lstat(aside, { bigint: true });
    if (etagOf(moved) === etag) {
      await unlink(aside);
      // The record goes only while it still describes the deleted file: a writer may have recorded a newer one.
      if ((await this.recordOf(file))?.etag === etag) await unlink(recordPath(file)).catch(() => {});
      return;
    }
    try {
      await link(aside, file);
    } catch (error) {
      if (!isExisting(error)) throw this.fail(error, 'delete', key);
    } finally {
      await unlink(aside).catch(() => {});
    }
    throw conflict(`Local storage "${this.name}": ${key} holds another object than the one verified; not deleted.`);
  }

  /** Every object under `prefix`, in key order; hidden files (temp files, records) and symbolic links are never listed. */
  async list(prefix: string): Promise<StoredObject[]> {
    // Walk from the deepest directory the prefix names in full: a listing of one version reads one directory.
    const whole = prefix.lastIndexOf('/');
    const start = whole < 0 ? '' : prefix.slice(0, whole);
    if (start !== '' && !start.split('/').every((s) => SEGMENT.test(s))) return [];
    const found: StoredObject[] = [];
    await this.walk(start, async (key, file) => {
      if (!key.startsWith(prefix)) return;
      const stat = await this.statFile(file, 'list', key);
      if (stat === undefined) return; // deleted while listing
      const sha256 = await this.recorded(file, etagOf(stat));
      found.push({ key, bytes: Number(stat.size), ...(sha256 ? { sha256 } : {}), lastModified: stat.mtime, etag: etagOf(stat) });
    });
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  publicUrl(): string | undefined {
    return undefined;
  }

  /**
   * The file of a key, refusing any key that could leave the directory: segments are checked one by one, and every
   * directory on the way is a real directory inside the root (a symbolic link anywhere on the path is refused).
   */
  private async pathFor(key: string, options: { create?: boolean } = {}): Promise<string> {
    const segments = key.split('/');
    if (key.length > MAX_KEY || !segments.every((s) => SEGMENT.test(s))) {
      throw new RegistrarError('refused', `Local storage "${this.name}" refuses the key ${JSON.stringify(key.slice(0, 120))}: `
        + 'keys are relative paths of plain segments (no "..", no leading dot, no backslash or control characters).', undefined, { reason: 'invalid' });
    }
    let dir = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      dir = join(dir, segments[i]!);
      const stat = await lstat(dir).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(this.fail(error, 'open', key))));
      if (stat === undefined) {
        if (!options.create) return join(dir, ...segments.slice(i + 1));
        await mkdir(dir).catch((error: unknown) => (isExisting(error) ? undefined : Promise.reject(this.fail(error, 'put', key))));
        const made = await lstat(dir);
        if (!made.isDirectory()) throw this.escape(key);
        continue;
      }
      if (!stat.isDirectory()) throw this.escape(key);
    }
    const file = join(dir, segments[segments.length - 1]!);
    if (!file.startsWith(this.root + sep)) throw this.escape(key);
    const stat = await lstat(file).catch(() => undefined);
    if (stat !== undefined && !stat.isFile()) throw this.escape(key);
    return file;
  }

  private escape(key: string): RegistrarError {
    return new RegistrarError('refused', `Local storage "${this.name}" refuses the key ${JSON.stringify(key.slice(0, 120))}: `
      + 'something on its path is a symbolic link or not a regular file or directory.', 'Remove what is in the way inside the storage directory.',
    { reason: 'invalid' });
  }

  /**
   * Writes a key from a fresh `source` each try: a delete in another process may prune the key's (empty) directory
   * between its creation and the temp file's, which a second try, re-creating it, gets past.
   */
  private async intoKey(key: string, operation: string, source: () => Readable): Promise<{ etag: string; sha256: string }> {
    for (let attempt = 1; ; attempt++) {
      const file = await this.pathFor(key, { create: true });
      try {
        return await this.writeAtomically(file, source(), operation, key);
      } catch (error) {
        const code = ((error as RegistrarError).cause as NodeJS.ErrnoException | undefined)?.code;
        if (code !== 'ENOENT' || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /** Streams `source` into a temp file beside `file`, hashing it, fsyncs, records its sha256, then renames it over `file`. */
  private async writeAtomically(file: string, source: Readable, operation: string, key: string): Promise<{ etag: string; sha256: string }> {
    const temp = join(dirname(file), `${HIDDEN}${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    try {
      const out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
      await pipeline(source, new Transform({ transform(chunk: Buffer, _e, done) { hash.update(chunk); done(null, chunk); } }), out);
      const handle = await open(temp, 'r+');
      let etag: string;
      try {
        await handle.sync();
        etag = etagOf(await handle.stat({ bigint: true }));
      } finally {
        await handle.close();
      }
      const sha256 = hash.digest('hex');
      // The record first: until the rename it describes no visible object, and after it, exactly this one.
      await this.writeRecord(file, { etag, sha256 });
      await rename(temp, file);
      return { etag, sha256 };
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error instanceof RegistrarError ? error : this.fail(error, operation, key);
    }
  }

  private async writeRecord(file: string, record: ShaRecord): Promise<void> {
    const temp = `${recordPath(file)}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(record), { flag: 'wx' });
    await rename(temp, recordPath(file));
  }

  /** The sha256 recorded for exactly the file with this entity tag; undefined when the record is missing or describes another file. */
  private async recorded(file: string, etag: string): Promise<string | undefined> {
    const record = await this.recordOf(file);
    return record?.etag === etag && typeof record.sha256 === 'string' && /^[0-9a-f]{64}$/.test(record.sha256) ? record.sha256 : undefined;
  }

  private async recordOf(file: string): Promise<Partial<ShaRecord> | undefined> {
    try {
      return JSON.parse(await readFile(recordPath(file), 'utf8')) as Partial<ShaRecord>;
    } catch {
      return undefined;
    }
  }

  private async statFile(file: string, operation: string, key: string) {
    try {
      const stat = await lstat(file, { bigint: true });
      return stat.isFile() ? stat : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.fail(error, operation, key);
    }
  }

  private async openExisting(file: string, operation: string, key: string): Promise<FileHandle | undefined> {
    try {
      // O_NOFOLLOW: the last component cannot be swapped for a symbolic link between the check and the open.
      return await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.fail(error, operation, key);
    }
  }

  /** Depth-first over real directories only; hidden entries and symbolic links are skipped. */
  private async walk(relative: string, visit: (key: string, file: string) => Promise<void>): Promise<void> {
    const dir = relative === '' ? this.root : join(this.root, ...relative.split('/'));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw this.fail(error, 'list', relative);
    }
    for (const entry of entries) {
      if (entry.name.startsWith(HIDDEN) || !SEGMENT.test(entry.name)) continue;
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await this.walk(key, visit);
      else if (entry.isFile()) await visit(key, join(dir, entry.name));
    }
  }

  /** Removes directories left empty by a delete, up to the root; one that a writer just filled stays. */
  private async pruneEmpty(dir: string): Promise<void> {
    for (let at = dir; at !== this.root && at.startsWith(this.root + sep); at = dirname(at)) {
      try {
        await rmdir(at);
      } catch {
        return;
      }
    }
  }

  private fail(error: unknown, operation: string, key: string): RegistrarError {
    const code = (error as NodeJS.ErrnoException)?.code;
    const what = `Local storage "${this.name}": ${operation} of "${key}" failed (${code ?? (error as Error)?.message ?? String(error)})`;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new RegistrarError('refused', `${what}.`, `Check the permissions of ${this.root}.`, { cause: error, reason: 'permission' });
    }
    return new RegistrarError('transient', `${what}.`, 'Run the command again.', { cause: error, reason: 'server' });
  }
}

function etagOf(stat: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`;
}

function basename(file: string): string {
  return file.slice(file.lastIndexOf(sep) + 1);
}

function recordPath(file: string): string {
  return join(dirname(file), `${HIDDEN}${basename(file)}${RECORD_SUFFIX}`);
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';
const isExisting = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'EEXIST';
