// Given the built action (dist/index.js) started as a runner or a person would, when its event file is missing or wrong, then it says so plainly and changes nothing; the scheduled modes need no event at all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshot } from '../../test-support/observe.js';
import { openIssue, requestBody, runAction, seedPackage, startWorld, type ActionRun, type World } from '../../test-support/world.js';

let world: World;
let dir: string;
beforeAll(async () => {
  world = await startWorld();
  dir = await mkdtemp(join(tmpdir(), 'registrar-entry-'));
});
afterAll(async () => {
  world.github.assertClean();
  await world?.close();
});

/** The failure line the runner shows (`core.setFailed`), and proof that no stack trace reached the log. */
function failure(run: ActionRun): string {
  expect(run.code).not.toBe(0);
  expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
  const line = run.stdout.split('\n').find((l) => l.startsWith('::error::'));
  expect(line).toBeDefined();
  return line!;
}

describe('the event file', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['missing', async () => join(dir, 'no-such-event.json'), /no-such-event\.json\\?", which does not exist\./],
    ['a directory', async () => { const d = join(dir, 'a-directory'); await mkdir(d, { recursive: true }); return d; }, /which is a directory, not an event payload file/],
    ['empty', async () => { const f = join(dir, 'empty.json'); await writeFile(f, ''); return f; }, /which is empty\./],
    ['not JSON', async () => { const f = join(dir, 'broken.json'); await writeFile(f, '{"action": "opened",'); return f; }, /which is not JSON \(/],
    ['JSON but no payload', async () => { const f = join(dir, 'list.json'); await writeFile(f, '[1, 2]'); return f; }, /holds JSON but no event payload/],
  ];

  it.each(cases)('%s: a clear error naming the path and what to do, nothing written', async (_what, make, said) => {
    await seedPackage(world, { owner: 'entry', repo: `lib-${_what.replace(/\W/g, '')}`, name: `entry-${_what.replace(/\W/g, '')}`, version: '1.0.0' });
    const before = await snapshot(world);
    const path = await make();
    const run = await runAction(world, { name: 'issues', payload: {} }, { env: { GITHUB_EVENT_PATH: path } });
    const line = failure(run);
    expect(line).toContain('GITHUB_EVENT_PATH points to');
    expect(line).toMatch(said);
    expect(line).toContain('set GITHUB_EVENT_PATH to an event payload file');
    expect(await snapshot(world)).toEqual(before);
  });

  it('not set at all in event mode: names the variable and says how to run Registrar', async () => {
    const run = await runAction(world, { name: 'issues', payload: {} }, { without: ['GITHUB_EVENT_PATH'] });
    expect(failure(run)).toContain('The GITHUB_EVENT_PATH environment variable is not set.');
  });

  it('a good one still publishes (the entry is the action\'s run())', async () => {
    const pkg = { owner: 'entry', repo: 'good', name: 'entry-good', version: '1.0.0' };
    await seedPackage(world, pkg);
    const { event } = openIssue(world, requestBody(pkg));
    const run = await runAction(world, event);
    expect(run.outputs.status).toBe('published');
    expect(run.code).toBe(0);
  });
});

describe('the scheduled modes', () => {
  it.each(['reconcile', 'audit'])('%s runs with no event file and no event name at all', async (mode) => {
    const inputs: Record<string, string> = { mode, ...(mode === 'audit' ? { 'registry-path': world.registryPath } : {}) };
    const run = await runAction(world, { name: 'workflow_dispatch', payload: {} }, { inputs, without: ['GITHUB_EVENT_PATH', 'GITHUB_EVENT_NAME'] });
    expect(run.stdout).not.toContain('::error::');
    expect(run.outputs.status).toBe('clean');
    expect(run.code).toBe(0);
  });
});
