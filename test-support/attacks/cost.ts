// Times every parser on every pathological shape in a child process (so a parser that never answers is killed, not waited for), median of five runs each.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PROBE = resolve(import.meta.dirname, 'cost-probe.ts');

export interface CostResult {
  shape: string;
  parser: string;
  /** Median milliseconds of the worse of the two sizes; undefined when the parser did not answer in time. */
  ms: number | undefined;
  chars?: number;
}

export interface CostReport {
  parsers: string[];
  results: CostResult[];
}

/**
 * Runs the probe over `shapes`; a (shape, parser) pair that gives no answer within `timeoutMs` is recorded as timed out,
 * the probe is killed and restarted for what is left.
 */
export async function measureCosts(shapes: string[], timeoutMs = 15_000): Promise<CostReport> {
  const results: CostResult[] = [];
  let parsers: string[] = [];
  let pending = [...shapes];
  while (pending.length > 0) {
    const outcome = await probe(pending, timeoutMs);
    parsers = outcome.parsers.length > 0 ? outcome.parsers : parsers;
    results.push(...outcome.results);
    if (outcome.stuck) {
      results.push({ shape: outcome.stuck[0], parser: outcome.stuck[1], ms: undefined });
      // The shape that hung keeps its other parsers untimed: restart after it.
      const after = parsers.slice(parsers.indexOf(outcome.stuck[1]) + 1);
      for (const parser of after) results.push({ shape: outcome.stuck[0], parser, ms: undefined });
      pending = pending.slice(pending.indexOf(outcome.stuck[0]) + 1);
    } else if (outcome.crashed) {
      throw new Error(`the cost probe stopped: ${outcome.crashed}`);
    } else pending = [];
  }
  return { parsers, results };
}

function probe(shapes: string[], timeoutMs: number): Promise<{ parsers: string[]; results: CostResult[]; stuck?: [string, string]; crashed?: string }> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', PROBE, ...shapes], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const results: CostResult[] = [];
    let parsers: string[] = [];
    let current: [string, string] | undefined;
    let stderr = '';
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (finished) return;
        finished = true;
        child.kill('SIGKILL');
        done({ parsers, results, stuck: current ?? [shapes[0] ?? '?', parsers[0] ?? '?'] });
      }, timeoutMs);
    };
    arm();
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      arm();
      let message: { parsers?: string[]; start?: [string, string]; shape?: string; parser?: string; ms?: number; chars?: number; done?: true };
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.parsers) parsers = message.parsers;
      if (message.start) current = message.start;
      if (message.shape && message.parser) results.push({ shape: message.shape, parser: message.parser, ms: message.ms, chars: message.chars });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (finished) return;
      finished = true;
      done(code === 0 ? { parsers, results } : { parsers, results, crashed: `exit ${code}: ${stderr.slice(-2000)}` });
    });
  });
}
