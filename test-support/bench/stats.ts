// Small numbers helpers for the bench: min/median/max of repeated runs, and a description of the machine they ran on.
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number;
}

/** Min, median (mean of the middle two for an even count) and max; throws on no values, so a missing figure is never 0. */
export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error('no measurements');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)!, runs: sorted.length };
}

export function median(values: number[]): number {
  return spread(values).median;
}

/** `min / median / max` with `digits` decimals. */
export function formatSpread(s: Spread, digits: number): string {
  return `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
}

export interface Machine {
  cores: number;
  cpu: string;
  ramGiB: number;
  freeGiB: number;
  node: string;
  /** 1, 5 and 15-minute load averages. */
  load: [number, number, number];
}

export function machine(): Machine {
  const list = cpus();
  const [one, five, fifteen] = loadavg() as [number, number, number];
  return { cores: list.length, cpu: list[0]?.model.trim() ?? 'unknown', ramGiB: totalmem() / 2 ** 30, freeGiB: freemem() / 2 ** 30,
    node: process.version, load: [one, five, fifteen] };
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.ramGiB.toFixed(1)} GiB RAM (${m.freeGiB.toFixed(1)} GiB free), Node ${m.node}, `
    + `load average ${m.load.map((l) => l.toFixed(2)).join(' ')}`;
}
