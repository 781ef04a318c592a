// Given a registry repository and two buckets on real local servers, audit finds each planted violation of invariants 1, 2 and 5 and passes a clean registry of 1,000 packages; the CLI drives audit and reconcile from a terminal.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GitRegistry } from '../../src/adapters/local/git-registry.js';
import { createS3Storage, type S3Storage } from '../../src/adapters/s3.js';
import { metadataPath, serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata, RollbackRecord } from '../../src/core/types.js';
import type { AuditReport } from '../../src/core/outcomes.js';
import { audit, pool } from '../../src/pipeline/audit.js';
import { reconcile } from '../../src/pipeline/reconcile.js';
import { runCli } from '../../src/cli.js';
import { renderAuditReport } from '../../src/report/repair.js';
import { REGISTRY, startWorld, type World } from '../../test-support/world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TTL = 7 * DAY;
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sri = (bytes: Uint8Array) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
const COMMIT = 'a'.repeat(40);
const quiet = { info: () => {}, warning: () => {} };

interface Harness {
  world: World;
  raw: S3Client;
  backends: S3Storage[];
  issue: number;
}

async function harness(pageSize?: number): Promise<Harness> {
  const world = await startWorld({ buckets: ['b-one', 'b-two'] });
  const raw = new S3Client({ endpoint: world.s3.endpoint, region: world.s3.region, credentials: world.s3.credentials, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 5 });
  const backends = world.buckets.map((bucket, i) => createS3Storage({ name: i === 0 ? 'one' : 'two', endpoint: world.s3.endpoint,
    region: world.s3.region, bucket, credentials: world.s3.credentials, forcePathStyle: true, ...(pageSize ? { pageSize } : {}) }));
  return { world, raw, backends, issue: 0 };
}
async function closeHarness(h: Harness | undefined): Promise<void> {
  if (!h) return;
  h.raw.destroy();
  for (const b of h.backends) b.destroy();
  await h.world.close();
}

/** The real bucket behind a name the tests use: a shared server (radosgw) gives each world unique bucket names. */
const bucketOf = (h: Harness, name: string) => h.world.buckets[['b-one', 'b-two'].indexOf(name)] ?? name;
const put = (h: Harness, bucket: string, key: string, bytes: Uint8Array) =>
  h.raw.send(new PutObjectCommand({ Bucket: bucketOf(h, bucket), Key: key, Body: Buffer.from(bytes), Metadata: { sha256: hex(bytes) } }));

function metadata(name: string, versions: Record<string, Uint8Array>, rolledBack: RollbackRecord[] = []): PackageMetadata {
  return {
    name,
    location: { githubOwner: 'acme', githubRepo: name, repositoryId: 4242 },
    published: Object.fromEntries(Object.entries(versions).map(([version, bytes]) => [version, {
      sha256: sri(bytes), bytes: bytes.length, ref: `v${version}`, commit: COMMIT, publishedTime: '2024-05-01T00:00:00.000Z', issue: 1,
    }])),
    rolledBack,
  };
}

/** One registry commit of several metadata files, with Registrar's headline and trailers. */
async function commit(h: Harness, files: PackageMetadata[], headline?: string): Promise<string> {
  h.issue += 1;
  const first = files[0]!;
  const message = `${headline ?? `Publish ${first.name}@${Object.keys(first.published)[0] ?? '0.0.0'} (#${h.issue})`}\n\n`
    + `Registrar-Issue: ${h.issue}\nRegistrar-Run: audit-test\nRegistrar-Attempt: 1\n`;
  return h.world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message,
    files: Object.fromEntries(files.map((m) => [metadataPath(m.name), serializeMetadata(m)])) });
}

async function runAudit(h: Harness, now: () => Date = () => new Date()): Promise<AuditReport> {
  const history = new GitRegistry({ path: h.world.registryPath });
  try {
    return await audit({ history, backends: h.backends }, { now, stagingTtlMs: TTL });
  } finally {
    history.close();
  }
}
const summary = (report: AuditReport) => report.violations.map((v) => `${v.invariant} ${v.backend ?? '-'} ${v.key ?? `${v.name}@${v.version}`}`);

function cliEnv(h: Harness): { env: NodeJS.ProcessEnv; backends: string } {
  return {
    env: { REG_TOKEN: 't', S3_KEY: h.world.s3.credentials.accessKeyId, S3_SECRET: h.world.s3.credentials.secretAccessKey },
    backends: JSON.stringify(h.world.buckets.map((bucket, i) => ({ name: i === 0 ? 'one' : 'two', endpoint: h.world.s3.endpoint, bucket,
      credentials: { accessKeyIdEnv: 'S3_KEY', secretAccessKeyEnv: 'S3_SECRET' } }))),
  };
}
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, env, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

describe('audit finds each planted violation', () => {
  let h: Harness;
  const a = randomBytes(120);
  const b = randomBytes(121);
  beforeAll(async () => { h = await harness(); });
  afterAll(async () => { await closeHarness(h); });

  it('passes a clean registry: committed, promoted in both backends, a rollback that freed its version, no staging', async () => {
    await commit(h, [metadata('alpha-pkg', { '1.0.0': a })]);
    for (const bucket of h.world.buckets) await put(h, bucket, 'alpha-pkg/1.0.0.tar.gz', a);
    // A rollback removes 1.0.0 with a record of its hash; a later publish of 1.0.0 with other bytes is then allowed.
    await commit(h, [metadata('gamma-pkg', { '1.0.0': a })]);
    const record: RollbackRecord = { version: '1.0.0', sha256: sri(a), by: { id: 9, login: 'trustee' }, at: '2024-05-02T00:00:00.000Z',
      reason: 'broken', issue: 2, cleaned: true };
    await commit(h, [metadata('gamma-pkg', {}, [record])], 'Rollback gamma-pkg@1.0.0 (#2)');
    await commit(h, [metadata('gamma-pkg', { '1.0.0': b }, [record])]);
    for (const bucket of h.world.buckets) await put(h, bucket, 'gamma-pkg/1.0.0.tar.gz', b);

    const report = await runAudit(h);
    expect(report.violations).toEqual([]);
    expect(report.checked).toEqual({ commits: 4, packages: 2, objects: 4, hashed: 4 });
    expect(renderAuditReport(report)).toContain('No violations');
  });

  it('reports a changed hash, wrong bytes, a final without metadata, old staging and staging of a promoted version', async () => {
    // 1: beta-pkg@1.0.0 is committed as `a`, then silently changed to `b`.
    await commit(h, [metadata('beta-pkg', { '1.0.0': a })]);
    const changed = await commit(h, [metadata('beta-pkg', { '1.0.0': b })], 'Publish beta-pkg@1.0.1 (#99)');
    // 2: delta-pkg's object in b-two holds other bytes; a final object nobody committed.
    await commit(h, [metadata('delta-pkg', { '2.0.0': a })]);
    await put(h, 'b-one', 'delta-pkg/2.0.0.tar.gz', a);
    await put(h, 'b-two', 'delta-pkg/2.0.0.tar.gz', b);
    await put(h, 'b-one', 'ghost-pkg/1.0.0.tar.gz', b);
    // 5: staging of alpha-pkg@1.0.0, committed and promoted everywhere; an orphan staging object (old only in the future).
    await put(h, 'b-two', `staging/alpha-pkg/1.0.0/${hex(a)}.tar.gz`, a);
    await put(h, 'b-one', `staging/omega-pkg/3.0.0/${hex(b)}.tar.gz`, b);

    const now = await runAudit(h);
    expect(summary(now)).toEqual([
      '1 - beta-pkg@1.0.0',
      '2 one ghost-pkg/1.0.0.tar.gz',
      '2 two delta-pkg/2.0.0.tar.gz',
      `5 two staging/alpha-pkg/1.0.0/${hex(a)}.tar.gz`,
    ]);
    expect(now.violations[0]!.commit).toBe(changed);
    expect(now.violations[0]!.message).toContain(`changes from ${sri(a)} to ${sri(b)}`);
    expect(now.violations[2]!.message).toContain(hex(b));

    const later = await runAudit(h, () => new Date(Date.now() + 8 * DAY));
    expect(summary(later)).toEqual([
      '1 - beta-pkg@1.0.0',
      '2 one ghost-pkg/1.0.0.tar.gz',
      '2 two delta-pkg/2.0.0.tar.gz',
      `5 one staging/omega-pkg/3.0.0/${hex(b)}.tar.gz`,
      `5 two staging/alpha-pkg/1.0.0/${hex(a)}.tar.gz`,
    ]);
    const markdown = renderAuditReport(later);
    expect(markdown).toContain('Invariant 1: Immutable versions (1)');
    expect(markdown).toContain('`ghost-pkg/1.0.0.tar.gz`');
  });

  it('reports a version that disappears without a rollback record, and a metadata file nobody can read', async () => {
    await commit(h, [metadata('beta-pkg', {})], 'Publish beta-pkg@0.0.1 (#100)');
    await h.world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Hand edit\n\nRegistrar-Issue: 1\nRegistrar-Run: x\nRegistrar-Attempt: 1\n',
      files: { [metadataPath('alpha-pkg')]: '{ not json' } });
    const report = await runAudit(h);
    const invariant1 = report.violations.filter((v) => v.invariant === 1).map((v) => v.message);
    expect(invariant1).toEqual(expect.arrayContaining([
      expect.stringMatching(/^beta-pkg@1\.0\.0 \(sha256-.*\) disappears at commit/),
      expect.stringMatching(/^alpha-pkg: the metadata at commit .* cannot be read/),
    ]));
  });

  describe('through the CLI', () => {
    it('exits 4 (needs a person) from audit and lists the violations', async () => {
      const { env, backends } = cliEnv(h);
      const result = await cli(['audit', '--registry', h.world.registryPath, '--backends', backends], env);
      expect(result.code).toBe(4);
      expect(result.out).toContain('### Registrar audit');
      expect(result.out).toContain('`ghost-pkg/1.0.0.tar.gz`');
    });

    it('exits 4 from reconcile when something needs a person, after repairing what it may', async () => {
      const { env, backends } = cliEnv(h);
      const result = await cli(['reconcile', '--registry-repository', `${REGISTRY.owner}/${REGISTRY.repo}`, '--api-url', h.world.github.url,
        '--token-env', 'REG_TOKEN', '--api-pace-ms', '1', '--backends', backends], env);
      expect(result.err).not.toMatch(/failed/);
      expect(result.code).toBe(4);
      expect(result.out).toContain('#### Needs a person');
      expect(result.out).toContain('`ghost-pkg/1.0.0.tar.gz`');
      expect(result.out).toContain('unreadable metadata');
      // alpha-pkg's metadata cannot be read now, so its staging object is left for a person, not deleted.
      expect((await h.world.s3.listRaw(bucketOf(h, 'b-two'))).map((o) => o.key)).toContain(`staging/alpha-pkg/1.0.0/${hex(a)}.tar.gz`);
    });
  });
});

describe('the CLI refuses bad usage with exit 2 and says what is expected', () => {
  const backends = '[{"bucket":"my-registry"}]';
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /no command given: expected one of publish, dry-run, rollback, reconcile, audit/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['an unknown option', ['audit', '--registry', '.', '--backends', backends, '--bogus'], /Unknown option '--bogus'/],
    ['audit of a registry on GitHub', ['audit', '--registry-repository', 'a/b', '--backends', backends], /audit walks the registry's history, so it needs --registry DIR/],
    ['both registries', ['reconcile', '--registry-repository', 'a/b', '--registry', '.', '--backends', backends, '--token-env', 'T'], /either --registry DIR or --registry-repository OWNER\/REPO, not both/],
    ['no registry', ['reconcile', '--backends', backends], /No registry given/],
    ['no backends', ['reconcile', '--registry-repository', 'a/b'], /No storage given: expected --storage DIR .* or --backends JSON/],
    ['backends that are not JSON', ['reconcile', '--registry-repository', 'a/b', '--backends', '{nope'], /--backends is not valid JSON/],
    ['backends of the wrong shape', ['reconcile', '--registry-repository', 'a/b', '--backends', '[{"bucket":"X"}]'], /backends\.0\.bucket: must be an S3 bucket name/],
    ['a registry that is not owner/repo', ['reconcile', '--registry-repository', 'just-a-name', '--backends', backends, '--token-env', 'T'], /expected OWNER\/REPO/],
    ['a TTL that is not a number', ['reconcile', '--registry-repository', 'a/b', '--backends', backends, '--staging-ttl-hours', 'soon'], /--staging-ttl-hours is "soon"; expected a number greater than 0/],
    ['a negative grace', ['reconcile', '--registry-repository', 'a/b', '--backends', backends, '--grace-minutes=-5'], /--grace-minutes is "-5"; expected a number of 0 or more/],
    ['no token', ['reconcile', '--registry-repository', 'a/b', '--backends', backends, '--token-env', 'NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE .* holds no token/],
  ];
  it.each(cases)('%s', async (_what, argv, says) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(says);
    expect(result.err).toContain('Usage:');
    expect(result.out).toBe('');
  });

  it('prints the usage with --help and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('reconcile');
  });
});

describe('a clean registry of 1,000 packages across 2 backends', () => {
  let h: Harness;
  const timings: Record<string, number> = {};
  beforeAll(async () => { h = await harness(100); });
  afterAll(async () => {
    await closeHarness(h);
    process.stdout.write(`1,000-package timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it('passes audit, reconcile has nothing to do, and the CLI exits 0', async () => {
    const started = performance.now();
    const packages = Array.from({ length: 1000 }, (_, i) => {
      const bytes = randomBytes(200 + (i % 50));
      return { name: `pkg-${String(i).padStart(4, '0')}`, bytes };
    });
    for (let start = 0; start < packages.length; start += 250) {
      await commit(h, packages.slice(start, start + 250).map((p) => metadata(p.name, { '1.0.0': p.bytes })));
    }
    timings.commits = Math.round(performance.now() - started);
    const uploads = packages.flatMap((p) => h.world.buckets.map((bucket) => ({ bucket, p })));
    await pool(uploads, 16, ({ bucket, p }) => put(h, bucket, `${p.name}/1.0.0.tar.gz`, p.bytes));
    timings.setup = Math.round(performance.now() - started);

    const auditStart = performance.now();
    const report = await runAudit(h);
    timings.audit = Math.round(performance.now() - auditStart);
    expect(report.violations).toEqual([]);
    expect(report.checked).toEqual({ commits: 4, packages: 1000, objects: 2000, hashed: 2000 });

    // Reconcile plans from the local clone here: 1,000 reads through the emulator's contents API take about a minute.
    const reconcileStart = performance.now();
    const registry = new GitRegistry({ path: h.world.registryPath });
    try {
      const repair = await reconcile({ registry, backends: h.backends, log: quiet },
        { now: () => new Date(), stagingTtlMs: TTL, graceMs: HOUR, run: { id: 'scale', attempt: 1 } });
      expect(repair).toMatchObject({ actions: [], needsHuman: [], left: [] });
    } finally {
      registry.close();
    }
    timings.reconcileLocal = Math.round(performance.now() - reconcileStart);

    const cliStart = performance.now();
    const { env, backends } = cliEnv(h);
    const result = await cli(['audit', '--registry', h.world.registryPath, '--backends', backends], env);
    timings.cliAudit = Math.round(performance.now() - cliStart);
    expect(result.code).toBe(0);
    expect(result.out).toContain('No violations');
  }, 300_000);
});
