// Reconcile at registry scale, measured: a registry of N packages (one git fast-import commit, sharded paths) and backends holding exactly its final objects, then one reconcile with the real adapters, counting GitHub API and S3 requests.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubRegistry } from '../../src/adapters/github/registry.js';
import { createS3Storage } from '../../src/adapters/s3.js';
import type { RepairItem, RepairReport } from '../../src/core/outcomes.js';
import { reconcile } from '../../src/pipeline/reconcile.js';
import { FaultPlan, s3Route, startFaultProxy } from '../faults/index.js';
import { importPackages, scalePackage } from './registry.js';
import type { S3TestServer } from '../s3.js';
import { REGISTRY, runAction, startWorld, type World } from '../world.js';

/**
 * Puts packages 0 … count-1's final objects into a bucket. On the in-process s3rver it writes s3rver's own on-disk
 * layout (`<key>._S3rver_object`, `._S3rver_metadata.json` with the sha256 Registrar records, `._S3rver_object.md5`),
 * what its PutObject would write, at disk speed; on an external server, it PUTs them.
 */
export async function fillBackend(s3: S3TestServer, bucket: string, count: number): Promise<void> {
  if (s3.kind === 's3rver') {
    const root = join(s3.directory, bucket);
    await forEach(count, 64, async (i) => {
      const pkg = scalePackage(i);
      const base = join(root, pkg.name, `${pkg.version}.tar.gz._S3rver_`);
      await mkdir(join(root, pkg.name), { recursive: true });
      await Promise.all([
        writeFile(`${base}object`, pkg.body),
        writeFile(`${base}metadata.json`, JSON.stringify({ 'content-type': 'application/gzip',
          'x-amz-meta-sha256': createHash('sha256').update(pkg.body).digest('hex') })),
        writeFile(`${base}object.md5`, createHash('md5').update(pkg.body).digest('hex')),
      ]);
    });
    return;
  }
  await forEach(count, 16, async (i) => {
    const pkg = scalePackage(i);
    await s3.putRaw(bucket, pkg.key, pkg.body);
  });
}

async function copyDirectory(from: string, to: string): Promise<void> {
  const child = spawn('cp', ['-a', `${from}/.`, `${to}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
  if (code !== 0) throw new Error(`cp -a ${from} ${to} failed (exit ${code}): ${stderr.slice(0, 500)}`);
}

/** Runs `work(0 … count-1)` with at most `limit` in flight. */
async function forEach(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    for (let i = next++; i < count; i = next++) await work(i);
  }));
}

/** Checks a filled bucket through the S3 API: the first listing page holds exactly the keys expected there. */
async function verifyBackend(s3: S3TestServer, bucket: string, count: number): Promise<void> {
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const listed = (page.Contents ?? []).map((o) => `${o.Key} ${o.Size}`);
    const expected = Array.from({ length: count }, (_, i) => scalePackage(i)).map((p) => `${p.key} ${p.body.length}`).sort().slice(0, 1000);
    if (JSON.stringify(listed) !== JSON.stringify(expected)) {
      throw new Error(`bucket ${bucket} does not list the objects written: ${listed.slice(0, 3).join(', ')} … vs ${expected.slice(0, 3).join(', ')} …`);
    }
  } finally {
    client.destroy();
  }
}

/** The parts of s3rver's filesystem store the listing below uses (s3rver ships no types). */
interface S3rverStore {
  getBucketPath(bucket: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  listObjects(bucket: string, options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number }): Promise<unknown>;
}
const require = createRequire(import.meta.url);
const OBJECT_SUFFIX = '._S3rver_object';

/**
 * s3rver 3.7.1 answers each listing page by walking the bucket's directory from the start and stat()ing every entry
 * up to the continuation point: page k of 1,000 keys costs k × 1,000 stats, so listing 100,000 keys costs about five
 * million stats per bucket (minutes), where S3 answers every page in the same short time. For this process only,
 * listings without a delimiter (what Registrar sends) instead read directories with their entry types (a large one
 * once, while its mtime stands) and skip whole subtrees before the continuation point by a binary search; the keys, their order, the page size and each object's metadata
 * are what s3rver's own walk answers. Returns a function that restores s3rver's walk.
 */
export function useIndexedS3rverListing(): () => void {
  const store = require('s3rver/lib/stores/filesystem.js') as { prototype: S3rverStore };
  const S3Object = require('s3rver/lib/models/object.js') as new (bucket: string, key: string, content: null, metadata: Record<string, unknown>) => unknown;
  const original = store.prototype.listObjects;
  /**
   * A directory's entries in key order, kept while its mtime stands (adding or removing an entry changes it): the
   * bucket's top level of 100,000 names is read once, not once per page. Only the directory's own entries are
   * cached; what sits below is read when visited.
   */
  const cache = new Map<string, { mtimeMs: number; entries: Array<{ sortKey: string; dir: boolean; name: string }> }>();
  const sortedEntries = (dir: string, base: string) => {
    const mtimeMs = statSync(dir).mtimeMs;
    const cached = cache.get(dir);
    if (cached && cached.mtimeMs === mtimeMs) return cached.entries;
    const entries = readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      if (entry.isDirectory()) return [{ sortKey: `${base}${entry.name}/`, dir: true, name: entry.name }];
      return entry.name.endsWith(OBJECT_SUFFIX) ? [{ sortKey: `${base}${entry.name.slice(0, -OBJECT_SUFFIX.length)}`, dir: false, name: entry.name }] : [];
    }).sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    if (entries.length > 1000) cache.set(dir, { mtimeMs, entries });
    return entries;
  };
  store.prototype.listObjects = async function listObjects(this: S3rverStore, bucket, options) {
    if (options.delimiter || process.platform === 'win32') return original.call(this, bucket, options);
    const { startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const keys: string[] = [];
    let isTruncated = false;
    // Depth first in key order: a directory `d` holds keys `d/…`, so it sorts as `d/` among its siblings' keys.
    const visit = (dir: string, base: string): boolean => {
      const entries = sortedEntries(dir, base);
      // Entries before the continuation point are skipped by a binary search, not one by one.
      let lo = 0;
      for (let hi = entries.length; lo < hi;) {
        const mid = (lo + hi) >> 1;
        if (entries[mid]!.sortKey <= startAfter && !startAfter.startsWith(entries[mid]!.sortKey)) lo = mid + 1;
        else hi = mid;
      }
      for (const entry of entries.slice(lo)) {
        if (entry.dir) {
          // Every key below starts with sortKey: skip the subtree when all of them sort at or before startAfter, or miss the prefix.
          if (entry.sortKey <= startAfter && !startAfter.startsWith(entry.sortKey)) continue;
          if (!entry.sortKey.startsWith(prefix) && !prefix.startsWith(entry.sortKey)) continue;
          if (!visit(join(dir, entry.name), entry.sortKey)) return false;
          continue;
        }
        if (entry.sortKey <= startAfter || !entry.sortKey.startsWith(prefix)) continue;
        if (keys.length >= maxKeys) {
          isTruncated = true;
          return false;
        }
        keys.push(entry.sortKey);
      }
      return true;
    };
    visit(this.getBucketPath(bucket), '');
    const metadata = await Promise.all(keys.map((key) => this.getMetadata(bucket, key).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    })));
    return {
      objects: keys.flatMap((key, i) => (metadata[i] === undefined ? [] : [new S3Object(bucket, key, null, metadata[i])])),
      commonPrefixes: [],
      isTruncated,
    };
  };
  return () => { store.prototype.listObjects = original; };
}

export interface ReconcileMeasurement {
  packages: number;
  backends: number;
  /** Which s3rver listing answered (see useIndexedS3rverListing). */
  s3rverListing: 'indexed' | 'stock';
  runner: 'pipeline' | 'action';
  /** Wall-clock seconds of the reconcile run alone (setup excluded). */
  seconds: number;
  /** With the pipeline runner: seconds until every backend was listed (the rest is the registry snapshot and the judging). */
  listingSeconds?: number;
  /** Seconds to build the registry and fill the backends. */
  setupSeconds: number;
  /** Requests the GitHub emulator answered during the run (REST, GraphQL and the codeload download). */
  githubRequests: number;
  githubRoutes: Record<string, number>;
  /** Requests that reached S3 during the run, counted by a pass-through proxy in front of it. */
  s3Requests: number;
  s3Routes: Record<string, number>;
  /** What reconcile reported: all three empty when the registry and storage agree. */
  actions: RepairItem[];
  needsHuman: RepairItem[];
  left: RepairItem[];
}

/** The built action in reconcile mode against the world (S3 through the counting proxy); what it found, from its log. */
async function reconcileByAction(world: World, s3: string): Promise<Pick<RepairReport, 'actions' | 'needsHuman' | 'left'>> {
  const run = await runAction(world, { name: 'schedule', payload: { schedule: '17 3 * * *' } },
    { inputs: { mode: 'reconcile' }, via: { github: world.github.url, s3 } });
  if (run.outputs.status !== 'clean') throw new Error(`the action's reconcile ended ${run.outputs.status ?? `without a status (exit ${run.code})`}: ${run.stdout.slice(-2000)}`);
  // The summary counts each section; a registry that agrees with its backends gives three zeros.
  const counts = ['Done', 'Needs a person', 'Left on purpose'].map((title) => new RegExp(`#### ${title} \\((\\d+)\\)`).exec(run.stdout)?.[1]);
  if (counts.some((n) => n !== '0')) throw new Error(`the action's reconcile found work on a registry that needed none: ${run.stdout.slice(-2000)}`);
  return { actions: [], needsHuman: [], left: [] };
}

const count = (routes: string[]) => routes.reduce<Record<string, number>>((all, r) => ({ ...all, [r]: (all[r] ?? 0) + 1 }), {});

/**
 * A world whose registry holds `packages` packages and whose `backends` buckets hold exactly their final objects;
 * then one reconcile (the pipeline function with the real GitHub and S3 adapters) timed and counted.
 */
export async function measureReconcile(options: { packages: number; backends?: number; log?: (line: string) => void;
  /** `indexed` (default): s3rver's listing without its quadratic walk (see useIndexedS3rverListing); `stock`: as s3rver ships. */
  s3rverListing?: 'indexed' | 'stock';
  /**
   * `pipeline` (default): the reconcile function in this process, with the real adapters. `action`: the built
   * dist/index.js in reconcile mode, as a runner starts it (run `npm run build` first): its own process and core.
   */
  runner?: 'pipeline' | 'action' }): Promise<ReconcileMeasurement> {
  const { packages } = options;
  const backendCount = options.backends ?? 2;
  const log = options.log ?? (() => {});
  const restoreListing = options.s3rverListing === 'stock' ? () => {} : useIndexedS3rverListing();
  const world = await startWorld({ buckets: Array.from({ length: backendCount }, (_, i) => `scale-${i + 1}`) });
  const plan = new FaultPlan([]);
  const s3Proxy = await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan, classify: s3Route });
  const storages = world.buckets.map((bucket, i) => createS3Storage({ name: `backend-${i + 1}`, endpoint: s3Proxy.url, region: world.s3.region,
    bucket, credentials: world.s3.credentials, forcePathStyle: true }));
  try {
    const setupStarted = performance.now();
    await importPackages(world.registryPath, packages);
    log(`registry of ${packages} packages imported (${((performance.now() - setupStarted) / 1000).toFixed(1)} s)`);
    const [first, ...others] = world.buckets as [string, ...string[]];
    await fillBackend(world.s3, first, packages);
    // The other buckets hold the same objects: on s3rver a copy of the first one's directory (cp keeps the layout).
    for (const bucket of others) {
      if (world.s3.kind === 's3rver') await copyDirectory(join(world.s3.directory, first), join(world.s3.directory, bucket));
      else await fillBackend(world.s3, bucket, packages);
    }
    for (const bucket of world.buckets) await verifyBackend(world.s3, bucket, packages);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    log(`${backendCount} backends filled (${setupSeconds.toFixed(1)} s in all)`);

    // How long the storage listings took (they run side by side), apart from the rest of the run.
    let listingsDone = 0;
    for (const storage of storages) {
      const list = storage.list.bind(storage);
      storage.list = async (prefix) => {
        try {
          return await list(prefix);
        } finally {
          listingsDone = Math.max(listingsDone, performance.now());
        }
      };
    }
    const firstGitHub = world.github.requests.length;
    plan.set([]);
    const started = performance.now();
    const report = options.runner === 'action' ? await reconcileByAction(world, s3Proxy.url) : await reconcile({
      registry: new GitHubRegistry(createGitHubClient({ token: 'scale-token', baseUrl: world.github.url, paceMs: 1 }),
        { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url }),
      backends: storages, log: { info: log, warning: log },
    }, { now: () => new Date(), run: { id: 'reconcile-scale', attempt: 1 } });
    const seconds = (performance.now() - started) / 1000;
    const github = world.github.requests.slice(firstGitHub).map((r) => `${r.method} ${r.route}`);
    const s3 = plan.log.map((r) => r.route);
    world.github.assertClean();
    return {
      packages, backends: backendCount, s3rverListing: options.s3rverListing ?? 'indexed',
      runner: options.runner ?? 'pipeline', seconds, setupSeconds,
      ...(options.runner === 'action' ? {} : { listingSeconds: (listingsDone - started) / 1000 }),
      githubRequests: github.length, githubRoutes: count(github),
      s3Requests: s3.length, s3Routes: count(s3),
      actions: report.actions, needsHuman: report.needsHuman, left: report.left,
    };
  } finally {
    for (const storage of storages) storage.destroy();
    await s3Proxy.close();
    await world.close();
    restoreListing();
  }
}
