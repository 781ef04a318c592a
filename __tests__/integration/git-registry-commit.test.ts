// Given a local registry repository, commits are compare-and-swap on the branch, rewrite only the trees on their path, and read back through git's own eyes.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { GitRegistry, initRegistryRepository } from '../../src/adapters/local/git-registry.js';
import { registryCommitMessage } from '../../src/core/commit-message.js';
import { metadataPath, serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata } from '../../src/core/types.js';
import { RegistrarError } from '../../src/errors.js';
import { git } from '../../test-support/git.js';

const SRI = `sha256-${Buffer.alloc(32, 7).toString('base64')}`;
function metadata(name: string, version = '1.0.0'): PackageMetadata {
  return {
    name, location: { githubOwner: 'acme', githubRepo: name, repositoryId: 42 },
    published: { [version]: { sha256: SRI, bytes: 10, ref: `v${version}`, commit: 'c'.repeat(40), publishedTime: '2024-01-01T00:00:00.000Z' } },
    rolledBack: [],
  };
}
const change = (m: PackageMetadata) => ({ path: metadataPath(m.name), content: serializeMetadata(m) });
const message = (name: string) => registryCommitMessage({ action: 'Publish', name, version: '1.0.0', issue: undefined, run: 'cli', attempt: 1 }).full;

let dir: string;
let path: string;
let registry: GitRegistry;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registrar-git-registry-'));
  path = join(dir, 'registry');
  expect(await initRegistryRepository(path)).toBe(true);
  registry = new GitRegistry({ path });
});
afterEach(async () => {
  registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a missing registry directory', () => {
  it('becomes a bare repository with one initial commit on main', async () => {
    expect((await git(path, 'rev-parse', '--is-bare-repository')).trim()).toBe('true');
    expect((await git(path, 'log', '--format=%s', 'main')).trim()).toBe('Start the registry');
    expect((await git(path, 'ls-tree', '--name-only', 'main')).trim()).toBe('README.md');
    expect((await git(path, 'symbolic-ref', 'HEAD')).trim()).toBe('refs/heads/main');
  });

  it('is started in an empty directory too, and a directory holding anything is left alone', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expect(await initRegistryRepository(empty)).toBe(true);
    expect((await git(empty, 'rev-parse', 'main')).trim()).toMatch(/^[0-9a-f]{40}$/);
    const full = join(dir, 'full');
    await mkdir(full);
    await writeFile(join(full, 'notes.txt'), 'mine\n');
    expect(await initRegistryRepository(full)).toBe(false);
    expect((await git(path, 'rev-parse', 'main')).trim()).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('several commands starting one registry at once', () => {
  it('exactly one creates it, and every one then finds a whole repository', async () => {
    const shared = join(dir, 'shared', 'registry');
    const created = await Promise.all(Array.from({ length: 6 }, () => initRegistryRepository(shared)));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect((await git(shared, 'log', '--format=%s', 'main')).trim()).toBe('Start the registry');
    // Nothing of the losers' building is left beside it.
    expect(await readdir(join(dir, 'shared'))).toEqual(['registry']);
  });
});

describe('a commit', () => {
  it('lands on the expected head with the message as given, and reads back at its SHA', async () => {
    const head = await registry.head();
    const commit = await registry.commit([change(metadata('left-pad'))], message('left-pad'), head);
    expect(await registry.head()).toBe(commit.sha);
    expect((await git(path, 'rev-parse', `${commit.sha}^`)).trim()).toBe(head);
    expect(await git(path, 'cat-file', '-p', `${commit.sha}:metadata/le/ft/left-pad.json`)).toBe(serializeMetadata(metadata('left-pad')));
    expect(await registry.commitMessage(commit.sha)).toBe('Publish left-pad@1.0.0\n\nRegistrar-Run: cli\nRegistrar-Attempt: 1\n');
    expect((await registry.snapshot('left-pad')).metadata).toEqual(metadata('left-pad'));
    await git(path, 'fsck', '--strict');
  });

  it('rewrites only the trees on its path: sibling trees keep their object ids', async () => {
    const first = await registry.commit([change(metadata('left-pad')), change(metadata('ab')), change(metadata('abc'))], message('left-pad'), await registry.head());
    const before = await git(path, 'ls-tree', '-r', '-t', first.sha);
    const second = await registry.commit([change(metadata('left-pad', '2.0.0'))], message('left-pad'), first.sha);
    const after = await git(path, 'ls-tree', '-r', '-t', second.sha);
    const line = (listing: string, p: string) => listing.split('\n').find((l) => l.endsWith(`\t${p}`));
    for (const same of ['README.md', 'metadata/2', 'metadata/2/ab.json', 'metadata/3', 'metadata/3/a/abc.json']) {
      expect(line(after, same)).toBe(line(before, same));
    }
    for (const changed of ['metadata/le', 'metadata/le/ft', 'metadata/le/ft/left-pad.json']) expect(line(after, changed)).not.toBe(line(before, changed));
  });

  it('deletes a file, and a directory it leaves empty disappears', async () => {
    const first = await registry.commit([change(metadata('left-pad')), change(metadata('ab'))], message('left-pad'), await registry.head());
    const second = await registry.commit([{ path: metadataPath('left-pad'), content: null }], message('left-pad'), first.sha);
    expect((await git(path, 'ls-tree', '-r', '--name-only', second.sha)).trim().split('\n')).toEqual(['README.md', 'metadata/2/ab.json']);
    expect((await registry.snapshot('left-pad')).metadata).toBeUndefined();
  });

  it('is a conflict when the branch moved since the head it expects, and changes nothing', async () => {
    const head = await registry.head();
    const winner = await registry.commit([change(metadata('left-pad'))], message('left-pad'), head);
    const error = await registry.commit([change(metadata('ab'))], message('ab'), head).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrarError);
    expect((error as RegistrarError).kind).toBe('conflict');
    expect(await registry.head()).toBe(winner.sha);
    expect((await git(path, 'ls-tree', '-r', '--name-only', 'main')).trim().split('\n')).toEqual(['README.md', 'metadata/le/ft/left-pad.json']);
  });

  it('lets exactly one of many racing commits on one head land', async () => {
    const head = await registry.head();
    const names = ['aa', 'bb', 'cc', 'dd', 'ee', 'ff'];
    const results = await Promise.allSettled(names.map((n) => registry.commit([change(metadata(n))], message(n), head)));
    const landed = results.filter((r) => r.status === 'fulfilled');
    expect(landed).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as RegistrarError).kind).toBe('conflict');
    expect((await git(path, 'rev-list', '--count', 'main')).trim()).toBe('2');
  });

  it('refuses to commit where the branch exists only as origin\'s (a CI checkout), saying how to fix it', async () => {
    const head = await registry.head();
    await git(path, 'update-ref', 'refs/remotes/origin/main', head);
    await git(path, 'update-ref', '-d', 'refs/heads/main');
    expect(await registry.head()).toBe(head);
    const error = await registry.commit([change(metadata('left-pad'))], message('left-pad'), head).catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('refused');
    expect((error as RegistrarError).hint).toMatch(/branch main origin\/main/);
    expect((await git(path, 'for-each-ref', '--format=%(refname)')).trim()).toBe('refs/remotes/origin/main');
  });

  it('is a transient failure when git cannot write, and a lock on the branch leaves it where it was', async () => {
    const head = await registry.head();
    const content = change(metadata('left-pad'));
    // Where git would store the blob, a file stands in for its directory: the write fails.
    const blob = await new Promise<string>((done) => {
      const child = execFile('git', ['-C', path, 'hash-object', '--stdin'], (_e, out) => done(String(out).trim()));
      child.stdin?.end(content.content);
    });
    await writeFile(join(path, 'objects', blob.slice(0, 2)), 'in the way');
    const error = await registry.commit([content], message('left-pad'), head).catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('transient');
    expect(await registry.head()).toBe(head);
    await rm(join(path, 'objects', blob.slice(0, 2)));

    await writeFile(join(path, 'refs', 'heads', 'main.lock'), '');
    const locked = await registry.commit([content], message('left-pad'), head).catch((e: unknown) => e);
    expect((locked as RegistrarError).kind).toBe('transient');
    expect(await registry.head()).toBe(head);
  });

  it('refuses a path that is not plain, before writing anything', async () => {
    const head = await registry.head();
    for (const bad of ['../escape.json', 'metadata//x.json', 'metadata/./x.json', '/abs.json']) {
      await expect(registry.commit([{ path: bad, content: '{}' }], 'm', head)).rejects.toThrow(TypeError);
    }
    expect(await registry.head()).toBe(head);
  });
});
