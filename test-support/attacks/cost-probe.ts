// A child process that times every parser a stranger's text reaches on pathological inputs, one JSON line per (shape, parser): run by cost.ts, which kills it if a parser never answers.
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SHAPES, type Parser } from './cost-shapes.js';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

async function load(path: string): Promise<Record<string, unknown>> {
  const file = resolve(SRC, path);
  if (!existsSync(file)) return {};
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

type Fn = (...args: never[]) => unknown;
const fn = (module: Record<string, unknown>, name: string): Fn | undefined => (typeof module[name] === 'function' ? (module[name] as Fn) : undefined);

/** Every parser of a stranger's text that exists in src/ right now (names move while src/ is being reworked). */
async function parsers(): Promise<Parser[]> {
  const intakeModule = await load('commands/intake.ts');
  const request = await load('core/request.ts');
  const log = await load('log.ts');
  const render = await load('report/render.ts');
  const paths = await load('core/archive-paths.ts');
  const markers = await load('core/markers.ts');
  const manifest = await load('core/manifest.ts');
  const inertModule = await load('core/inert.ts');
  const found: Parser[] = [];
  // A parser that is not where it should be is a failure, not a silent omission: the verdict must cover every one.
  const add = (name: string, run: ((text: string) => unknown) | undefined) => {
    if (!run) throw new Error(`cost probe: the parser ${name} is not exported where the probe looks; update test-support/attacks/cost-probe.ts`);
    found.push({ name, run });
  };
  const comment = (body: string) => ({ action: 'created', issue: { number: 1, title: 't', body: 'b', user: { id: 1, login: 'ada', type: 'User' } },
    comment: { id: 2, body, user: { id: 3, login: 'eve', type: 'User' }, created_at: '2020-01-01T00:00:00Z' } });
  const intake = fn(intakeModule, 'intake') as ((name: string, payload: unknown) => unknown) | undefined;
  if (intake) {
    add('intake', (t) => intake('issue_comment', comment(t)));
    add('intake(/rollback …)', (t) => intake('issue_comment', comment(`/rollback ${t}`)));
    add('intake(issue)', (t) => intake('issues', { action: 'opened', issue: { number: 1, title: 't', body: t, user: { id: 1, login: 'ada', type: 'User' } } }));
  }
  add('slashCommand', fn(intakeModule, 'slashCommand') as ((t: string) => unknown) | undefined);
  add('holdsRequest', fn(intakeModule, 'holdsRequest') as ((t: string) => unknown) | undefined);
  add('parsePublishRequest', fn(request, 'parsePublishRequest') as ((t: string) => unknown) | undefined);
  add('neutralise', fn(log, 'neutralise') as ((t: string) => unknown) | undefined);
  add('parseRollback', fn(intakeModule, 'parseRollback') as ((t: string) => unknown) | undefined);
  add('packageFromMarker', fn(markers, 'packageFromMarker') as ((t: string) => unknown) | undefined);
  add('redact', fn(render, 'redact') as ((t: string) => unknown) | undefined);
  add('quotePath', fn(paths, 'quotePath') as ((t: string) => unknown) | undefined);
  add('checkManifest', fn(manifest, 'checkManifest') ? (t) => (fn(manifest, 'checkManifest') as (b: Uint8Array, e: unknown) => unknown)(new TextEncoder().encode(JSON.stringify({ name: 'x', version: '1.0.0', license: t })), { name: 'x', version: '1.0.0', manifestFile: 'package.json' }) : undefined);
  add('inert', (fn(render, 'inert') ?? fn(inertModule, 'inert')) as ((t: string) => unknown) | undefined);
  add('message', fn(render, 'message') as ((t: string) => unknown) | undefined);
  const outside = fn(render, 'outsideCodeSpans') as ((t: string, change: (p: string) => string) => unknown) | undefined;
  if (outside) add('outsideCodeSpans', (t) => outside(t, (prose) => prose));
  const pathProblems = fn(paths, 'pathProblems') as ((p: string, l?: unknown) => unknown) | undefined;
  const collisionProblems = fn(paths, 'collisionProblems') as ((p: string[]) => unknown) | undefined;
  if (pathProblems) add('archive-paths', (t) => [pathProblems(t, { pathLength: 255, pathDepth: 32 }), collisionProblems?.([t, t.toUpperCase(), t.normalize('NFD')])]);
  // The harness's own check that a parser which never answers is killed and reported (never set by the catalogue).
  if (process.env.ATTACK_PROBE_SELF_TEST === '1') add('self-test: exponential regex', (t) => /^(a|a)*$/.test(`${'a'.repeat(Math.min(t.length, 40))}b`));
  return found;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const RUNS = 5;
const SIZES = [64 * 1024, 15 * 1024];

const wanted = process.argv.slice(2);
const all = await parsers();
process.stdout.write(`${JSON.stringify({ parsers: all.map((p) => p.name) })}\n`);
for (const shape of SHAPES.filter((s) => wanted.includes(s.name))) {
  for (const parser of all) {
    process.stdout.write(`${JSON.stringify({ start: [shape.name, parser.name] })}\n`);
    let worst = 0;
    let worstSize = 0;
    for (const size of SIZES) {
      const input = shape.make(size);
      parser.run(input); // warm-up
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = process.hrtime.bigint();
        parser.run(input);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      const m = median(times);
      if (m >= worst) {
        worst = m;
        worstSize = input.length;
      }
    }
    process.stdout.write(`${JSON.stringify({ shape: shape.name, parser: parser.name, ms: worst, chars: worstSize })}\n`);
  }
}
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
