// Given packages of npm, crates.io and PureScript shapes in git repositories, when a maintainer runs the CLI with `--ecosystem` (the built dist/cli.js on a local registry and a storage directory, or on GitHub and S3), then each registry's names, versions, manifests and tarball layout hold.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli.js';
import { IDENTITY, files, registrar, tarEntries } from '../../test-support/cli.js';
import { git } from '../../test-support/git.js';
import { openIssue, requestBody, runAction, seedPackage, startWorld } from '../../test-support/world.js';

const sh = async (cwd: string, ...args: string[]) =>
  (await promisify(execFile)('git', args, { cwd, env: { ...process.env, ...IDENTITY } })).stdout.trim();


/** A package source at `<work>/acme/<repo>`: a git repository holding `contents`, tagged `tag`. */
async function release(work: string, repo: string, contents: Record<string, string>, tag: string): Promise<string> {
  const dir = join(work, 'acme', repo);
  await mkdir(dir, { recursive: true });
  if (!existsSync(join(dir, '.git'))) await sh(dir, 'init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(contents)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await sh(dir, 'add', '.');
  await sh(dir, 'commit', '-qm', `Release ${tag}`);
  await sh(dir, 'tag', tag);
  return dir;
}

/** A fresh registry and storage, both missing until the first command makes them. */
async function place(name: string) {
  const work = await mkdtemp(join(root, `${name}-`));
  const registry = join(work, 'registry');
  const storage = join(work, 'storage');
  return { work, registry, storage, backends: ['--registry', registry, '--storage', storage] };
}

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'registrar-cli-presets-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('--ecosystem npm', () => {
  const name = '@acme/left-pad';
  const version = '2.0.0-canary.1';
  const key = `${name}/${version}.tar.gz`;
  let at: Awaited<ReturnType<typeof place>>;
  let source: string;
  beforeAll(async () => {
    at = await place('npm');
    source = await release(at.work, 'left-pad', {
      'package.json': `${JSON.stringify({ name, version, license: 'MIT', main: 'index.js' }, null, 2)}\n`,
      'index.js': 'module.exports = (s, n) => s.padStart(n);\n',
    }, `v${version}`);
  });

  it('is needed: without it, the scoped name is bad usage and nothing is made', async () => {
    const run = await registrar(at.work, ['publish', ...at.backends, '--source', source, '--ref', `v${version}`, `${name}@${version}`]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/<name> is "@acme\/left-pad"/);
    expect(existsSync(at.registry)).toBe(false);
    expect(existsSync(at.storage)).toBe(false);
  });

  it('dry-runs it: the plan is to publish the package.json package, and nothing is made', async () => {
    const run = await registrar(at.work, ['dry-run', '--ecosystem', 'npm', '--registry', at.registry, '--source', source, '--ref', `v${version}`, `${name}@${version}`, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ command: 'dry-run', status: 'would-publish', name, version, files: ['index.js', 'package.json'] });
    expect(existsSync(at.registry) || existsSync(at.storage)).toBe(false);
  });

  it('publishes a scoped prerelease: the storage holds it under its scope, and the tarball unpacks into package/', async () => {
    const run = await registrar(at.work, ['publish', '--ecosystem', 'npm', ...at.backends, '--source', source, '--ref', `v${version}`, `${name}@${version}`, '--json']);
    expect(run.err).not.toMatch(/failed/);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.out) as Record<string, unknown>;
    expect(outcome).toMatchObject({ command: 'publish', status: 'published', name, version });
    expect(Object.keys(await files(at.storage))).toEqual([`@acme/left-pad/.${version}.tar.gz.sha256`, key]);
    const tarball = await readFile(join(at.storage, key));
    expect(`sha256-${createHash('sha256').update(tarball).digest('base64')}`).toBe(outcome.sha256);
    const entries = tarEntries(tarball);
    expect(entries).toEqual(expect.arrayContaining(['package/package.json', 'package/index.js']));
    expect(entries.every((e) => e === 'package/' || e.startsWith('package/'))).toBe(true);
    const metadata = JSON.parse(await git(at.registry, 'show', `main:${(await git(at.registry, 'ls-tree', '-r', '--name-only', 'main', 'metadata/')).trim()}`));
    expect(metadata).toMatchObject({ name, published: { [version]: { sha256: outcome.sha256 } } });
  });

  it('audits clean, its scoped object read as the package\'s and hashed', async () => {
    const run = await registrar(at.work, ['audit', '--ecosystem', 'npm', ...at.backends]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('1 package(s), 1 object(s) listed, 1 read and hashed');
    expect(run.out).toContain('No violations of invariants 1, 2 or 5.');
  });

  it('rolls back, removing the scoped tarball and committing the record', async () => {
    const run = await registrar(at.work, ['rollback', '--ecosystem', 'npm', ...at.backends, `${name}@${version}`, '--reason', 'canary leaked a token', '--by', 'Ada', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ command: 'rollback', status: 'rolled-back', name, version });
    expect(Object.keys(await files(at.storage)).filter((k) => !k.endsWith('.sha256'))).toEqual([]);
    const log = (await git(at.registry, 'log', '--format=%s', 'main')).trim().split('\n');
    expect(log.slice(0, 2)).toEqual([`Rollback ${name}@${version}: storage cleaned`, `Rollback ${name}@${version}`]);
    const audit = await registrar(at.work, ['audit', '--ecosystem', 'npm', ...at.backends]);
    expect(audit.code).toBe(0);
  });
});

describe('--ecosystem crates', () => {
  const cargo = (name: string, version: string) => `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\nlicense = "MIT"\n`;

  it('publishes a crate from its Cargo.toml into <name>-<version>/, and refuses another spelling of its name (exit 3), writing nothing', async () => {
    const at = await place('crates');
    const first = await release(at.work, 'left-pad', { 'Cargo.toml': cargo('left-pad', '1.0.0'), 'src/lib.rs': 'pub fn pad() {}\n' }, 'v1.0.0');
    const run = await registrar(at.work, ['publish', '--ecosystem', 'crates', ...at.backends, '--source', first, '--ref', 'v1.0.0', 'left-pad@1.0.0']);
    expect(run.code).toBe(0);
    const tarball = await readFile(join(at.storage, 'left-pad/1.0.0.tar.gz'));
    expect(tarEntries(tarball)).toEqual(expect.arrayContaining(['left-pad-1.0.0/Cargo.toml', 'left-pad-1.0.0/src/lib.rs']));

    const twin = await release(at.work, 'left_pad', { 'Cargo.toml': cargo('Left_Pad', '1.0.1'), 'src/lib.rs': 'pub fn pad() {}\n' }, 'v1.0.1');
    const head = await git(at.registry, 'rev-parse', 'main');
    const held = await files(at.storage);
    const refused = await registrar(at.work, ['publish', '--ecosystem', 'crates', ...at.backends, '--source', twin, '--ref', 'v1.0.1', 'Left_Pad@1.0.1']);
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/Refused Left_Pad@1\.0\.1: The name `Left_Pad` is taken: the registry already holds the package `left-pad`/);
    expect(await git(at.registry, 'rev-parse', 'main')).toBe(head);
    expect(await files(at.storage)).toEqual(held);
  });
});

describe('--ecosystem purescript', () => {
  it('publishes a bower.json package with no version from tag v6.0.1 as prelude@6.0.1, into prelude-6.0.1/', async () => {
    const at = await place('purescript');
    const bower = { name: 'purescript-prelude', license: 'BSD-3-Clause', repository: { type: 'git', url: 'https://github.com/purescript/purescript-prelude.git' } };
    const source = await release(at.work, 'purescript-prelude', {
      'bower.json': `${JSON.stringify(bower, null, 2)}\n`, 'src/Prelude.purs': 'module Prelude where\n',
    }, 'v6.0.1');
    const run = await registrar(at.work, ['publish', '--ecosystem', 'purescript', ...at.backends, '--source', source, '--ref', 'v6.0.1', 'prelude@6.0.1', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ status: 'published', name: 'prelude', version: '6.0.1', ref: 'v6.0.1' });
    const entries = tarEntries(await readFile(join(at.storage, 'prelude/6.0.1.tar.gz')));
    expect(entries).toEqual(expect.arrayContaining(['prelude-6.0.1/bower.json', 'prelude-6.0.1/src/Prelude.purs']));
    expect(entries.every((e) => e === 'prelude-6.0.1/' || e.startsWith('prelude-6.0.1/'))).toBe(true);
  });
});

describe('--ecosystem npm on GitHub and S3', () => {
  it('reconcile reads the registry repository\'s scoped metadata: a lost tarball is promoted again', async () => {
    const world = await startWorld();
    try {
      const pkg = { owner: 'acme', repo: 'left-pad', id: 4343, name: '@acme/left-pad', version: '3.0.0-beta.2' };
      const key = `${pkg.name}/${pkg.version}.tar.gz`;
      await seedPackage(world, pkg);
      const { event } = openIssue(world, requestBody(pkg));
      expect((await runAction(world, event, { inputs: { ecosystem: 'npm' } })).outputs.status).toBe('published');
      const bucket = world.buckets[0]!;
      const tarball = (await world.s3.getRaw(bucket, key))!;
      await world.s3.deleteRaw(bucket, key);

      let out = '';
      const backends = JSON.stringify([{ name: 'primary', endpoint: world.s3.endpoint, region: world.s3.region, bucket,
        credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' } }]);
      const code = await runCli(['reconcile', '--ecosystem', 'npm', '--registry-repository', 'registry/registry', '--api-url', world.github.url,
        '--backends', backends, '--source-repository', `${pkg.owner}/${pkg.repo}`, '--grace-minutes', '0', '--api-pace-ms', '1', '--json'],
      { GITHUB_TOKEN: 't', S3_ACCESS_KEY_ID: world.s3.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: world.s3.credentials.secretAccessKey },
      { out: (t) => { out += t; }, err: () => {} });
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ command: 'reconcile', status: 'clean',
        report: { actions: expect.arrayContaining([expect.objectContaining({ kind: 'promoted', name: pkg.name, version: pkg.version })]) } });
      expect(Buffer.from((await world.s3.getRaw(bucket, key))!).equals(Buffer.from(tarball))).toBe(true);
      world.github.assertClean();
    } finally {
      await world.close();
    }
  });
});

describe('--ecosystem as bad usage', () => {
  it.each(['publish', 'dry-run', 'rollback', 'reconcile', 'audit'])('%s --help documents it', async (command) => {
    const run = await registrar(root, [command, '--help']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/--ecosystem NAME +the registry's rules .*\n.*default, purescript, npm, crates/);
  });

  it('refuses an unknown ecosystem with exit 2, naming the ones there are, and makes nothing', async () => {
    const at = await place('unknown');
    const run = await registrar(at.work, ['audit', '--ecosystem', 'cobol', ...at.backends]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--ecosystem is "cobol"; expected one of default, purescript, npm, crates');
    const publish = await registrar(at.work, ['publish', '--ecosystem', 'cobol', ...at.backends, '--source', at.work, '--ref', 'v1.0.0', 'x@1.0.0']);
    expect(publish.code).toBe(2);
    expect(existsSync(at.registry) || existsSync(at.storage)).toBe(false);
  });

  it('refuses --manifest-file beside a preset that reads its own manifests', async () => {
    const at = await place('manifest');
    const run = await registrar(at.work, ['reconcile', '--ecosystem', 'npm', '--manifest-file', 'pkg.json', ...at.backends]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--manifest-file is set, but the npm ecosystem reads its own manifests (package.json)');
    expect(existsSync(at.registry) || existsSync(at.storage)).toBe(false);
  });
});
