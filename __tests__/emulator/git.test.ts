// The git layer under the emulator: path-wise tree updates, compare-and-swap refs, where repositories live.
import { describe, it, expect, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitRepo, ZERO_OID, type PathChange } from '../../test-support/github/git.js';
import { startEmulator } from '../../test-support/github/emulator.js';

const run = promisify(execFile);
const cleanup: string[] = [];

async function freshRepo(): Promise<GitRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'emulator-git-'));
  cleanup.push(dir);
  return GitRepo.initBare(join(dir, 'r.git'), 'main');
}

async function files(repo: GitRepo, treeish: string): Promise<string[]> {
  const { stdout } = await run('git', ['--git-dir', repo.dir, 'ls-tree', '-r', '--format=%(objectmode) %(path)', treeish]);
  return stdout.trim().split('\n').filter(Boolean);
}

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('GitRepo', () => {
  it('rewrites only the trees along changed paths and keeps the rest', async () => {
    const repo = await freshRepo();
    const file = (text: string) => ({ content: Buffer.from(text), mode: '100644' as const });
    const base = await repo.updateTree(
      undefined,
      new Map<string, PathChange>([
        ['metadata/le/ft/left-pad.json', file('1')],
        ['metadata/ri/gh/right-pad.json', file('2')],
        ['tools/run.sh', { content: Buffer.from('#!/bin/sh\n'), mode: '100755' as const }],
      ]),
    );
    const next = await repo.updateTree(
      base,
      new Map<string, PathChange>([
        ['metadata/le/ft/left-pad.json', file('1b')],
        ['metadata/ri/gh/right-pad.json', null],
        ['tools', file('now a file')],
      ]),
    );
    expect(await files(repo, next)).toEqual(['100644 metadata/le/ft/left-pad.json', '100644 tools']);
    const sibling = await repo.updateTree(base, new Map([['metadata/le/ft/left-pad.json', file('1c')]]));
    // The untouched shard's tree object is the very same one.
    const shard = async (tree: string) => (await repo.entryAt(tree, 'metadata/ri'))?.sha;
    expect(await shard(sibling)).toBe(await shard(base));
    expect(await files(repo, sibling)).toContain('100755 tools/run.sh');
    await repo.fsck();
  });

  it('moves a ref only from the exact expected value', async () => {
    const repo = await freshRepo();
    const tree = await repo.mktree([]);
    const who = { name: 'a', email: 'a@example.com' };
    const first = await repo.commitTree(tree, [], 'one', who, who);
    const second = await repo.commitTree(tree, [first], 'two', who, who);
    const third = await repo.commitTree(tree, [first], 'three', who, who);
    expect(await repo.updateRef('refs/heads/main', first, ZERO_OID)).toBe(true);
    expect(await repo.updateRef('refs/heads/main', first, ZERO_OID)).toBe(false);
    const [a, b] = await Promise.all([
      repo.updateRef('refs/heads/main', second, first),
      repo.updateRef('refs/heads/main', third, first),
    ]);
    expect([a, b].sort()).toEqual([false, true]);
    expect((await repo.ref('refs/heads/main'))?.sha).toBe(a ? second : third);
  });
});

describe('repository placement', () => {
  it('puts repositories under root, or where repoPaths says', async () => {
    const root = await mkdtemp(join(tmpdir(), 'emulator-root-'));
    cleanup.push(root);
    const registry = join(root, 'elsewhere', 'registry.git');
    const emulator = await startEmulator({ root, repoPaths: { 'org/registry': registry } });
    try {
      await emulator.createRepository({ owner: 'org', repo: 'registry' });
      await emulator.createRepository({ owner: 'org', repo: 'source', initialFiles: { 'a.txt': 'a' } });
      expect(emulator.repoPath('org', 'registry')).toBe(registry);
      expect((await stat(join(registry, 'HEAD'))).isFile()).toBe(true);
      expect(emulator.repoPath('org', 'source')).toBe(join(root, 'org', 'source.git'));
      const { stdout } = await run('git', ['--git-dir', registry, 'log', '--format=%s', 'main']);
      expect(stdout).toBe('Initialize registry\n');
      await emulator.fsck();
    } finally {
      await emulator.close();
    }
  });
});
