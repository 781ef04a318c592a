// Given a package source in a local git repository, the Source port resolves tags as GitHub does and serves an archive the canonical tarball accepts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitSource, localSourceIdentity } from '../../src/adapters/local/git-source.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { buildCanonicalTarball } from '../../src/core/tarball.js';
import { RegistrarError } from '../../src/errors.js';

const run = promisify(execFile);
const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const sh = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd, env: { ...process.env, ...IDENTITY } })).stdout.trim();

let dir: string;
let repo: string;
let commit: string;
let source: GitSource;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registrar-git-source-'));
  repo = join(dir, 'acme', 'left-pad');
  await mkdir(join(repo, 'pkg'), { recursive: true });
  await writeFile(join(repo, 'README.md'), '# left-pad\n');
  await writeFile(join(repo, 'pkg', 'package.json'), '{"name":"left-pad","version":"1.2.0","license":"MIT"}\n');
  await writeFile(join(repo, 'pkg', 'index.js'), 'export default 1;\n');
  await sh(repo, 'init', '-q', '-b', 'main');
  await sh(repo, 'add', '.');
  await sh(repo, 'commit', '-qm', 'Release 1.2.0');
  commit = await sh(repo, 'rev-parse', 'HEAD');
  await sh(repo, 'tag', 'v1.2.0');
  await sh(repo, 'tag', '-a', '-m', 'annotated', 'v1.2.0-annotated');
  await sh(repo, 'tag', '-a', '-m', 'of a tag', 'v1.2.0-chain', 'v1.2.0-annotated');
  const tree = await sh(repo, 'rev-parse', 'HEAD^{tree}');
  await sh(repo, 'tag', 'tree-tag', tree);
  source = new GitSource(repo);
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('the identity of a source directory', () => {
  it('is owner/repo from the parent directory and the directory, and a stable id from its real path', () => {
    expect(source.identity).toMatchObject({ owner: 'acme', repo: 'left-pad' });
    expect(localSourceIdentity(repo)).toEqual(source.identity);
    expect(localSourceIdentity(join(repo, '..', 'left-pad'))).toEqual(source.identity);
    expect(Number.isSafeInteger(source.identity.id) && source.identity.id > 0).toBe(true);
    expect(localSourceIdentity(dir).id).not.toBe(source.identity.id);
  });

  it('answers only for itself: any other owner/repo does not exist', async () => {
    expect(await source.repository('acme', 'left-pad')).toEqual({ ...source.identity, visibility: 'public' });
    for (const [owner, repo] of [['acme', 'right-pad'], ['evil', 'left-pad']] as const) {
      const error = await source.repository(owner, repo).catch((e: unknown) => e);
      expect((error as RegistrarError).kind).toBe('not-found');
    }
  });
});

describe('tags', () => {
  it('resolve to their commit, annotated and chained tags peeled', async () => {
    for (const tag of ['v1.2.0', 'v1.2.0-annotated', 'v1.2.0-chain']) expect(await source.resolveTag('acme', 'left-pad', tag)).toBe(commit);
  });

  it('a missing tag is not-found, a branch is no tag, and a tag of a tree is refused', async () => {
    for (const tag of ['v9.9.9', 'main']) {
      const error = await source.resolveTag('acme', 'left-pad', tag).catch((e: unknown) => e);
      expect((error as RegistrarError).kind).toBe('not-found');
    }
    const error = await source.resolveTag('acme', 'left-pad', 'tree-tag').catch((e: unknown) => e);
    expect((error as RegistrarError).kind).toBe('refused');
    expect((error as RegistrarError).message).toMatch(/points to a tree, not a commit/);
  });
});

describe('the archive', () => {
  it('is a GitHub-shaped tar.gz the canonical tarball builds from, subdir included', async () => {
    const workDir = await mkdtemp(join(dir, 'build-'));
    const tarball = await buildCanonicalTarball(await source.archive('acme', 'left-pad', commit),
      { name: 'left-pad', version: '1.2.0', subdir: 'pkg', manifestFile: 'package.json', limits: DEFAULT_LIMITS, workDir });
    expect(tarball.files).toEqual(['index.js', 'package.json']);
    // Same tag, same bytes: a second build of another archive stream is identical.
    const again = await buildCanonicalTarball(await source.archive('acme', 'left-pad', commit),
      { name: 'left-pad', version: '1.2.0', subdir: 'pkg', manifestFile: 'package.json', limits: DEFAULT_LIMITS, workDir: await mkdtemp(join(dir, 'build-')) });
    expect(again.integrity).toBe(tarball.integrity);
  });

  it('runs no command the source repository configures (an archive filter, a smudge filter its attributes select)', async () => {
    const hostile = join(dir, 'mallory', 'trap');
    await mkdir(hostile, { recursive: true });
    const ran = join(dir, 'PWNED');
    await writeFile(join(hostile, 'package.json'), '{"name":"trap","version":"1.0.0","license":"MIT"}\n');
    await writeFile(join(hostile, '.gitattributes'), '*.json filter=evil\n');
    await sh(hostile, 'init', '-q', '-b', 'main');
    await sh(hostile, 'add', '.');
    await sh(hostile, 'commit', '-qm', 'Release 1.0.0');
    const sha = await sh(hostile, 'rev-parse', 'HEAD');
    await sh(hostile, 'config', 'tar.tar.gz.command', `touch ${ran}; gzip -cn`);
    await sh(hostile, 'config', 'tar.tar.command', `touch ${ran}; cat`);
    await sh(hostile, 'config', 'filter.evil.smudge', `touch ${ran}; cat`);
    const tarball = await buildCanonicalTarball(await new GitSource(hostile).archive('mallory', 'trap', sha),
      { name: 'trap', version: '1.0.0', manifestFile: 'package.json', limits: DEFAULT_LIMITS, workDir: await mkdtemp(join(dir, 'build-')) });
    expect(tarball.files).toEqual(['.gitattributes', 'package.json']);
    expect(existsSync(ran)).toBe(false);
  });

  it('of a commit the repository lacks fails the stream with a message', async () => {
    const stream = await source.archive('acme', 'left-pad', 'e'.repeat(40));
    const error = await (async () => { for await (const _ of stream) { /* drain */ } })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrarError);
    expect((error as RegistrarError).message).toMatch(/git archive of eeeeeeeeeeee/);
  });
});
