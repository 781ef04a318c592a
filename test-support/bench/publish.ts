// One timed publish through the built action (dist/index.js), on a world from test-support/world.ts: the package, its issue, the run, and what the run cost.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openIssue, requestBody, runAction, seedPackage, type ActionRun, type PackageSource, type World } from '../world.js';

const PROBE = resolve(import.meta.dirname, 'probe.cjs');

/** A small package of its own repository; `i` keeps names, repositories and ids apart. */
export function smallPackage(i: number, version = '1.0.0'): PackageSource {
  // Letters only before the digits: the name decides the metadata shard, and a shared `bench-` prefix would put
  // every bench package in one directory, which no real registry has.
  const stem = String.fromCharCode(97 + (i % 26), 97 + (Math.floor(i / 26) % 26));
  return { owner: 'bench', repo: `${stem}pkg-${i}`, id: 60_000 + i, name: `${stem}pkg-${i}`, version, subdir: 'pkg',
    files: { 'lib/main.js': `export const answer = ${i};\n` } };
}

/** Seeds the package's tag and opens its publish issue; the event is what the timed run consumes. */
export async function preparePublish(world: World, pkg: PackageSource): Promise<{ issue: number; event: { name: string; payload: unknown } }> {
  await seedPackage(world, pkg);
  return openIssue(world, requestBody(pkg), undefined, `Publish ${pkg.name}@${pkg.version}`);
}

export interface TimedRun {
  run: ActionRun;
  /** `performance.now()` just before runAction (which then writes the event file and spawns: ~1 ms) and after exit. */
  startedAt: number;
  endedAt: number;
  ms: number;
  /** The child's peak RSS in MiB, when `probe` was asked for. */
  rssMiB?: number;
  /** The child's CPU time (user + system), when `probe` was asked for. */
  cpuMs?: number;
  /** The probe ended the child after `timeoutMs`: `rssMiB` is then the peak until that moment. */
  timedOut?: boolean;
}

/** Runs the action on `event` and times it; throws unless the run published (a failed run is no measurement). */
export async function timedPublish(world: World, event: { name: string; payload: unknown },
  options: { inputs?: Record<string, string>; via?: { github: string; s3: string }; probe?: boolean; expect?: string; timeoutMs?: number } = {}): Promise<TimedRun> {
  const dir = options.probe ? await mkdtemp(join(tmpdir(), 'registrar-bench-probe-')) : undefined;
  const env: Record<string, string> = dir ? { NODE_OPTIONS: `--require ${PROBE}`, BENCH_PROBE_OUT: join(dir, 'probe.json'),
    ...(options.timeoutMs ? { BENCH_PROBE_TIMEOUT_MS: String(options.timeoutMs) } : {}) } : {};
  try {
    const startedAt = performance.now();
    const run = await runAction(world, event, { env, ...(options.inputs ? { inputs: options.inputs } : {}), ...(options.via ? { via: options.via } : {}) });
    const endedAt = performance.now();
    const probe = dir ? JSON.parse(await readFile(join(dir, 'probe.json'), 'utf8')) as { maxRssKiB: number; cpuMs: number; timedOut: boolean } : undefined;
    if (probe?.timedOut) return { run, startedAt, endedAt, ms: endedAt - startedAt, rssMiB: probe.maxRssKiB / 1024, timedOut: true };
    const expected = options.expect ?? 'published';
    if (run.outputs.status !== expected) {
      throw new Error(`the publish ended ${run.outputs.status ?? `without a status (exit ${run.code})`}, not ${expected}:\n${(run.stdout + run.stderr).slice(-3000)}`);
    }
    const timed: TimedRun = { run, startedAt, endedAt, ms: endedAt - startedAt };
    if (probe) {
      timed.rssMiB = probe.maxRssKiB / 1024;
      timed.cpuMs = probe.cpuMs;
    }
    return timed;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
