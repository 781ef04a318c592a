// One function per bench figure: each sets up its own world from test-support/world.ts, runs the built action (or the code under test) the asked number of times, and returns the raw measurements.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import * as tarball from '../../src/core/tarball.js';
import { CAP_VARIANTS, writeCapArchive, type CapVariant } from '../cap-archive.js';
import { seedPackage, startWorld, type PackageSource, type World } from '../world.js';
import { CORPORA, corpusArchive, hugeArchive, type Corpus } from './archives.js';
import { startBenchFront } from './front.js';
import { startLatencyNetwork } from './latency.js';
import { preparePublish, smallPackage, timedPublish } from './publish.js';
import { CACHE, attachRegistry, cachedRegistry, cloneEditPush } from './registry.js';

const MiB = 1024 * 1024;

function bucketNames(backends: number): string[] {
  return Array.from({ length: backends }, (_, i) => (i === 0 ? 'registry-primary' : `registry-mirror-${i}`));
}

async function withWorld<T>(backends: number, fn: (world: World) => Promise<T>): Promise<T> {
  const world = await startWorld({ buckets: bucketNames(backends) });
  try {
    return await fn(world);
  } finally {
    await world.close();
  }
}

// Every package a world sees gets its own number, so no two runs publish the same name.
let packageNumber = 0;

// ---------------------------------------------------------------------------------------------------------------
// r1, r3 (and t from the same runs)

export interface RoundTrips {
  backends: number;
  delayMs: number;
  /** Per interleaved pair: (T(L) − T(0)) / L. */
  perPair: number[];
  zeroMs: number[];
  delayedMs: number[];
  /** Requests after the archive download, per run with delay (all runs should agree). */
  requestsAfterArchive: number[];
  /** ms from just before spawning to the first request at either proxy, in the runs without delay. */
  coldStartMs: number[];
  /** The routes after the archive, in arrival order, of the last run with delay. */
  afterRoutes: string[];
  /** The first request's route, of the last run without delay. */
  firstRoute: string;
}

export async function roundTrips(backends: number, runs: number, delayMs: number): Promise<RoundTrips> {
  return withWorld(backends, async (world) => {
    const result: RoundTrips = { backends, delayMs, perPair: [], zeroMs: [], delayedMs: [], requestsAfterArchive: [], coldStartMs: [], afterRoutes: [], firstRoute: '' };
    const once = async (latency: number) => {
      const { event } = await preparePublish(world, smallPackage(++packageNumber));
      const network = await startLatencyNetwork(world, latency);
      try {
        const run = await timedPublish(world, event, { via: network.via });
        if (network.plan.armedAt === undefined) throw new Error('the archive download was never seen: the delay was not armed');
        if (latency === 0) result.firstRoute = network.plan.log[0]?.route ?? '';
        if (latency > 0) result.afterRoutes = network.plan.log.slice(network.plan.armedAt).map((e) => e.route);
        return { ms: run.ms, after: network.plan.afterArchive, first: (network.plan.firstArrivalMs ?? Number.NaN) - run.startedAt };
      } finally {
        await network.close();
      }
    };
    // Untimed: the first spawn reads dist/index.js from disk and warms the servers' code paths.
    await once(0);
    for (let i = 0; i < runs; i++) {
      // Interleaved, and the order swapped every pair, so a drift in the machine's load falls on both sides alike.
      const order = i % 2 === 0 ? [0, delayMs] : [delayMs, 0];
      const times = new Map<number, number>();
      for (const latency of order) {
        const r = await once(latency);
        times.set(latency, r.ms);
        if (latency === 0) {
          result.zeroMs.push(r.ms);
          result.coldStartMs.push(r.first);
        } else {
          result.delayedMs.push(r.ms);
          result.requestsAfterArchive.push(r.after);
        }
      }
      result.perPair.push((times.get(delayMs)! - times.get(0)!) / delayMs);
    }
    return result;
  });
}

/** Milliseconds for `node -e 0`: the part of the cold start that is Node's own, before any of the action's code. */
export async function nodeStartMs(runs: number): Promise<number[]> {
  const { spawnSync } = await import('node:child_process');
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    ms.push(performance.now() - started);
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------------------------
// s and b

export interface Scale {
  small: number;
  big: number;
  smallMs: number[];
  bigMs: number[];
  /** Per interleaved pair: T(big) / T(small). */
  perPair: number[];
  /** Seconds spent building the registries now (0: both came from the cache). */
  builtSeconds: number;
  /** The emulator's requests of the last timed publish on each registry, by route: the same list means the same work asked. */
  smallRoutes: Record<string, number>;
  bigRoutes: Record<string, number>;
}

function routesSince(world: World, first: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of world.github.requests.slice(first)) counts[`${r.method} ${r.route}`] = (counts[`${r.method} ${r.route}`] ?? 0) + 1;
  return counts;
}

/** The same package, a fresh version per run, on a registry of `small` and one of `big` packages, interleaved. */
export async function scale(runs: number, small: number, big: number): Promise<Scale> {
  const registries = [await cachedRegistry(small), await cachedRegistry(big)];
  const worlds = [await startWorld({ buckets: bucketNames(1) }), await startWorld({ buckets: bucketNames(1) })];
  try {
    const pkg = smallPackage(++packageNumber);
    for (const [i, world] of worlds.entries()) {
      await attachRegistry(world, registries[i]!);
      // Untimed first version: every timed run then adds a version to an existing metadata file.
      await timedPublish(world, (await preparePublish(world, pkg)).event);
    }
    const result: Scale = { small, big, smallMs: [], bigMs: [], perPair: [], builtSeconds: registries[0]!.builtSeconds + registries[1]!.builtSeconds,
      smallRoutes: {}, bigRoutes: {} };
    for (let i = 0; i < runs; i++) {
      const version = { ...pkg, version: `1.0.${i + 1}` };
      const ms = [0, 0];
      for (const w of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const world = worlds[w]!;
        const { event } = await preparePublish(world, version);
        const first = world.github.requests.length;
        ms[w] = (await timedPublish(world, event)).ms;
        result[w === 0 ? 'smallRoutes' : 'bigRoutes'] = routesSince(world, first);
      }
      result.smallMs.push(ms[0]!);
      result.bigMs.push(ms[1]!);
      result.perPair.push(ms[1]! / ms[0]!);
    }
    return result;
  } finally {
    for (const world of worlds) await world.close();
  }
}

/** The seed registry's clone, edit, commit, push on the registry of `packages`, in seconds per run. */
export async function cloneEditPushSeconds(runs: number, packages: number): Promise<Awaited<ReturnType<typeof cloneEditPush>>[]> {
  const registry = await cachedRegistry(packages);
  const seconds: Awaited<ReturnType<typeof cloneEditPush>>[] = [];
  for (let i = 0; i < runs; i++) seconds.push(await cloneEditPush(registry, CACHE, i));
  return seconds;
}

// ---------------------------------------------------------------------------------------------------------------
// m and mc

const HUGE_LIMITS = JSON.stringify({ archiveBytes: 4 * 1024 * MiB, unpackedBytes: 4 * 1024 * MiB });

export interface Memory {
  rssMiB: number[];
  seconds: number[];
  /** Runs the probe ended at the time limit: their RSS is a lower bound. */
  timedOut?: number;
}

/** Peak RSS of ordinary small publishes: the floor the other memory figures stand on (Node, the bundle, the SDKs). */
export async function smallPublishMemory(runs: number): Promise<Memory> {
  return withWorld(1, async (world) => {
    const result: Memory = { rssMiB: [], seconds: [] };
    for (let i = 0; i < runs; i++) {
      const run = await timedPublish(world, (await preparePublish(world, smallPackage(++packageNumber))).event, { probe: true });
      result.rssMiB.push(run.rssMiB!);
      result.seconds.push(run.ms / 1000);
    }
    return result;
  });
}

/** Publishes whose source archive carries `totalBytes` outside the package directory, streamed by the front. */
export async function hugeArchiveMemory(runs: number, totalBytes: number, timeoutMs: number): Promise<Memory> {
  return withWorld(1, async (world) => {
    const front = await startBenchFront(world.github.url);
    const result: Memory = { rssMiB: [], seconds: [], timedOut: 0 };
    try {
      const pkg: PackageSource = { owner: 'bench', repo: 'hugepkg', id: 70_001, name: 'hugepkg', version: '1.0.0', subdir: 'pkg' };
      for (let i = 0; i < runs; i++) {
        const version = { ...pkg, version: `1.0.${i}` };
        const { event } = await preparePublish(world, version);
        front.replaceArchive(() => hugeArchive({ name: version.name, version: version.version, totalBytes }));
        // The archive cap is raised (an input a registry may set): this measures memory, not the cap.
        const run = await timedPublish(world, event, { via: { github: front.url, s3: world.s3.endpoint }, probe: true, inputs: { limits: HUGE_LIMITS }, timeoutMs });
        result.rssMiB.push(run.rssMiB!);
        result.seconds.push(run.ms / 1000);
        if (run.timedOut) {
          // The next runs would be cut at the same limit: one lower bound is all they could add.
          result.timedOut! += 1;
          break;
        }
      }
      return result;
    } finally {
      await front.close();
    }
  });
}

export interface CapMemory extends Memory {
  variant: CapVariant;
  /** The status the runs ended with, and the start of their refusal, if any. */
  outcome: string;
}

/**
 * Publishes of test-support/cap-archive.ts's archives through the action. Those archives carry no package.json,
 * so each run downloads, checks every cap and builds the whole canonical tarball, then is refused at the manifest
 * check: stage, commit and promote are not part of this figure.
 */
export async function capArchiveMemory(runs: number, variants: readonly CapVariant[] = CAP_VARIANTS): Promise<CapMemory[]> {
  const dir = await mkdtemp(join(tmpdir(), 'registrar-bench-caps-'));
  const results: CapMemory[] = [];
  try {
    for (const variant of variants) {
      results.push(await withWorld(1, async (world) => {
        const front = await startBenchFront(world.github.url);
        const result: CapMemory = { variant, rssMiB: [], seconds: [], outcome: '' };
        try {
          const pkg: PackageSource = { owner: 'acme', repo: 'capped', id: 70_002, name: 'capped', version: '1.0.0' };
          await seedPackage(world, pkg);
          for (let i = 0; i < runs; i++) {
            const version = `1.0.${i + 1}`;
            // One archive per version: its package.json names the version the request asks for, so the publish goes
            // all the way (build, stage, commit, promote) on a package at every cap.
            const path = join(dir, `${variant}-${version}.tar.gz`);
            await writeCapArchive(variant, path, { manifest: { name: pkg.name, version } });
            front.replaceArchive(() => createReadStream(path));
            const { event } = await preparePublish(world, { ...pkg, version, tag: `v${version}` });
            const run = await timedPublish(world, event, { via: { github: front.url, s3: world.s3.endpoint }, probe: true });
            await rm(path, { force: true });
            result.outcome = 'published (the whole pipeline, at every cap)';
            result.rssMiB.push(run.rssMiB!);
            result.seconds.push(run.ms / 1000);
          }
          return result;
        } finally {
          await front.close();
        }
      }));
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// g

export interface Throughput {
  corpus: Corpus;
  tarMiB: number;
  mibPerSecond: number[];
}

/** Which build function the throughput uses: the file-based one where this checkout has it, else the in-memory one. */
export const BUILD_FUNCTION = 'buildCanonicalTarball' in tarball ? 'buildCanonicalTarball' : 'canonicalTarball';
/** The deflate schedule the build used, where tarball.ts describes it (it is being changed while this bench is written). */
export const BUILD_FORMAT = 'CANONICAL_FORMAT' in tarball ? JSON.stringify((tarball as Record<string, unknown>).CANONICAL_FORMAT) : undefined;

async function buildOnce(gzip: Buffer, limits: Limits): Promise<void> {
  // 1 MiB pieces, as a download would hand them over; the archive is in memory, so no disk read is timed.
  const pieces = async function* () {
    for (let offset = 0; offset < gzip.length; offset += MiB) yield gzip.subarray(offset, offset + MiB);
  };
  const options = { name: 'throughput', version: '1.0.0', limits };
  const build = (tarball as Record<string, unknown>).buildCanonicalTarball as
    ((archive: AsyncIterable<Uint8Array>, o: typeof options & { workDir: string }) => Promise<unknown>) | undefined;
  if (build) {
    const workDir = await mkdtemp(join(tmpdir(), 'registrar-bench-build-'));
    try {
      await build(pieces(), { ...options, workDir });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  } else {
    await tarball.canonicalTarball(pieces(), options);
  }
}

export async function throughput(runs: number, totalBytes: number): Promise<Throughput[]> {
  // Zeros pass the ratio cap only with it lifted: this measures speed, the caps have their own figures.
  const limits: Limits = { ...DEFAULT_LIMITS, ratio: 1_000_000, unpackedBytes: 4 * totalBytes, archiveBytes: 4 * totalBytes };
  const results: Throughput[] = [];
  for (const corpus of CORPORA) {
    const archive = corpusArchive(corpus, { name: 'throughput', version: '1.0.0', totalBytes });
    await buildOnce(archive.gzip, limits);
    const result: Throughput = { corpus, tarMiB: archive.tarBytes / MiB, mibPerSecond: [] };
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await buildOnce(archive.gzip, limits);
      result.mibPerSecond.push(result.tarMiB / ((performance.now() - started) / 1000));
    }
    results.push(result);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// c and a

export interface Contention {
  concurrentSeconds: number[];
  sequentialSeconds: number[];
  perPair: number[];
  /** createCommitOnBranch mutations the emulator answered during each concurrent batch. */
  commitAttempts: number[];
  sequentialCommitAttempts: number[];
  /** CPU seconds of the concurrent batch: all the action processes together, and this process (emulator, S3 server). */
  actionCpuSeconds: number[];
  serverCpuSeconds: number[];
}

const COMMIT_ROUTE = 'graphql:createCommitOnBranch';

export async function contention(runs: number, publishes: number): Promise<Contention> {
  return withWorld(1, async (world) => {
    const result: Contention = { concurrentSeconds: [], sequentialSeconds: [], perPair: [], commitAttempts: [], sequentialCommitAttempts: [],
      actionCpuSeconds: [], serverCpuSeconds: [] };
    const commits = () => world.github.requests.filter((r) => r.route === COMMIT_ROUTE).length;
    const batch = async (concurrent: boolean) => {
      const events = [];
      for (let k = 0; k < publishes; k++) events.push((await preparePublish(world, smallPackage(++packageNumber))).event);
      const before = commits();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const runs = [];
      if (concurrent) runs.push(...await Promise.all(events.map((event) => timedPublish(world, event, { probe: true }))));
      else for (const event of events) runs.push(await timedPublish(world, event, { probe: true }));
      const seconds = (performance.now() - started) / 1000;
      const server = process.cpuUsage(cpu);
      return { seconds, attempts: commits() - before, actionCpu: runs.reduce((sum, r) => sum + r.cpuMs!, 0) / 1000, serverCpu: (server.user + server.system) / 1e6 };
    };
    await timedPublish(world, (await preparePublish(world, smallPackage(++packageNumber))).event);
    for (let i = 0; i < runs; i++) {
      const results = new Map<boolean, Awaited<ReturnType<typeof batch>>>();
      for (const concurrent of i % 2 === 0 ? [true, false] : [false, true]) results.set(concurrent, await batch(concurrent));
      const c = results.get(true)!;
      const s = results.get(false)!;
      result.concurrentSeconds.push(c.seconds);
      result.sequentialSeconds.push(s.seconds);
      result.perPair.push(c.seconds / s.seconds);
      result.commitAttempts.push(c.attempts);
      result.sequentialCommitAttempts.push(s.attempts);
      result.actionCpuSeconds.push(c.actionCpu);
      result.serverCpuSeconds.push(c.serverCpu);
    }
    return result;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// p

export interface Paced {
  pacedMs: number[];
  /** The same publish at the pace the tests use (1 ms), interleaved with the paced runs. */
  unpacedMs: number[];
  /** GitHub requests of one paced publish, and how many of them write (not GET). */
  requests: number;
  writes: number;
}

/** One publish at the action's default pacing (api-pace-ms 1000), a fresh package per run, against the same unpaced. */
export async function pacedPublish(runs: number): Promise<Paced> {
  return withWorld(1, async (world) => {
    const result: Paced = { pacedMs: [], unpacedMs: [], requests: 0, writes: 0 };
    for (let i = 0; i < runs; i++) {
      for (const paced of i % 2 === 0 ? [true, false] : [false, true]) {
        const { event } = await preparePublish(world, smallPackage(++packageNumber));
        const first = world.github.requests.length;
        const run = await timedPublish(world, event, paced ? { inputs: { 'api-pace-ms': '1000' } } : {});
        (paced ? result.pacedMs : result.unpacedMs).push(run.ms);
        if (paced) {
          const made = world.github.requests.slice(first);
          result.requests = made.length;
          result.writes = made.filter((r) => r.method !== 'GET' && !r.route.startsWith('graphql:repository')).length;
        }
      }
    }
    return result;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// q and z: measured by other helpers' modules, imported when they exist.

export interface ReconcileScale {
  seconds: number;
  githubRequests?: number;
  s3Requests?: number;
  raw: unknown;
}

export async function reconcileScale(runs: number, packages: number): Promise<ReconcileScale[]> {
  let module: Record<string, unknown>;
  try {
    // A computed specifier: the module may not exist yet, and the type check must not depend on another helper's file.
    const specifier = './reconcile-scale.js';
    module = await import(specifier) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`PLACEHOLDER: test-support/bench/reconcile-scale.ts (measureReconcile) is not there yet or does not load: ${(error as Error).message}`);
  }
  const measure = module.measureReconcile as ((o: { packages: number; backends: number }) => Promise<unknown>) | undefined;
  if (typeof measure !== 'function') throw new Error('PLACEHOLDER: test-support/bench/reconcile-scale.ts exports no measureReconcile');
  const results: ReconcileScale[] = [];
  for (let i = 0; i < runs; i++) {
    const raw = await measure({ packages, backends: 2 });
    const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const seconds = typeof raw === 'number' ? raw : Number(fields.seconds);
    if (!Number.isFinite(seconds)) throw new Error(`measureReconcile returned no seconds: ${JSON.stringify(raw)}`);
    const number = (key: string) => (typeof fields[key] === 'number' ? fields[key] : undefined);
    const githubRequests = number('githubRequests') ?? number('githubApiRequests');
    const s3Requests = number('s3Requests');
    results.push({ seconds, raw, ...(githubRequests === undefined ? {} : { githubRequests }), ...(s3Requests === undefined ? {} : { s3Requests }) });
  }
  return results;
}

export async function sizeVsNpm(): Promise<{ median: number; shapes: number }> {
  let module: Record<string, unknown>;
  try {
    const specifier = '../../scripts/size-vs-npm.js';
    module = await import(specifier) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`PLACEHOLDER: scripts/size-vs-npm.ts is not there yet or does not load: ${(error as Error).message}`);
  }
  const fn = module.sizeVsNpmMedian as (() => Promise<number>) | undefined;
  if (typeof fn !== 'function') throw new Error('PLACEHOLDER: scripts/size-vs-npm.ts exports no sizeVsNpmMedian()');
  const value = await fn();
  if (!Number.isFinite(value)) throw new Error(`sizeVsNpmMedian() returned ${String(value)}`);
  return { median: value, shapes: Array.isArray(module.SHAPES) ? module.SHAPES.length : Number.NaN };
}

