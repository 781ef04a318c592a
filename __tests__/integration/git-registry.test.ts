// The local git registry against real repositories: the emulator's bare registry repository, and a full clone with a merge, read with git's CLI.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitRegistry, packageOfPath } from '../../src/adapters/local/git-registry.js';
import { metadataPath, serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata } from '../../src/core/types.js';
import { RegistrarError } from '../../src/errors.js';
import { REGISTRY, startWorld, type World } from '../../test-support/world.js';
import { git } from '../../test-support/git.js';

const run = promisify(execFile);
const COMMIT = 'c'.repeat(40);
const SRI_A = `sha256-${Buffer.alloc(32, 1).toString('base64')}`;
const SRI_B = `sha256-${Buffer.alloc(32, 2).toString('base64')}`;

function metadata(name: string, versions: Record<string, string>): PackageMetadata {
  return {
    name,
    location: { githubOwner: 'acme', githubRepo: name, repositoryId: 42 },
    published: Object.fromEntries(Object.entries(versions).map(([version, sha256]) => [version, {
      sha256, bytes: 10, ref: `v${version}`, commit: COMMIT, publishedTime: '2024-01-01T00:00:00.000Z', issue: 1,
    }])),
    rolledBack: [],
  };
}
const file = (m: PackageMetadata) => ({ [metadataPath(m.name)]: serializeMetadata(m) });

let world: World;
let registry: GitRegistry;
const commits: string[] = [];

beforeAll(async () => {
  world = await startWorld({ buckets: [] });
  const commit = (files: Record<string, string | null>, message: string) =>
    world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', files, message });
  commits.push(await commit({ ...file(metadata('left-pad', { '1.0.0': SRI_A })), ...file(metadata('ab', { '0.1.0': SRI_A })) },
    'Publish left-pad@1.0.0 (#1)\n\nRegistrar-Issue: 1\nRegistrar-Run: 7\nRegistrar-Attempt: 1\n'));
  await commit({ 'README.md': 'not metadata\n' }, 'Docs only');
  commits.push(await commit({ ...file(metadata('xyz', { '2.0.0': SRI_B })), ...file(metadata('left-pad', { '1.0.0': SRI_A, '1.1.0': SRI_B })) }, 'Two packages'));
  commits.push(await commit({ [metadataPath('ab')]: null, 'metadata/zz/not-here.json': '{}\n' }, 'Delete ab, add a misplaced file'));
  registry = new GitRegistry({ path: world.registryPath, webUrl: 'https://example.test/registry/registry' });
});
afterAll(async () => {
  registry?.close();
  await world?.close();
});

describe('the read side of the Registry port over a bare repository', () => {
  it('reads the head of the branch, as git itself does', async () => {
    expect(await registry.head()).toBe((await git(world.registryPath, 'rev-parse', 'refs/heads/main')).trim());
  });

  it('reads a package at a given commit, by SHA: each commit shows what it held', async () => {
    const [first, second, third] = commits as [string, string, string];
    expect(Object.keys((await registry.readPackage('left-pad', first))!.published)).toEqual(['1.0.0']);
    expect(Object.keys((await registry.readPackage('left-pad', second))!.published)).toEqual(['1.0.0', '1.1.0']);
    expect(await registry.readPackage('ab', second)).toMatchObject({ name: 'ab' });
    expect(await registry.readPackage('ab', third)).toBeUndefined();
    expect(await registry.readPackage('never-there', third)).toBeUndefined();
  });

  it('lists exactly the packages whose file sits where its name puts it', async () => {
    const [first, , third] = commits as [string, string, string];
    const names = async (at: string) => [...(await registry.packagesAt(at)).packages.keys()].sort();
    expect(await names(first)).toEqual(['ab', 'left-pad']);
    expect(await names(third)).toEqual(['left-pad', 'xyz']);
  });

  it('reads every package at a commit in one snapshot, ignoring a file where no name puts it', async () => {
    const [first, , third] = commits as [string, string, string];
    const atFirst = await registry.packagesAt(first);
    expect([...atFirst.packages.keys()].sort()).toEqual(['ab', 'left-pad']);
    const atThird = await registry.packagesAt(third);
    expect(atThird.at).toBe(third);
    expect([...atThird.packages.keys()].sort()).toEqual(['left-pad', 'xyz']);
    expect(atThird.packages.get('left-pad')).toEqual(metadata('left-pad', { '1.0.0': SRI_A, '1.1.0': SRI_B }));
    expect(atThird.unreadable.size).toBe(0);
  });

  it('records a corrupt file, a directory and a symbolic link at a package\'s path as that package\'s conflict, and reads the rest', async () => {
    const sha = await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Hand edits',
      files: { [metadataPath('torn')]: '{"name": "torn"', [`${metadataPath('dir-pkg')}/x`]: 'x\n',
        [metadataPath('linked')]: { content: metadataPath('xyz'), mode: '120000' } } });
    const contents = await registry.packagesAt(sha);
    expect([...contents.packages.keys()].sort()).toEqual(['left-pad', 'xyz']);
    expect(Object.fromEntries([...contents.unreadable].map(([name, error]) => [name, `${error.kind}: ${error.message}`]))).toEqual({
      torn: expect.stringMatching(/^conflict: The registry file metadata\/to\/rn\/torn\.json is corrupt/),
      'dir-pkg': expect.stringMatching(/^conflict: The registry path metadata\/di\/r-\/dir-pkg\.json at .* is a directory, not a file\.$/),
      linked: expect.stringMatching(/is a symbolic link, not a file/),
    });
    await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Repair',
      files: { [metadataPath('torn')]: null, [`${metadataPath('dir-pkg')}/x`]: null, [metadataPath('linked')]: null } });
  });

  it('returns a commit message byte for byte, and a link people can open', async () => {
    expect(await registry.commitMessage(commits[0]!)).toBe('Publish left-pad@1.0.0 (#1)\n\nRegistrar-Issue: 1\nRegistrar-Run: 7\nRegistrar-Attempt: 1\n');
    expect(registry.commitUrl(commits[0]!)).toBe(`https://example.test/registry/registry/commit/${commits[0]}`);
  });

  it('refuses a commit expecting a head the branch has left: a conflict, and the branch stays where it is', async () => {
    const head = await registry.head();
    const error = await registry.commit([{ path: 'x', content: 'y' }], 'm', commits[2]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrarError);
    expect((error as RegistrarError).kind).toBe('conflict');
    expect(await registry.head()).toBe(head);
  });

  it('reads a corrupt metadata file as a conflict naming the path', async () => {
    const sha = await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main',
      files: { [metadataPath('broken')]: '{"name": "broken", "name": "broken"}\n' }, message: 'Hand edit' });
    const error = await registry.readPackage('broken', sha).catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('conflict');
    expect((error as RegistrarError).message).toContain('metadata/br/ok/broken.json');
    // The history is walked once and cached; a fresh instance sees the new commit.
    const again = new GitRegistry({ path: world.registryPath });
    try {
      expect((await again.commitsTouchingMetadata()).at(-1)).toBe(sha);
      expect(await again.changedPackages(sha)).toEqual(['broken']);
    } finally {
      again.close();
    }
  });

  it('walks the first-parent history oldest first, skipping commits that touch no metadata', async () => {
    const walked = await registry.commitsTouchingMetadata();
    expect(walked.slice(0, 3)).toEqual(commits);
    expect(await registry.changedPackages(commits[0]!)).toEqual(['ab', 'left-pad']);
    expect(await registry.changedPackages(commits[1]!)).toEqual(['left-pad', 'xyz']);
    expect(await registry.changedPackages(commits[2]!)).toEqual(['ab']);
  });

  it('says which branch is missing', async () => {
    const other = new GitRegistry({ path: world.registryPath, branch: 'nope' });
    await expect(other.head()).rejects.toMatchObject({ kind: 'not-found', message: expect.stringMatching(/no branch nope/) });
    other.close();
  });

  it('reads many packages quickly through one cat-file process', async () => {
    const head = await registry.head();
    const started = performance.now();
    const reads = await Promise.all(Array.from({ length: 500 }, (_, i) => registry.readPackage(i % 2 ? 'left-pad' : 'xyz', head)));
    expect(reads.every((m) => m !== undefined)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('a clone made by actions/checkout (fetch-depth 0), with a merge on the branch', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'registrar-clone-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads origin/<branch> when there is no local branch, and counts a merge where it reached the branch', async () => {
    const clone = join(dir, 'clone');
    const g = (...args: string[]) => run('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args]);
    await run('git', ['clone', '--quiet', world.registryPath, clone]);
    await g('checkout', '--quiet', '-b', 'side');
    await run('sh', ['-c', `mkdir -p ${join(clone, 'metadata/me/rg')} && printf '%s' '${serializeMetadata(metadata('merged', { '1.0.0': SRI_A }))}' > ${join(clone, 'metadata/me/rg/merged.json')}`]);
    await g('add', '.');
    await g('commit', '--quiet', '-m', 'On a side branch');
    await g('checkout', '--quiet', 'main');
    await g('merge', '--quiet', '--no-ff', 'side', '-m', 'Merge side');
    const merge = (await g('rev-parse', 'HEAD')).stdout.trim();
    await g('push', '--quiet', '.', 'main:refs/remotes/origin/main');
    await g('checkout', '--quiet', '--detach');
    await g('branch', '--quiet', '-D', 'main');

    const local = new GitRegistry({ path: clone });
    try {
      expect(await local.head()).toBe(merge);
      const walked = await local.commitsTouchingMetadata();
      expect(walked.at(-1)).toBe(merge);
      expect(await local.changedPackages(merge)).toEqual(['merged']);
      expect(await local.readPackage('merged', merge)).toMatchObject({ name: 'merged' });
    } finally {
      local.close();
    }
  });
});

describe('metadata paths', () => {
  it('maps a path back to its package only where the name puts it', () => {
    expect(packageOfPath('metadata/le/ft/left-pad.json')).toBe('left-pad');
    expect(packageOfPath('metadata/1/a.json')).toBe('a');
    expect(packageOfPath('metadata/3/a/abc.json')).toBe('abc');
    expect(packageOfPath('metadata/zz/not-here.json')).toBeUndefined();
    expect(packageOfPath('README.md')).toBeUndefined();
  });
});
