// Given a registry of hundreds of packages and two backends that agree with it, when reconcile runs, then it plans from one snapshot of the registry: a handful of GitHub requests whatever the package count, a corrupt file reported for a person while the rest are judged, and a lagging replica a transient failure, never an empty registry.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubRegistry } from '../../src/adapters/github/registry.js';
import { readRegistryArchive } from '../../src/adapters/github/registry-archive.js';
import { GitRegistry } from '../../src/adapters/local/git-registry.js';
import { createS3Storage, type S3Storage } from '../../src/adapters/s3.js';
import { metadataPath } from '../../src/core/metadata.js';
import { RegistrarError } from '../../src/errors.js';
import { reconcile } from '../../src/pipeline/reconcile.js';
import { audit } from '../../src/pipeline/audit.js';
import { fillBackend } from '../../test-support/bench/reconcile-scale.js';
import { importPackages, scalePackage } from '../../test-support/bench/registry.js';
import { FaultPlan, githubRoute, s3Route, startFaultProxy, type FaultProxy } from '../../test-support/faults/index.js';
import { git } from '../../test-support/git.js';
import { snapshot } from '../../test-support/observe.js';
import { REGISTRY, startWorld, type World } from '../../test-support/world.js';

const PACKAGES = 300;
const quiet = { info: () => {}, warning: () => {} };
const DAY = 24 * 3_600_000;

let world: World;
let backends: S3Storage[];
/** A pass-through proxy in front of S3, so the test counts the requests that reach it. */
let s3Plan: FaultPlan;
let s3Proxy: FaultProxy;
let head: string;

function registryVia(url: string): GitHubRegistry {
  const client = createGitHubClient({ token: 't', baseUrl: url, paceMs: 1 });
  return new GitHubRegistry(client, { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url });
}

/** One reconcile through the real adapters, with what it cost in requests to GitHub (the emulator's log) and to S3. */
async function reconcileCounted(registry = registryVia(world.github.url)) {
  const first = world.github.requests.length;
  s3Plan.set([]);
  const report = await reconcile({ registry, backends, log: quiet }, { now: () => new Date(), run: { id: 'scale-test', attempt: 1 } });
  return { report, github: world.github.requests.slice(first).map((r) => `${r.method} ${r.route}`), s3: s3Plan.log.map((r) => r.route) };
}

beforeAll(async () => {
  world = await startWorld({ buckets: ['scale-one', 'scale-two'] });
  head = await importPackages(world.registryPath, PACKAGES);
  for (const bucket of world.buckets) await fillBackend(world.s3, bucket, PACKAGES);
  s3Plan = new FaultPlan([]);
  s3Proxy = await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan: s3Plan, classify: s3Route });
  backends = world.buckets.map((bucket, i) => createS3Storage({ name: i === 0 ? 'one' : 'two', endpoint: s3Proxy.url,
    region: world.s3.region, bucket, credentials: world.s3.credentials, forcePathStyle: true }));
}, 60_000);
afterAll(async () => {
  for (const b of backends ?? []) b.destroy();
  await s3Proxy?.close();
  await world?.close();
});
afterEach(() => world.github.assertClean());

describe('a registry where everything is in order', () => {
  it('is planned from one snapshot: three GitHub requests and one listing page per backend, nothing to do', async () => {
    const { report, github, s3 } = await reconcileCounted();
    expect(report.head).toBe(head);
    expect(report).toMatchObject({ actions: [], needsHuman: [], left: [] });
    // The head, the tarball at that SHA, and the download it redirects to: independent of the package count.
    expect(github.sort()).toEqual([
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      'GET /repos/{owner}/{repo}/tarball/{ref}',
      `GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}`,
    ]);
    expect(github.length).toBeLessThanOrEqual(10);
    expect(s3.sort()).toEqual([`GET s3:ListObjectsV2 ${world.buckets[0]}/list:all`, `GET s3:ListObjectsV2 ${world.buckets[1]}/list:all`]);
  });

  it('reads the same packages through the GitHub tarball and through local git', async () => {
    const remote = await registryVia(world.github.url).packagesAt(head);
    const local = new GitRegistry({ path: world.registryPath });
    try {
      const fromGit = await local.packagesAt(head);
      expect(remote.packages.size).toBe(PACKAGES);
      expect(remote.unreadable.size).toBe(0);
      expect(new Map([...fromGit.packages].sort())).toEqual(new Map([...remote.packages].sort()));
      expect(remote.packages.get(scalePackage(7).name)).toEqual(scalePackage(7).metadata);
    } finally {
      local.close();
    }
  });

  it('lets audit judge every final object by its listing size without reading one (finals: size)', async () => {
    const history = new GitRegistry({ path: world.registryPath });
    try {
      s3Plan.set([]);
      const report = await audit({ history, backends }, { now: () => new Date(), stagingTtlMs: 7 * DAY, finals: 'size' });
      expect(report.violations).toEqual([]);
      expect(report.checked).toMatchObject({ packages: PACKAGES, objects: 2 * PACKAGES, hashed: 0 });
      expect(s3Plan.log.every((r) => r.route.includes('ListObjectsV2'))).toBe(true);
    } finally {
      history.close();
    }
  });
});

describe('a registry with files a person must repair', () => {
  it('reports the corrupt file and the directory where a file belongs, and still judges every other package', async () => {
    const wrongSize = scalePackage(11);
    await world.s3.putRaw(world.buckets[1]!, wrongSize.key, Buffer.concat([wrongSize.body, Buffer.from('extra')]));
    await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Hand edits', files: {
      [metadataPath('corrupt-pkg')]: '{ "name": "corrupt-pkg", ',
      [`${metadataPath('dir-pkg')}/inside.txt`]: 'a directory where a file belongs\n',
    } });
    try {
      const { report, github } = await reconcileCounted();
      expect(report.needsHuman.map((i) => `${i.kind} ${i.backend ?? '-'} ${i.name}`).sort()).toEqual([
        'final-mismatch two ' + wrongSize.name,
        'unreadable-metadata - corrupt-pkg',
        'unreadable-metadata - dir-pkg',
      ]);
      expect(report.needsHuman.find((i) => i.name === 'corrupt-pkg')!.detail).toContain('metadata/co/rr/corrupt-pkg.json is corrupt');
      expect(report.needsHuman.find((i) => i.name === 'dir-pkg')!.detail).toContain('is a directory, not a file');
      expect(report.actions).toEqual([]);
      expect(github.length).toBeLessThanOrEqual(10);
    } finally {
      await world.s3.putRaw(world.buckets[1]!, wrongSize.key, wrongSize.body);
      await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Repair',
        files: { [metadataPath('corrupt-pkg')]: null, [`${metadataPath('dir-pkg')}/inside.txt`]: null } });
    }
  });
});

describe('a lagging replica', () => {
  it('answering 404 for the tarball at the new head makes reconcile fail transient and write nothing; the next run sees all', async () => {
    const moved = await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Docs',
      files: { 'README.md': '# Package registry\n\nNow with more packages.\n' } });
    const plan = new FaultPlan([{ route: 'GET /repos/{owner}/{repo}/tarball/{ref}', occurrence: 1, mode: 'lagging-read' }]);
    const proxy = await startFaultProxy({ name: 'github', target: world.github.url, plan, classify: githubRoute });
    try {
      const before = await snapshot(world);
      const failure = await reconcileCounted(registryVia(proxy.url)).catch((error: unknown) => error);
      expect(plan.fired()).toHaveLength(1);
      expect(failure).toBeInstanceOf(RegistrarError);
      expect(failure).toMatchObject({ kind: 'transient', reason: 'missing' });
      expect((failure as Error).message).toContain(`registry commit ${moved.slice(0, 12)}`);
      expect(await snapshot(world)).toEqual(before);

      const { report } = await reconcileCounted(registryVia(proxy.url));
      expect(report.head).toBe(moved);
      expect(report).toMatchObject({ actions: [], needsHuman: [], left: [] });
    } finally {
      await proxy.close();
    }
  });
});

describe('a download that is not the whole archive of the commit', () => {
  const read = (bytes: Buffer, at: string) => readRegistryArchive(Readable.from([bytes]), at, 'read the test registry');

  it('fails transient when cut, whether gzip or tar notices, and when it is another commit\'s tree', async () => {
    const tar = await runGitBuffer(['archive', '--format=tar', '--prefix=top/', head]);
    expect((await read(gzipSync(tar), head)).packages.size).toBe(PACKAGES);
    const gz = gzipSync(tar);
    await expect(read(gz.subarray(0, gz.length - 100), head)).rejects.toMatchObject({ kind: 'transient' });
    // A tar cut at a block boundary and gzipped whole: only the missing end-of-archive blocks tell.
    const cut = tar.subarray(0, 512 * Math.floor(tar.length / 1024));
    await expect(read(gzipSync(cut), head)).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('end-of-archive') });
    const parent = (await git(world.registryPath, 'rev-parse', `${head}^`)).trim();
    await expect(read(gzipSync(tar), parent)).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('not of') });
  });
});

/** git's stdout as bytes (the test-support helper decodes text). */
function runGitBuffer(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', ['--git-dir', world.registryPath, ...args], { encoding: 'buffer', maxBuffer: 1 << 30 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}
