// Registries of many packages for the scale figures: built once with git fast-import (cached under the temp directory by a hash of what makes them), attached to a world in O(1), and the seed registry's clone-edit-push for comparison.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finalKey } from '../../src/core/keys.js';
import { metadataPath, serializeMetadata } from '../../src/core/metadata.js';
import { checkPackageName } from '../../src/core/names.js';
import type { PackageMetadata } from '../../src/core/types.js';
import { git } from '../git.js';
import type { World } from '../world.js';

/** Where built registries are kept between runs (the root filesystem here: ext4 on /dev/vda, not tmpfs). */
export const CACHE = join(tmpdir(), 'registrar-bench');

/** The README every world's registry starts with (test-support/world.ts): kept so only the package count differs. */
const README = '# Package registry\n\nOne metadata file per package, written by Registrar.\n';

export interface CachedRegistry {
  /** A bare repository whose `refs/heads/main` holds README.md and `packages` metadata files. */
  path: string;
  head: string;
  packages: number;
  /** Seconds it took to build now; 0 when it came from the cache. */
  builtSeconds: number;
}

/** The cache key: the package count and the sources that decide the bytes (this file, the metadata format and names). */
async function cacheKey(packages: number): Promise<string> {
  const hash = createHash('sha256').update(String(packages));
  for (const file of [import.meta.filename, resolve(import.meta.dirname, '../../src/core/metadata.ts'), resolve(import.meta.dirname, '../../src/core/names.ts')]) {
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A registry of `packages` packages, from the cache or built now with one `git fast-import` commit. */
export async function cachedRegistry(packages: number): Promise<CachedRegistry> {
  const path = join(CACHE, `registry-${packages}-${await cacheKey(packages)}.git`);
  const done = join(path, 'bench-complete');
  if (await stat(done).then(() => true, () => false)) {
    return { path, head: (await git(path, 'rev-parse', 'refs/heads/main')).trim(), packages, builtSeconds: 0 };
  }
  const started = performance.now();
  // Built beside its final name and renamed at the end, so an interrupted build is never taken for a cached one.
  const building = `${path}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', building]);
  await importPackages(building, packages, { 'README.md': README });
  await rm(path, { recursive: true, force: true });
  await rename(building, path);
  await writeFile(done, '');
  return { path, head: (await git(path, 'rev-parse', 'refs/heads/main')).trim(), packages, builtSeconds: (performance.now() - started) / 1000 };
}

/**
 * Points a world's registry at a cached registry without copying it: the cached objects become an alternate
 * object store of the world's repository and `main` moves to the cached head. What the action then commits is
 * written to the world's repository only, so the cache is never changed.
 */
export async function attachRegistry(world: World, registry: CachedRegistry): Promise<void> {
  await attachTo(world.registryPath, registry);
}

async function attachTo(repository: string, registry: CachedRegistry): Promise<void> {
  await mkdir(join(repository, 'objects', 'info'), { recursive: true });
  await writeFile(join(repository, 'objects', 'info', 'alternates'), `${join(registry.path, 'objects')}\n`);
  await git(repository, 'update-ref', 'refs/heads/main', registry.head);
}

/**
 * The seed registry's way to publish, timed: `git clone --depth 1` over file:// (the emulator serves no git
 * protocol), write one metadata file, commit, push. The remote is a fresh bare repository standing on the cached
 * registry (as attachRegistry does), under `workRoot` on the ordinary disk. Returns seconds, whole and per phase;
 * setup is untimed.
 */
export async function cloneEditPush(registry: CachedRegistry, workRoot: string, run: number): Promise<{ seconds: number; clone: number; commit: number; push: number }> {
  const dir = join(workRoot, `clone-edit-push-${process.pid}-${run}`);
  await rm(dir, { recursive: true, force: true });
  const remote = join(dir, 'remote.git');
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await attachTo(remote, registry);
  const work = join(dir, 'work');
  const pkg = scalePackage(registry.packages + 1 + run);
  const { name } = pkg;
  const path = metadataPath(name);
  const identity = ['-c', 'user.name=Registry Bench', '-c', 'user.email=bench@registry.invalid'];
  try {
    const started = performance.now();
    await runGit(['clone', '--quiet', '--depth', '1', '--branch', 'main', `file://${remote}`, work]);
    const cloned = performance.now();
    await mkdir(join(work, path, '..'), { recursive: true });
    await writeFile(join(work, path), serializeMetadata(pkg.metadata));
    await runGit(['-C', work, 'add', path]);
    await runGit(['-C', work, ...identity, 'commit', '--quiet', '-m', `Publish ${name}@1.0.0`]);
    const committed = performance.now();
    await runGit(['-C', work, 'push', '--quiet', 'origin', 'main']);
    const pushed = performance.now();
    return { seconds: (pushed - started) / 1000, clone: (cloned - started) / 1000, commit: (committed - cloned) / 1000, push: (pushed - committed) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runGit(args: string[]): Promise<void> {
  return run('git', args);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} failed (exit ${code}): ${stderr.slice(0, 2000)}`))));
  });
}

/** One package of a scale registry: its one published version, the final object's bytes, and the metadata recording them. */
export interface ScalePackage {
  name: string;
  version: string;
  key: string;
  body: Buffer;
  metadata: PackageMetadata;
}

const VERSION = '1.0.0';
/** Older than any grace period, so a missing object would be promoted rather than left as a window. */
const PUBLISHED = '2026-01-01T00:00:00.000Z';

/**
 * Package `i`: a name whose first four letters come from a hash, so packages spread over the shards as real names
 * do, and a small final object (its bytes, not a real tarball: reconcile judges objects by key, size and hash).
 */
export function scalePackage(i: number): ScalePackage {
  const digest = createHash('sha256').update(`scale-package-${i}`).digest();
  const name = `${Array.from(digest.subarray(0, 4), (b) => String.fromCharCode(97 + (b % 26))).join('')}-${i.toString(36)}`;
  const problem = checkPackageName(name);
  if (problem !== undefined) throw new Error(`scale package ${i}: ${problem}`);
  const body = Buffer.from(`scale tarball of ${name}@${VERSION}\n`);
  const sha256 = createHash('sha256').update(body).digest();
  const metadata: PackageMetadata = {
    name,
    location: { githubOwner: `owner${i % 997}`, githubRepo: name, repositoryId: 1_000_000 + i },
    published: {
      [VERSION]: { sha256: `sha256-${sha256.toString('base64')}`, bytes: body.length, ref: `v${VERSION}`,
        commit: createHash('sha1').update(name).digest('hex'), publishedTime: PUBLISHED, issue: i + 1 },
    },
    rolledBack: [],
  };
  return { name, version: VERSION, key: finalKey(name, VERSION), body, metadata };
}

/**
 * Adds `count` packages (0 … count-1) to the bare repository's `main` in one commit, with `git fast-import`:
 * seconds for 100,000 files, where a commit per package through the emulator would take hours. `extra` files
 * (path → content) go into the same commit, e.g. a corrupt metadata file. Returns the new head.
 */
export async function importPackages(repository: string, count: number, extra: Record<string, string> = {}): Promise<string> {
  // A fresh bare repository has no main yet: the import then makes its first commit.
  const parent = (await git(repository, 'for-each-ref', '--format=%(objectname)', 'refs/heads/main')).trim();
  const child = spawn('git', ['--git-dir', repository, 'fast-import', '--quiet', '--done'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number>((done) => child.on('close', (code) => done(code ?? -1)));
  const send = async (text: string) => {
    if (!child.stdin.write(text)) await new Promise<void>((done) => child.stdin.once('drain', done));
  };
  const data = (content: string) => `data ${Buffer.byteLength(content)}\n${content}\n`;
  // A fixed identity and date: the same count gives the same commit on every machine.
  let chunk = `commit refs/heads/main\ncommitter Registry Bench <bench@registry.invalid> 1767225600 +0000\n`
    + `${data(`Registry of ${count} packages`)}${parent ? `from ${parent}\n` : ''}`;
  const files = function* () {
    for (let i = 0; i < count; i++) {
      const pkg = scalePackage(i);
      yield [metadataPath(pkg.name), serializeMetadata(pkg.metadata)] as const;
    }
    yield* Object.entries(extra);
  };
  for (const [path, content] of files()) {
    chunk += `M 100644 inline ${path}\n${data(content)}`;
    // Batched: 100,000 small pipe writes cost more than building the text.
    if (chunk.length > 1 << 20) {
      await send(chunk);
      chunk = '';
    }
  }
  await send(`${chunk}\ndone\n`);
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (exit ${code}): ${stderr.slice(0, 2000)}`);
  return (await git(repository, 'rev-parse', 'refs/heads/main')).trim();
}
