// Given a registry on real local servers with an ecosystem preset, when authors publish packages of that ecosystem's real shape, then the built action publishes what the ecosystem accepts and refuses, writing nothing, what it does not.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubRegistry } from '../../src/adapters/github/registry.js';
import { GitHubSource } from '../../src/adapters/github/source.js';
import { GitRegistry } from '../../src/adapters/local/git-registry.js';
import { createS3Storage } from '../../src/adapters/s3.js';
import { ecosystemFor, type EcosystemId } from '../../src/core/ecosystem.js';
import { audit } from '../../src/pipeline/audit.js';
import { reconcile } from '../../src/pipeline/reconcile.js';
import { rollback } from '../../src/pipeline/rollback.js';
import { metadataPath } from '../../src/core/metadata.js';
import { REGISTRY, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';
import { tarEntries } from '../../test-support/cli.js';
import { registryCommits, registryFile, snapshot } from '../../test-support/observe.js';

const sri = (bytes: Uint8Array) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

let world: World;
let counter = 0;
function source(overrides: Partial<PackageSource> & Pick<PackageSource, 'name' | 'version'>): PackageSource {
  counter += 1;
  return { owner: `eco${counter}`, repo: `src${counter}`, id: 9100 + counter, ...overrides };
}
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
const lastComment = (issue: number) => thread(issue).comments.at(-1)?.body ?? '';


/** Publishes `pkg` under the preset and checks what a publish must leave: one metadata file, exactly the final object, no staging. */
async function publishes(id: EcosystemId, pkg: PackageSource, top: string): Promise<void> {
  const ecosystem = ecosystemFor(id);
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  const run = await runAction(world, event, { inputs: { ecosystem: id } });
  expect(run.stderr).toBe('');
  expect(run.outputs.status).toBe('published');
  expect(run.code).toBe(0);
  expect(thread(issue).state).toBe('closed');

  const metadata = JSON.parse((await registryFile(world, metadataPath(pkg.name, ecosystem)))!);
  expect(metadata.name).toBe(pkg.name);
  const entry = metadata.published[pkg.version];
  expect(entry).toMatchObject({ ref: pkg.tag ?? `v${pkg.version}`, issue });

  const keys = (await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key);
  expect(keys).toContain(`${pkg.name}/${pkg.version}.tar.gz`);
  expect(keys.filter((k) => k.startsWith('staging/'))).toEqual([]);
  const tarball = (await world.s3.getRaw(world.buckets[0]!, `${pkg.name}/${pkg.version}.tar.gz`))!;
  expect(sri(tarball)).toBe(entry.sha256);
  const entries = tarEntries(tarball);
  expect(entries.length).toBeGreaterThan(1);
  expect(entries.every((e) => e === `${top}/` || e.startsWith(`${top}/`))).toBe(true);
}

/** Asks to publish `pkg` under the preset and checks the refusal: nothing written, and the comment says why. */
async function refused(id: EcosystemId, pkg: PackageSource, why: RegExp, seed = true): Promise<void> {
  if (seed) await seedPackage(world, pkg);
  const before = await snapshot(world);
  const { issue, event } = openIssue(world, requestBody(pkg));
  const run = await runAction(world, event, { inputs: { ecosystem: id } });
  expect(run.code).not.toBe(0);
  expect(run.outputs.status).toBe('refused');
  expect(await snapshot(world)).toEqual(before);
  expect(lastComment(issue)).toMatch(why);
}

/** The pipelines' ports over this world, for what a test runs without the action (a rollback by name, reconcile, audit). */
function pipelineDeps(ecosystem: ReturnType<typeof ecosystemFor>) {
  const client = createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 });
  return {
    registry: new GitHubRegistry(client, { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url, ecosystem }),
    backends: world.buckets.map((bucket) => createS3Storage({ name: 'primary', endpoint: world.s3.endpoint, region: world.s3.region, bucket,
      credentials: world.s3.credentials, forcePathStyle: true })),
    source: new GitHubSource(client),
    log: { info: () => {}, warning: () => {} },
  };
}

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('the npm preset', () => {
  it.each([
    ['a scoped name', '@acme/widget', '1.0.0'],
    ['a dotted name', 'lodash.debounce', '4.0.8'],
    ['an underscored name', 'snake_case_pkg', '1.0.0'],
    ['a prerelease version', 'next-gen', '3.0.0-canary.1'],
    ['a Node core module\'s name, as real npm packages have', 'string_decoder', '1.3.0'],
  ])('publishes %s (%s@%s) as npm would: keys keep the scope, the tarball unpacks into package/', async (_what, name, version) => {
    await publishes('npm', source({ name, version }), 'package');
  });

  it.each([
    ['an uppercase name', 'LeftPad', '1.0.0', /uppercase/],
    ['a version with build metadata', 'build-meta', '1.0.0+exp.sha.5114f85', /build metadata/],
  ])('refuses %s, writing nothing', async (_what, name, version, why) => {
    await refused('npm', source({ name, version, tag: `v${version.replace('+', '-')}` }), why);
  });

  it('is needed: the default preset refuses the same scoped request, and writes nothing', async () => {
    const pkg = source({ name: '@acme/other', version: '1.0.0' });
    await seedPackage(world, pkg);
    const before = await snapshot(world);
    const { event } = openIssue(world, requestBody(pkg));
    const run = await runAction(world, event);
    expect(run.outputs.status).toBe('refused');
    expect(await snapshot(world)).toEqual(before);
  });
});

describe('the purescript preset', () => {
  it('publishes a bower-style package (purescript-prelude v6.0.1\'s shape) whose version is only its tag', async () => {
    const bower = JSON.stringify({ name: 'purescript-prelude', homepage: 'https://github.com/purescript/purescript-prelude', license: 'BSD-3-Clause',
      repository: { type: 'git', url: 'https://github.com/purescript/purescript-prelude.git' }, ignore: ['**/.*', 'bower_components', 'node_modules', 'output'],
      devDependencies: { 'purescript-psci-support': '^6.0.0' } }, null, 2);
    await publishes('purescript', source({ name: 'prelude', version: '6.0.1', tag: 'v6.0.1',
      files: { 'bower.json': `${bower}\n`, 'src/Prelude.purs': 'module Prelude where\n' } }), 'prelude-6.0.1');
  });

  it('refuses a bower-style package requested at a version its tag does not carry', async () => {
    const pkg = source({ name: 'arrays', version: '7.0.0', tag: 'v7.0.0',
      files: { 'bower.json': JSON.stringify({ name: 'purescript-arrays', license: 'MIT' }) } });
    await seedPackage(world, pkg);
    await refused('purescript', { ...pkg, version: '7.0.1' }, /no `version`, so the version is the tag's/, false);
  });
});

describe('the crates preset', () => {
  const cargo = (name: string, version: string) => `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\nlicense = "MIT OR Apache-2.0"\n`;

  it('publishes a crate into <name>-<version>/, and refuses another spelling of its name, naming the crate', async () => {
    const pkg = source({ name: 'serde_like', version: '1.0.0-rc.1', files: { 'Cargo.toml': cargo('serde_like', '1.0.0-rc.1'), 'src/lib.rs': 'pub fn f() {}\n' } });
    await publishes('crates', pkg, 'serde_like-1.0.0-rc.1');

    const twin = { ...pkg, name: 'Serde-Like', version: '2.0.0', files: { 'Cargo.toml': cargo('Serde-Like', '2.0.0'), 'src/lib.rs': 'pub fn f() {}\n' } };
    await refused('crates', twin, /name `Serde-Like` is taken: the registry already holds the package `serde_like`/);

    // A trustee's rollback naming the other spelling is refused too: it never removes the crate it does not name.
    const before = await snapshot(world);
    const deps = pipelineDeps(ecosystemFor('crates'));
    const outcome = await rollback(deps,
      { run: { id: 'rb', attempt: 1 }, now: () => new Date(), ecosystem: ecosystemFor('crates') },
      { issue: 1, name: 'Serde-Like', version: '1.0.0-rc.1', reason: 'wrong spelling', actor: { id: 1, login: 'trustee' }, commentId: undefined, at: new Date().toISOString() });
    expect(outcome).toMatchObject({ status: 'refused', message: expect.stringMatching(/holds `serde_like`, not `Serde-Like`/) });
    expect(await snapshot(world)).toEqual(before);
    for (const backend of deps.backends) backend.destroy();
  });

  it('refuses a crate whose version is inherited from its workspace', async () => {
    const pkg = source({ name: 'inherits', version: '1.0.0',
      files: { 'Cargo.toml': '[package]\nname = "inherits"\nversion.workspace = true\nlicense = "MIT"\n', 'src/lib.rs': '\n' } });
    await refused('crates', pkg, /inherits `package\.version` from the workspace/);
  });
});

describe('reconcile and audit of an npm registry', () => {
  const npm = ecosystemFor('npm');
  const DAY = 24 * 3_600_000;
  const quiet = { info: () => {}, warning: () => {} };
  const hex = 'ab'.repeat(32);
  // A registry of its own: one registry follows one ecosystem, and the other describes publish crates and PureScript packages.
  let shared: World;
  beforeAll(async () => { shared = world; world = await startWorld(); });
  afterAll(async () => { await world.close(); world = shared; });

  it('read scoped keys as the registry\'s ecosystem does: audit hashes them, reconcile rebuilds a lost one and clears scoped orphans', async () => {
    const pkg = source({ name: '@acme/repair', version: '2.0.0-beta.1' });
    await publishes('npm', pkg, 'package');
    const bucket = world.buckets[0]!;
    const key = `${pkg.name}/${pkg.version}.tar.gz`;
    const tarball = (await world.s3.getRaw(bucket, key))!;
    const client = createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 });
    const registry = new GitHubRegistry(client, { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url, ecosystem: npm });
    const backends = [createS3Storage({ name: 'primary', endpoint: world.s3.endpoint, region: world.s3.region, bucket,
      credentials: world.s3.credentials, forcePathStyle: true })];
    const history = new GitRegistry({ path: world.registryPath, ecosystem: npm });
    try {
      // Audit: every scoped final object is read as its package's and hashed; one with other bytes is named.
      const clean = await audit({ history, backends }, { now: () => new Date(), stagingTtlMs: DAY, ecosystem: npm });
      expect(clean.violations).toEqual([]);
      expect(clean.checked.hashed).toBe((await world.s3.listRaw(bucket)).length);
      await world.s3.putRaw(bucket, key, new TextEncoder().encode('not the committed bytes'));
      const tampered = await audit({ history, backends }, { now: () => new Date(), stagingTtlMs: DAY, ecosystem: npm });
      expect(tampered.violations).toEqual([expect.objectContaining({ invariant: 2, name: pkg.name, version: pkg.version, key })]);

      // Reconcile: the final object lost (its staging long cleaned) is rebuilt from the recorded commit into package/,
      // byte for byte; an orphan staging object under a scope goes once older than the TTL.
      await world.s3.deleteRaw(bucket, key);
      await world.s3.putRaw(bucket, `staging/@acme/gone/1.0.0/${hex}.tar.gz`, new TextEncoder().encode('orphan'));
      const report = await reconcile({ registry, backends, source: new GitHubSource(client), log: quiet },
        { now: () => new Date(Date.now() + 2 * DAY), graceMs: 0, stagingTtlMs: DAY, run: { id: 'reconcile', attempt: 1 }, ecosystem: npm });
      expect(report.needsHuman).toEqual([]);
      expect(report.actions).toEqual(expect.arrayContaining([
        expect.objectContaining({ kind: 'promoted', name: pkg.name, version: pkg.version }),
        expect.objectContaining({ kind: 'orphan-staging-deleted', name: '@acme/gone', version: '1.0.0' }),
      ]));
      expect(sri((await world.s3.getRaw(bucket, key))!)).toBe(sri(tarball));
      expect((await world.s3.listRaw(bucket, 'staging/')).map((o) => o.key)).toEqual([]);
    } finally {
      history.close();
      for (const backend of backends) backend.destroy();
    }
  });
});

describe('the built action\'s scheduled jobs in an npm registry', () => {
  const schedule = { name: 'schedule', payload: { schedule: '17 3 * * *' } };
  let shared: World;
  beforeAll(async () => { shared = world; world = await startWorld(); });
  afterAll(async () => { await world.close(); world = shared; });

  it('read scoped keys with `ecosystem: npm`: audit mode finds the registry clean and then a tampered tarball, reconcile mode leaves nothing for a person', async () => {
    const pkg = source({ name: '@acme/scheduled', version: '1.0.0-rc.1' });
    await publishes('npm', pkg, 'package');
    const before = await snapshot(world);

    const audited = await runAction(world, schedule, { inputs: { mode: 'audit', 'registry-path': world.registryPath, ecosystem: 'npm' } });
    // Read as the registry's: its one package found, its one final object hashed (the default rules see neither).
    expect(audited.stdout).toMatch(/1 package\(s\), 1 object\(s\) listed, 1 read and hashed/);
    expect(audited.outputs.status).toBe('clean');
    expect(audited.code).toBe(0);

    const reconciled = await runAction(world, schedule, { inputs: { mode: 'reconcile', 'grace-minutes': '0.0001', ecosystem: 'npm' } });
    expect(reconciled.outputs.status).toBe('clean');
    expect(reconciled.code).toBe(0);
    expect(await snapshot(world)).toEqual(before);

    // The scoped key is read as the package's version: bytes other than the committed ones are a violation naming it.
    const key = `${pkg.name}/${pkg.version}.tar.gz`;
    await world.s3.putRaw(world.buckets[0]!, key, new TextEncoder().encode('not the committed bytes'));
    const tampered = await runAction(world, schedule, { inputs: { mode: 'audit', 'registry-path': world.registryPath, ecosystem: 'npm' } });
    expect(tampered.outputs.status).toBe('violations');
    expect(tampered.code).not.toBe(0);
    expect(tampered.stdout).toContain(key);
  });
});

describe('a rollback in an npm registry', () => {
  it('removes a scoped version: its final and staging keys, with a record and a commit naming it', async () => {
    const npm = ecosystemFor('npm');
    const pkg = source({ name: '@acme/pulled', version: '1.0.0' });
    await publishes('npm', pkg, 'package');
    const issue = JSON.parse((await registryFile(world, metadataPath(pkg.name, npm)))!).published[pkg.version].issue as number;
    const deps = pipelineDeps(npm);
    const outcome = await rollback(deps, { run: { id: 'rb', attempt: 1 }, now: () => new Date(), ecosystem: npm },
      { issue, name: pkg.name, version: pkg.version, reason: 'leaked a key', actor: { id: 1, login: 'trustee' }, commentId: undefined, at: new Date().toISOString() });
    expect(outcome).toMatchObject({ status: 'rolled-back', name: pkg.name, version: pkg.version });
    expect((await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key).filter((k) => k.includes('@acme/pulled'))).toEqual([]);
    const metadata = JSON.parse((await registryFile(world, metadataPath(pkg.name, npm)))!);
    expect(metadata.published).toEqual({});
    expect(metadata.rolledBack).toEqual([expect.objectContaining({ version: pkg.version, cleaned: true, reason: 'leaked a key' })]);
    const headlines = (await registryCommits(world)).slice(0, 2).map((c) => c.message.split('\n')[0]);
    expect(headlines).toEqual([`Rollback ${pkg.name}@${pkg.version} (#${issue}): storage cleaned`, `Rollback ${pkg.name}@${pkg.version} (#${issue})`]);
    for (const backend of deps.backends) backend.destroy();
  });
});
