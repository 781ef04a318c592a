// The action's network for the round-trip figures: the fault proxies in front of GitHub and S3, with a plan that delays every request once the source archive has been sent.
import { FaultPlan, githubRoute, s3Route, startFaultProxy, type Arrival, type FaultProxy } from '../faults/index.js';
import type { World } from '../world.js';
import { startBenchFront, type BenchFront } from './front.js';

/**
 * A plan with no faults until armed, then `delay` for every request. Arrival times are kept so the bench can also
 * read the cold start (the first request) and how many requests followed the archive.
 */
export class ArmedDelayPlan extends FaultPlan {
  /** The log length when armed: entries after it are the requests made after the archive download. */
  armedAt: number | undefined;
  firstArrivalMs: number | undefined;

  constructor(private readonly delayMs: number) {
    super([]);
  }

  arm(): void {
    this.armedAt ??= this.log.length;
  }

  override arrive(proxy: string, route: string): Arrival {
    this.firstArrivalMs ??= performance.now();
    const arrival = super.arrive(proxy, route);
    if (this.armedAt === undefined || this.delayMs === 0 || arrival.action !== 'pass') return arrival;
    arrival.entry.outcome = 'delayed';
    return { ...arrival, action: 'delay', delayMs: this.delayMs };
  }

  /** Requests that arrived after the archive was sent (all delayed when delayMs > 0). */
  get afterArchive(): number {
    return this.armedAt === undefined ? 0 : this.log.length - this.armedAt;
  }
}

export interface LatencyNetwork {
  plan: ArmedDelayPlan;
  /** Where the action reaches GitHub's API and S3 (runAction's `via`). */
  via: { github: string; s3: string };
  close(): Promise<void>;
}

/** action → fault proxy (github) → bench front → emulator, and action → fault proxy (s3) → S3; one plan for both. */
export async function startLatencyNetwork(world: World, delayMs: number): Promise<LatencyNetwork> {
  const plan = new ArmedDelayPlan(delayMs);
  const front: BenchFront = await startBenchFront(world.github.url);
  front.onArchiveSent(() => plan.arm());
  const proxies: FaultProxy[] = [
    await startFaultProxy({ name: 'github', target: front.url, plan, classify: githubRoute }),
    await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan, classify: s3Route }),
  ];
  return {
    plan,
    via: { github: proxies[0]!.url, s3: proxies[1]!.url },
    close: async () => {
      await Promise.all(proxies.map((p) => p.close()));
      await front.close();
    },
  };
}
