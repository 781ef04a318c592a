// A fault plan: which request — named by (route, occurrence) — fails how, shared by every proxy of one test, with the log of what happened.

/**
 * - `refuse`: the server never sees the request; the client's connection is reset.
 * - `lose`: the server applies the request; its answer is dropped and the client's connection reset.
 * - `crash`: like refuse, and every later request on every proxy sharing the plan is refused (a runner that died).
 * - `delay`: the request waits `delayMs`, then goes through.
 */
export type FaultMode = 'refuse' | 'lose' | 'crash' | 'delay';

export interface Fault {
  /** A classifier's route string, e.g. `PATCH /repos/{owner}/{repo}/issues/{issue_number}` or `PUT s3:PutObject bucket/staging`. */
  route: string;
  /** 1-based: the n-th request of `route` since the plan was last set. */
  occurrence: number;
  mode: FaultMode;
  /** Required for `delay`. */
  delayMs?: number;
}

export type Outcome = 'passed' | 'refused' | 'lost' | 'crashed' | 'delayed';

export interface ProxiedRequest {
  /** 1-based arrival order across every proxy of the plan. */
  seq: number;
  /** The name of the proxy it arrived at. */
  proxy: string;
  route: string;
  occurrence: number;
  outcome: Outcome;
  /** The upstream's status, when the upstream answered (also for `lost`: what the client never saw). */
  status?: number;
  /** Why the request failed without a fault: the upstream could not be reached, or the client went away. */
  error?: string;
}

/** What a proxy must do with one request, decided at its arrival. */
export interface Arrival {
  entry: ProxiedRequest;
  action: 'pass' | 'refuse' | 'lose' | 'crash' | 'delay';
  delayMs: number;
  /** The plan's generation at arrival; a later set() makes this request's fate irrelevant to the new log. */
  epoch: number;
}

const MODES: readonly FaultMode[] = ['refuse', 'lose', 'crash', 'delay'];

function validate(faults: Fault[]): Fault[] {
  const seen = new Set<string>();
  for (const fault of faults) {
    if (!MODES.includes(fault.mode)) throw new TypeError(`unknown fault mode ${JSON.stringify(fault.mode)}`);
    if (!Number.isInteger(fault.occurrence) || fault.occurrence < 1) {
      throw new TypeError(`fault occurrence must be a positive integer, got ${fault.occurrence} for ${fault.route}`);
    }
    if (fault.mode === 'delay' && !(typeof fault.delayMs === 'number' && fault.delayMs >= 0)) {
      throw new TypeError(`a delay fault needs delayMs (${fault.route} #${fault.occurrence})`);
    }
    // Two faults on one request would make the outcome depend on list order: a test bug, so say so.
    const key = `${fault.route}\n${fault.occurrence}`;
    if (seen.has(key)) throw new TypeError(`two faults on ${fault.route} #${fault.occurrence}`);
    seen.add(key);
  }
  return faults.map((f) => ({ ...f }));
}

export class FaultPlan {
  /** Every request, in arrival order; set() empties it in place, so a reference to it stays live. */
  readonly log: ProxiedRequest[] = [];
  private faults: Fault[];
  private readonly counts = new Map<string, number>();
  private firedFaults: Fault[] = [];
  private crashedAt: number | undefined;
  private epoch = 0;

  constructor(faults: Fault[] = []) {
    this.faults = validate(faults);
  }

  /** Replaces the faults and resets occurrence counters, the crash state and the log. */
  set(faults: Fault[]): void {
    this.faults = validate(faults);
    this.counts.clear();
    this.firedFaults = [];
    this.crashedAt = undefined;
    this.log.length = 0;
    this.epoch++;
  }

  /** True once a `crash` fault fired (until the next set()). */
  get crashed(): boolean {
    return this.crashedAt !== undefined;
  }

  /** The faults that triggered, in the order they did; a fault missing here named a request that never came. */
  fired(): Fault[] {
    return this.firedFaults.map((f) => ({ ...f }));
  }

  /** Faults that have not triggered (yet). */
  pending(): Fault[] {
    return this.faults.filter((f) => !this.firedFaults.includes(f)).map((f) => ({ ...f }));
  }

  /** For proxies: counts the request's occurrence of its route, logs it, and decides its fate. */
  arrive(proxy: string, route: string): Arrival {
    const occurrence = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, occurrence);
    const entry: ProxiedRequest = { seq: this.log.length + 1, proxy, route, occurrence, outcome: 'passed' };
    this.log.push(entry);
    const arrival = (action: Arrival['action'], outcome: Outcome, delayMs = 0): Arrival => {
      entry.outcome = outcome;
      return { entry, action, delayMs, epoch: this.epoch };
    };
    // After a crash nothing reaches a server any more, whatever else the plan says about this request.
    if (this.crashed) return arrival('refuse', 'refused');
    const fault = this.faults.find((f) => f.route === route && f.occurrence === occurrence);
    if (!fault) return arrival('pass', 'passed');
    this.firedFaults.push(fault);
    switch (fault.mode) {
      case 'refuse':
        return arrival('refuse', 'refused');
      case 'lose':
        return arrival('lose', 'lost');
      case 'crash':
        this.crashedAt = entry.seq;
        return arrival('crash', 'crashed');
      case 'delay':
        return arrival('delay', 'delayed', fault.delayMs ?? 0);
    }
  }

  /**
   * For proxies: true when the runner "died" after this request arrived (and no set() started a new plan since),
   * so it must not be sent on, or its answer must not be delivered.
   */
  diedSince(arrival: Arrival): boolean {
    return arrival.epoch === this.epoch && this.crashedAt !== undefined && this.crashedAt > arrival.entry.seq;
  }
}
