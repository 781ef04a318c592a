// Given a registry and two backends on real local servers, left in each state a crash can leave, when reconcile runs, then it repairs exactly what it may, reports the rest, and audit and the invariant checker find nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubRegistry } from '../../src/adapters/github/registry.js';
import { GitHubSource } from '../../src/adapters/github/source.js';
import { GitRegistry } from '../../src/adapters/local/git-registry.js';
import { createS3Storage, type S3Storage } from '../../src/adapters/s3.js';
import { metadataPath, parseMetadata, removeForRollback, serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata, PublishedVersion } from '../../src/core/types.js';
import { audit } from '../../src/pipeline/audit.js';
import type { RepairItem } from '../../src/core/outcomes.js';
import { reconcile, type ReconcileOptions } from '../../src/pipeline/reconcile.js';
import { renderRepairReport } from '../../src/report/repair.js';
import { assertInvariants, type Expectation } from '../../test-support/invariants.js';
import { registryFile, snapshot } from '../../test-support/observe.js';
import { REGISTRY, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sriToHex = (sri: string) => Buffer.from(sri.slice('sha256-'.length), 'base64').toString('hex');
const quiet = { info: () => {}, warning: () => {} };

let world: World;
let raw: S3Client;
let backends: S3Storage[];
let registry: GitHubRegistry;
let source: GitHubSource;
let counter = 0;
/** Every package these tests published, for the invariant checker. */
const published: Expectation[] = [];

beforeAll(async () => {
  world = await startWorld({ buckets: ['b-one', 'b-two'] });
  raw = new S3Client({ endpoint: world.s3.endpoint, region: world.s3.region, credentials: world.s3.credentials, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  backends = world.buckets.map((bucket, i) => createS3Storage({ name: i === 0 ? 'one' : 'two', endpoint: world.s3.endpoint,
    region: world.s3.region, bucket, credentials: world.s3.credentials, forcePathStyle: true }));
  const client = createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 });
  registry = new GitHubRegistry(client, { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url });
  source = new GitHubSource(client);
});
afterAll(async () => {
  raw?.destroy();
  for (const b of backends ?? []) b.destroy();
  await world?.close();
});
afterEach(async () => {
  world.github.assertClean();
});

// ---------- the world, seen and changed without Registrar's adapters ----------

const [ONE, TWO] = ['b-one', 'b-two'] as const;
/** The real bucket behind a name the tests use: a shared server (radosgw) gives each world unique bucket names. */
const bucketOf = (name: string) => world.buckets[[ONE, TWO].indexOf(name as typeof ONE)] ?? name;
async function put(bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  await raw.send(new PutObjectCommand({ Bucket: bucketOf(bucket), Key: key, Body: Buffer.from(bytes), Metadata: { sha256: sha256(bytes) } }));
}
async function get(bucket: string, key: string): Promise<Uint8Array> {
  const response = await raw.send(new GetObjectCommand({ Bucket: bucketOf(bucket), Key: key }));
  return response.Body!.transformToByteArray();
}
async function remove(bucket: string, key: string): Promise<void> {
  await raw.send(new DeleteObjectCommand({ Bucket: bucketOf(bucket), Key: key }));
}
async function keys(bucket: string): Promise<string[]> {
  return (await world.s3.listRaw(bucketOf(bucket))).map((o) => o.key);
}
async function metadataOf(name: string): Promise<PackageMetadata> {
  return parseMetadata((await registryFile(world, metadataPath(name)))!, name);
}
/** A trustee rollback's first commit as a run that crashed right after it would have left it (trailers included). */
async function commitRollback(metadata: PackageMetadata, version: string, issue: number): Promise<void> {
  const message = `Rollback ${metadata.name}@${version} (#${issue})\n\nRegistrar-Issue: ${issue}\nRegistrar-Run: crashed-run\nRegistrar-Attempt: 1\n`;
  await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main',
    files: { [metadataPath(metadata.name)]: serializeMetadata(metadata) }, message });
}

interface Published {
  pkg: PackageSource;
  issue: number;
  entry: PublishedVersion;
  key: string;
  stagingKey: string;
  bytes: Uint8Array;
}

/** Publishes a fresh package for real, through the built action. */
async function publishOne(overrides: Partial<PackageSource> = {}): Promise<Published> {
  counter += 1;
  const pkg: PackageSource = { owner: `rec${counter}`, repo: `pkg${counter}`, id: 8000 + counter, name: `reconciled-${counter}`, version: '1.0.0', ...overrides };
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  const run = await runAction(world, event);
  expect(run.code).toBe(0);
  const entry = (await metadataOf(pkg.name)).published[pkg.version]!;
  const key = `${pkg.name}/${pkg.version}.tar.gz`;
  published.push({ name: pkg.name, version: pkg.version, issue, outcome: 'published' });
  return { pkg, issue, entry, key, stagingKey: `staging/${pkg.name}/${pkg.version}/${sriToHex(entry.sha256)}.tar.gz`, bytes: await get(ONE, key) };
}

function run(options: Partial<ReconcileOptions> & { withSource?: boolean } = {}) {
  const { withSource = true, ...rest } = options;
  return reconcile({ registry, backends, ...(withSource ? { source } : {}), log: quiet },
    { now: () => new Date(), stagingTtlMs: 7 * DAY, graceMs: HOUR, run: { id: 'reconcile-test', attempt: 1 }, ...rest });
}
const inTwoHours = () => new Date(Date.now() + 2 * HOUR);
const inEightDays = () => new Date(Date.now() + 8 * DAY);
const kinds = (items: RepairItem[]) => items.map((i) => `${i.kind} ${i.backend ?? '-'} ${i.key ?? `${i.name}@${i.version}`}`).sort();

async function auditViolations(now: () => Date = () => new Date()) {
  const history = new GitRegistry({ path: world.registryPath });
  try {
    return (await audit({ history, backends }, { now, stagingTtlMs: 7 * DAY })).violations;
  } finally {
    history.close();
  }
}
/** The whole world is consistent: audit finds nothing, and the independent checker agrees. */
async function expectClean(): Promise<void> {
  expect(await auditViolations()).toEqual([]);
  await assertInvariants(world, { expect: published });
}

// ---------- the states a crash leaves ----------

describe('staged only (the run died before its commit)', () => {
  it('leaves a young orphan staging object alone, and deletes it once older than the staging TTL', async () => {
    const bytes = randomBytes(300);
    const key = `staging/never-committed/1.0.0/${sha256(bytes)}.tar.gz`;
    await put(ONE, key, bytes);
    await put(TWO, key, bytes);

    const young = await run();
    expect(young.actions).toEqual([]);
    expect(kinds(young.left)).toEqual([`young-staging one ${key}`, `young-staging two ${key}`]);
    expect(await keys(ONE)).toContain(key);

    const old = await run({ now: inEightDays });
    expect(kinds(old.actions)).toEqual([`orphan-staging-deleted one ${key}`, `orphan-staging-deleted two ${key}`]);
    expect(old.needsHuman).toEqual([]);
    expect(await keys(ONE)).not.toContain(key);
    expect(await keys(TWO)).not.toContain(key);
    await expectClean();
  });
});

describe('committed but not promoted (the run died after its commit)', () => {
  it('leaves the window alone within the grace period, then promotes from staging and clears it', async () => {
    const p = await publishOne();
    for (const bucket of [ONE, TWO]) {
      await put(bucket, p.stagingKey, p.bytes);
      await remove(bucket, p.key);
    }
    const before = await snapshot(world);
    const early = await run();
    expect(kinds(early.left)).toContain(`promote-window - ${p.key}`);
    expect(early.actions).toEqual([]);
    expect(await snapshot(world)).toEqual(before);

    const report = await run({ now: inTwoHours });
    expect(kinds(report.actions)).toEqual([`promoted - ${p.key}`, `staging-deleted one ${p.stagingKey}`, `staging-deleted two ${p.stagingKey}`]);
    expect(report.needsHuman).toEqual([]);
    for (const bucket of [ONE, TWO]) expect(sha256(await get(bucket, p.key))).toBe(sriToHex(p.entry.sha256));
    await expectClean();
  });

  it('promotes on the backend that lacks the object, from the other backend\'s verified copy', async () => {
    const p = await publishOne();
    await remove(TWO, p.key);
    const report = await run({ now: inTwoHours, withSource: false });
    expect(kinds(report.actions)).toEqual([`promoted - ${p.key}`]);
    expect(report.actions[0]!.detail).toContain('to two');
    expect(sha256(await get(TWO, p.key))).toBe(sriToHex(p.entry.sha256));
    await expectClean();
  });

  it('with no copy anywhere, reports it without a Source, and rebuilds from the recorded commit with one', async () => {
    const p = await publishOne({ subdir: 'packages/lib', files: { 'src/a.js': 'export const a = 1;\n' } });
    await remove(ONE, p.key);
    await remove(TWO, p.key);
    const blind = await run({ now: inTwoHours, withSource: false });
    expect(kinds(blind.needsHuman)).toEqual([`promote-failed - ${p.key}`]);
    expect(blind.needsHuman[0]!.detail).toMatch(/no staged tarball/);
    expect(await keys(ONE)).not.toContain(p.key);

    const report = await run({ now: inTwoHours });
    expect(kinds(report.actions)).toEqual([`promoted - ${p.key}`]);
    for (const bucket of [ONE, TWO]) expect(sha256(await get(bucket, p.key))).toBe(sriToHex(p.entry.sha256));
    await expectClean();
  });
});

describe('rebuilding from a source that turned private (rule 12)', () => {
  it('does not read it, leaves the version for a person, and rebuilds once the registry opts in', async () => {
    const p = await publishOne();
    await remove(ONE, p.key);
    await remove(TWO, p.key);
    world.github.setVisibility(p.pkg.owner, p.pkg.repo, 'private');
    try {
      const report = await run({ now: inTwoHours });
      expect(kinds(report.needsHuman)).toEqual([`promote-failed - ${p.key}`]);
      expect(await keys(ONE)).not.toContain(p.key);

      const client = createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 });
      const optedIn = await reconcile({ registry, backends, source: new GitHubSource(client, { allowPrivate: true }), log: quiet },
        { now: inTwoHours, stagingTtlMs: 7 * DAY, graceMs: HOUR, run: { id: 'opted-in', attempt: 1 } });
      expect(kinds(optedIn.actions)).toEqual([`promoted - ${p.key}`]);
      for (const bucket of [ONE, TWO]) expect(sha256(await get(bucket, p.key))).toBe(sriToHex(p.entry.sha256));
    } finally {
      world.github.setVisibility(p.pkg.owner, p.pkg.repo, 'public');
    }
    await expectClean();
  });
});

describe('staging left after a promote (the run died before its clean-up)', () => {
  it('deletes the staging objects of a version promoted in that backend, whatever their age', async () => {
    const p = await publishOne();
    await put(ONE, p.stagingKey, p.bytes);
    await put(TWO, p.stagingKey, p.bytes);
    const report = await run();
    expect(kinds(report.actions)).toEqual([`staging-deleted one ${p.stagingKey}`, `staging-deleted two ${p.stagingKey}`]);
    await expectClean();
  });
});

describe('things reconcile must not repair on its own', () => {
  it('reports a final object without metadata and an unknown key, and deletes neither', async () => {
    const ghost = 'ghost-final/1.0.0.tar.gz';
    const odd = 'notes/`odd`<b>key</b>.txt';
    await put(ONE, ghost, randomBytes(100));
    await put(TWO, odd, Buffer.from('hello'));
    try {
      const report = await run({ now: inEightDays });
      expect(kinds(report.needsHuman)).toEqual([`final-without-metadata one ${ghost}`]);
      expect(kinds(report.left)).toEqual([`unknown-key two ${odd}`]);
      expect(report.actions).toEqual([]);
      expect(await keys(ONE)).toContain(ghost);
      expect(await keys(TWO)).toContain(odd);
      const markdown = renderRepairReport(report);
      expect(markdown).toContain('`ghost-final/1.0.0.tar.gz`');
      // Inside a code span, markup is literal text: the fence outgrows the backticks in the key.
      expect(markdown).toContain('``notes/`odd`<b>key</b>.txt``');
      expect((await auditViolations()).map((v) => `${v.invariant} ${v.key}`)).toEqual([`2 ${ghost}`]);
    } finally {
      await remove(ONE, ghost);
      await remove(TWO, odd);
    }
    await expectClean();
  });

  it('reports a final object whose bytes differ from the committed entry, and leaves it', async () => {
    const p = await publishOne();
    const other = randomBytes(p.bytes.length + 7);
    await put(TWO, p.key, other);
    try {
      const report = await run({ now: inTwoHours });
      expect(kinds(report.needsHuman)).toEqual([`final-mismatch two ${p.key}`]);
      expect(report.needsHuman[0]!.sha256).toBe(p.entry.sha256);
      expect(sha256(await get(TWO, p.key))).toBe(sha256(other));
    } finally {
      await put(TWO, p.key, p.bytes);
    }
    await expectClean();
  });
});

describe('rollbacks', () => {
  const trustee = { id: 9001, login: 'trustee' };

  it('finishes a rollback left `cleaned: false`: hash-checked deletes, then `cleaned: true`', async () => {
    const p = await publishOne();
    await put(ONE, p.stagingKey, p.bytes);
    const removed = removeForRollback(await metadataOf(p.pkg.name), { version: p.pkg.version, by: trustee,
      at: new Date().toISOString(), reason: 'malware', issue: p.issue });
    await commitRollback(removed, p.pkg.version, p.issue);
    published.splice(published.findIndex((e) => e.name === p.pkg.name), 1, { name: p.pkg.name, version: p.pkg.version, issue: p.issue, outcome: 'absent' });

    const report = await run();
    expect(kinds(report.actions)).toEqual([`rollback-finished - ${p.pkg.name}@${p.pkg.version}`]);
    expect(report.needsHuman).toEqual([]);
    for (const bucket of [ONE, TWO]) expect((await keys(bucket)).filter((k) => k.includes(p.pkg.name))).toEqual([]);
    expect((await metadataOf(p.pkg.name)).rolledBack).toEqual([expect.objectContaining({ version: p.pkg.version, cleaned: true, sha256: p.entry.sha256 })]);
    expect((await run()).actions).toEqual([]);
    await expectClean();
  });

  it('deletes a rolled-back version\'s final object holding exactly the recorded hash, and reports one with other bytes', async () => {
    const p = await publishOne();
    const removed = removeForRollback(await metadataOf(p.pkg.name), { version: p.pkg.version, by: trustee,
      at: new Date().toISOString(), reason: 'license', issue: p.issue });
    removed.rolledBack = removed.rolledBack.map((r) => ({ ...r, cleaned: true }));
    await commitRollback(removed, p.pkg.version, p.issue);
    published.splice(published.findIndex((e) => e.name === p.pkg.name), 1, { name: p.pkg.name, version: p.pkg.version, issue: p.issue, outcome: 'absent' });
    const other = randomBytes(50);
    await put(TWO, p.key, other);

    const report = await run();
    expect(kinds(report.actions)).toEqual([`rolled-back-final-deleted one ${p.key}`]);
    expect(kinds(report.needsHuman)).toEqual([`final-mismatch two ${p.key}`]);
    expect(await keys(ONE)).not.toContain(p.key);
    expect(await keys(TWO)).toContain(p.key);
    await remove(TWO, p.key);
    await expectClean();
  });
});

describe('a dry run', () => {
  it('reports what it would do and writes nothing', async () => {
    const p = await publishOne();
    await remove(TWO, p.key);
    await put(ONE, p.stagingKey, p.bytes);
    const orphan = randomBytes(40);
    const orphanKey = `staging/dry-orphan/2.0.0/${sha256(orphan)}.tar.gz`;
    await put(ONE, orphanKey, orphan);
    const before = await snapshot(world);

    const report = await run({ now: inEightDays, dryRun: true });
    expect(await snapshot(world)).toEqual(before);
    expect(report.dryRun).toBe(true);
    // The staging object is judged against the final object in its own backend, which is there and right.
    expect(kinds(report.actions)).toEqual([`orphan-staging-deleted one ${orphanKey}`, `promoted - ${p.key}`, `staging-deleted one ${p.stagingKey}`]);
    expect(report.actions.every((a) => a.detail.startsWith('(dry run) would:'))).toBe(true);
    expect(renderRepairReport(report)).toContain('dry run: nothing was written');

    const real = await run({ now: inEightDays });
    expect(kinds(real.actions)).toEqual([`orphan-staging-deleted one ${orphanKey}`, `promoted - ${p.key}`, `staging-deleted one ${p.stagingKey}`]);
    await expectClean();
  });
});
