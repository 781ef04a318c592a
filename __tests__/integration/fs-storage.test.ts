// Given a storage directory on this machine's file system, the Storage port keeps the promises the pipeline relies on, checked with the file system's own eyes.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../../src/adapters/local/fs-storage.js';
import { RegistrarError } from '../../src/errors.js';

const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const digestOf = (bytes: Uint8Array) => ({ sha256Hex: hex(bytes) });

let dir: string;
let root: string;
let storage: FsStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registrar-fs-storage-'));
  root = join(dir, 'storage', 'nested');
  storage = new FsStorage({ path: root });
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** Every file under the root, hidden ones included: what the directory really holds. */
async function everyFile(at = root, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(at, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...await everyFile(join(at, entry.name), `${path}/`));
    else out.push(path);
  }
  return out.sort();
}

describe('writes', () => {
  it('creates the directory, stores the bytes at the key, and records the sha256 that head and list return', async () => {
    const bytes = randomBytes(5000);
    const receipt = await storage.put('left-pad/1.0.0.tar.gz', bytes, digestOf(bytes));
    expect(receipt.verified).toBe(true);
    expect(await readFile(join(root, 'left-pad', '1.0.0.tar.gz'))).toEqual(bytes);
    const head = await storage.head('left-pad/1.0.0.tar.gz');
    expect(head).toMatchObject({ key: 'left-pad/1.0.0.tar.gz', bytes: 5000, sha256: hex(bytes), etag: receipt.etag });
    expect(await storage.list('')).toEqual([expect.objectContaining({ key: 'left-pad/1.0.0.tar.gz', bytes: 5000, sha256: hex(bytes) })]);
  });

  it('streams a file body, and proves a write only when the stored bytes hash to what the caller said', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const file = join(dir, 'body.tgz');
    await writeFile(file, bytes);
    expect((await storage.put('a/1.tar.gz', { file, bytes: bytes.length }, digestOf(bytes))).verified).toBe(true);
    // A caller whose hash is not that of the bytes it sent gets no proof, and the record holds the true hash.
    const wrong = await storage.put('a/2.tar.gz', { file, bytes: bytes.length }, { sha256Hex: 'f'.repeat(64) });
    expect(wrong.verified).toBe(false);
    expect((await storage.head('a/2.tar.gz'))?.sha256).toBe(hex(bytes));
  });

  it('always rewrites (a re-stage refreshes the age) and never leaves a temp file that list shows', async () => {
    const one = Buffer.from('one');
    const two = Buffer.from('two!');
    const first = await storage.put('staging/x/1.0.0/k.tar.gz', one, digestOf(one));
    const second = await storage.put('staging/x/1.0.0/k.tar.gz', two, digestOf(two));
    expect(second.etag).not.toBe(first.etag);
    expect(await storage.read('staging/x/1.0.0/k.tar.gz')).toEqual(two);
    expect(await everyFile()).toEqual(['staging/x/1.0.0/.k.tar.gz.sha256', 'staging/x/1.0.0/k.tar.gz']);
    expect((await storage.list('')).map((o) => o.key)).toEqual(['staging/x/1.0.0/k.tar.gz']);
  });

  it('does not believe a sha256 record that describes an older file (a crash between the two renames)', async () => {
    const bytes = Buffer.from('recorded');
    await storage.put('p/1.tar.gz', bytes, digestOf(bytes));
    // The file replaced behind the storage's back: its record no longer names this file.
    await writeFile(join(root, 'p', '1.tar.gz'), 'replaced');
    const head = await storage.head('p/1.tar.gz');
    expect(head?.bytes).toBe(8);
    expect(head?.sha256).toBeUndefined();
  });
});

describe('reads', () => {
  it('digest streams the bytes and names the exact file read by its entity tag; a missing key is undefined everywhere', async () => {
    const bytes = randomBytes(100_000);
    const { etag } = await storage.put('d/1.tar.gz', bytes, digestOf(bytes));
    expect(await storage.digest('d/1.tar.gz')).toEqual({ bytes: 100_000, sha256Hex: hex(bytes), etag });
    expect(await storage.digest('d/2.tar.gz')).toBeUndefined();
    expect(await storage.head('nowhere/2.tar.gz')).toBeUndefined();
    expect(await storage.read('d/2.tar.gz')).toBeUndefined();
  });

  it('lists by prefix in key order, below and beside the prefix', async () => {
    for (const key of ['b/1.tar.gz', 'staging/b/1/x.tar.gz', 'a/2.tar.gz', 'a/10.tar.gz', 'ab/1.tar.gz', 'staging/a/1/y.tar.gz']) {
      await storage.put(key, Buffer.from(key), digestOf(Buffer.from(key)));
    }
    expect((await storage.list('')).map((o) => o.key)).toEqual(
      ['a/10.tar.gz', 'a/2.tar.gz', 'ab/1.tar.gz', 'b/1.tar.gz', 'staging/a/1/y.tar.gz', 'staging/b/1/x.tar.gz']);
    expect((await storage.list('a')).map((o) => o.key)).toEqual(['a/10.tar.gz', 'a/2.tar.gz', 'ab/1.tar.gz']);
    expect((await storage.list('a/')).map((o) => o.key)).toEqual(['a/10.tar.gz', 'a/2.tar.gz']);
    expect((await storage.list('staging/b/1/')).map((o) => o.key)).toEqual(['staging/b/1/x.tar.gz']);
    expect(await storage.list('staging/zzz/')).toEqual([]);
  });
});

describe('copy and delete', () => {
  it('copy keeps the hash, and is verified only when the file copied is the one the caller verified', async () => {
    const bytes = randomBytes(2000);
    const staged = await storage.put('staging/p/1.0.0/s.tar.gz', bytes, digestOf(bytes));
    const copied = await storage.copy('staging/p/1.0.0/s.tar.gz', 'p/1.0.0.tar.gz', { etag: staged.etag! });
    expect(copied.verified).toBe(true);
    expect(await storage.head('p/1.0.0.tar.gz')).toMatchObject({ bytes: 2000, sha256: hex(bytes) });
    // The staging object replaced since the caller's look: the copy proves nothing.
    const other = randomBytes(2000);
    await storage.put('staging/p/1.0.0/s.tar.gz', other, digestOf(other));
    expect((await storage.copy('staging/p/1.0.0/s.tar.gz', 'p/1.0.0.tar.gz', { etag: staged.etag! })).verified).toBe(false);
    expect((await storage.copy('staging/p/1.0.0/s.tar.gz', 'p/1.0.0.tar.gz')).verified).toBe(false);
  });

  it('copy of a missing object is not-found', async () => {
    const error = await storage.copy('staging/p/1/none.tar.gz', 'p/1.tar.gz').catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('not-found');
    expect(existsSync(join(root, 'p', '1.tar.gz'))).toBe(false);
  });

  it('delete is conditional on the entity tag, succeeds on a missing key, and leaves no empty directories', async () => {
    const bytes = Buffer.from('final');
    const { etag } = await storage.put('q/1.0.0.tar.gz', bytes, digestOf(bytes));
    const newer = Buffer.from('other bytes');
    await storage.put('q/1.0.0.tar.gz', newer, digestOf(newer));
    const there = await storage.head('q/1.0.0.tar.gz');
    const error = await storage.delete('q/1.0.0.tar.gz', { etag: etag! }).catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('conflict');
    expect(await storage.read('q/1.0.0.tar.gz')).toEqual(newer);
    // The object a refused delete judged is back exactly as it was: same file, its hash record still describing it.
    expect(await storage.head('q/1.0.0.tar.gz')).toEqual(there);
    expect(there?.sha256).toBe(digestOf(newer).sha256Hex);
    await storage.delete('q/1.0.0.tar.gz', { etag: (await storage.head('q/1.0.0.tar.gz'))!.etag! });
    await storage.delete('q/1.0.0.tar.gz');
    expect(await everyFile()).toEqual([]);
    expect(existsSync(root)).toBe(true);
  });
});

describe('keys confined to the directory', () => {
  it('refuses keys that would escape or meet hidden files, writing nothing', async () => {
    const bytes = Buffer.from('x');
    for (const key of ['../escape.tar.gz', 'a/../../escape', '/etc/passwd', 'a//b', '.hidden/x', 'a/.x.sha256', 'a\\b', 'a/b\u0000c', '', 'a/']) {
      const error = await storage.put(key, bytes, digestOf(bytes)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistrarError);
      expect((error as RegistrarError).kind).toBe('refused');
    }
    expect(await everyFile()).toEqual([]);
    expect(await readdir(join(dir, 'storage'))).toEqual(['nested']);
  });

  it('refuses a path through a symbolic link, for writes and reads alike', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, '1.tar.gz'), 'secret');
    await symlink(outside, join(root, 'linked'));
    await symlink(join(outside, '1.tar.gz'), join(root, 'file-link.tar.gz'));
    const bytes = Buffer.from('x');
    for (const attempt of [
      () => storage.put('linked/2.tar.gz', bytes, digestOf(bytes)),
      () => storage.read('linked/1.tar.gz'),
      () => storage.digest('linked/1.tar.gz'),
      () => storage.delete('linked/1.tar.gz'),
      () => storage.put('file-link.tar.gz', bytes, digestOf(bytes)),
      () => storage.read('file-link.tar.gz'),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect((error as RegistrarError).kind).toBe('refused');
    }
    expect(await readdir(outside)).toEqual(['1.tar.gz']);
    expect(await readFile(join(outside, '1.tar.gz'), 'utf8')).toBe('secret');
    expect((await storage.list('')).map((o) => o.key)).toEqual([]);
    expect((await stat(join(root, 'file-link.tar.gz'))).isFile()).toBe(true);
  });
});
