// Given a registry on the GitHub emulator and buckets on s3rver, when a maintainer runs the built CLI against them, then the same commands as on local backends publish, audit, roll back and reconcile.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REGISTRY, git, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

const CLI = resolve(import.meta.dirname, '..', '..', 'dist', 'cli.js');

interface Run { code: number; out: string; err: string }

let world: World;
let env: Record<string, string>;
let backends: string;

function registrar(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

const cloud = () => ['--registry-repository', `${REGISTRY.owner}/${REGISTRY.repo}`, '--api-url', world.github.url, '--token-env', 'REGISTRY_TOKEN',
  '--api-pace-ms', '1', '--backends', backends];
const finals = async () => (await Promise.all(world.buckets.map((b) => world.s3.listRaw(b)))).map((objects) => objects.map((o) => o.key));

beforeAll(async () => {
  world = await startWorld({ buckets: ['cli-primary', 'cli-mirror'] });
  env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REGISTRY_TOKEN: 'test-token',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    S3_KEY: world.s3.credentials.accessKeyId, S3_SECRET: world.s3.credentials.secretAccessKey,
  };
  backends = JSON.stringify(world.buckets.map((bucket, i) => ({ name: i === 0 ? 'primary' : 'mirror', endpoint: world.s3.endpoint,
    region: world.s3.region, bucket, credentials: { accessKeyIdEnv: 'S3_KEY', secretAccessKeyEnv: 'S3_SECRET' } })));
});
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('the CLI line on GitHub and S3', () => {
  const pkg: PackageSource = { owner: 'acme', repo: 'cloud-pad', id: 7100, name: 'cloud-pad', version: '1.0.0' };
  const publish = (version: string) => registrar(['publish', ...cloud(), '--source-repository', 'acme/cloud-pad', '--ref', `v${version}`, `cloud-pad@${version}`, '--json']);

  it('publishes from a source repository on GitHub, through the same token', async () => {
    await seedPackage(world, pkg);
    const run = await publish('1.0.0');
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.out) as Record<string, unknown>;
    expect(outcome).toMatchObject({ status: 'published', name: 'cloud-pad', version: '1.0.0', resumed: false });
    expect((await git(world.registryPath, 'log', '-1', '--format=%s', 'main')).trim()).toBe('Publish cloud-pad@1.0.0');
    const metadata = JSON.parse(await git(world.registryPath, 'show', 'main:metadata/cl/ou/cloud-pad.json')) as Record<string, unknown>;
    expect(metadata.location).toEqual({ githubOwner: 'acme', githubRepo: 'cloud-pad', repositoryId: 7100 });
    expect(await finals()).toEqual([['cloud-pad/1.0.0.tar.gz'], ['cloud-pad/1.0.0.tar.gz']]);
    const [primary] = await Promise.all(world.buckets.map((b) => world.s3.listRaw(b)));
    expect(`sha256-${Buffer.from(primary![0]!.sha256, 'hex').toString('base64')}`).toBe(outcome.sha256);
  });

  it('audit of a clone of that registry reports it clean', async () => {
    const run = await registrar(['audit', '--registry', world.registryPath, '--backends', backends]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('2 object(s) listed, 2 read and hashed');
    expect(run.out).toContain('No violations');
  });

  it('rollback, then audit clean, the same bytes refused (exit 3), and a fixed release published', async () => {
    const rollback = await registrar(['rollback', ...cloud(), 'cloud-pad@1.0.0', '--reason', 'broken build', '--by', 'trustee-tom', '--json']);
    expect(rollback.code).toBe(0);
    expect(JSON.parse(rollback.out)).toMatchObject({ command: 'rollback', status: 'rolled-back', deleted: expect.arrayContaining(['primary:cloud-pad/1.0.0.tar.gz', 'mirror:cloud-pad/1.0.0.tar.gz']) });
    expect(await finals()).toEqual([[], []]);
    expect((await registrar(['audit', '--registry', world.registryPath, '--backends', backends])).code).toBe(0);

    const head = await git(world.registryPath, 'rev-parse', 'main');
    const again = await publish('1.0.0');
    expect(again.code).toBe(3);
    expect(JSON.parse(again.out)).toMatchObject({ status: 'refused', message: expect.stringMatching(/rolled-back bytes can never be published again/) });
    expect(await git(world.registryPath, 'rev-parse', 'main')).toBe(head);
    expect(await finals()).toEqual([[], []]);

    await seedPackage(world, { ...pkg, version: '1.0.1', files: { 'FIXED.md': 'fixed\n' } });
    const fixed = await publish('1.0.1');
    expect(fixed.code).toBe(0);
    expect(await finals()).toEqual([['cloud-pad/1.0.1.tar.gz'], ['cloud-pad/1.0.1.tar.gz']]);
  });

  it('reconcile finds nothing to repair, and dry-run plans without writing', async () => {
    const reconcile = await registrar(['reconcile', ...cloud(), '--json']);
    expect(reconcile.code).toBe(0);
    expect(JSON.parse(reconcile.out)).toMatchObject({ command: 'reconcile', status: 'clean', report: { actions: [], needsHuman: [] } });

    await seedPackage(world, { ...pkg, version: '1.1.0' });
    const head = await git(world.registryPath, 'rev-parse', 'main');
    const dry = await registrar(['dry-run', '--registry-repository', `${REGISTRY.owner}/${REGISTRY.repo}`, '--api-url', world.github.url,
      '--token-env', 'REGISTRY_TOKEN', '--source-repository', 'acme/cloud-pad', '--ref', 'v1.1.0', 'cloud-pad@1.1.0', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out)).toMatchObject({ status: 'would-publish', files: expect.arrayContaining(['package.json', 'index.js']) });
    expect(await git(world.registryPath, 'rev-parse', 'main')).toBe(head);
  });

  it('without the token it names the variable and exits 2', async () => {
    const run = await registrar(['reconcile', '--registry-repository', 'registry/registry', '--api-url', world.github.url, '--token-env', 'NOT_SET', '--backends', backends]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('The environment variable NOT_SET (named by --token-env) holds no token');
  });
});
