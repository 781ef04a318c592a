// Given a registry with things only a person can fix, when the scheduled reconcile runs again and again, then one repair issue opens, follows what is left, and closes when nothing is.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { codeSpanSegments } from '../../src/report/render.js';
import { runActionWithFaults } from '../../test-support/matrix.js';
import { REGISTRY, runAction, startWorld, type World } from '../../test-support/world.js';

const LABEL = 'registrar/repair';
const MARKER = '<!-- registrar:repair -->';
const schedule = { name: 'schedule', payload: { schedule: '17 3 * * *' } };
const reconcile = { inputs: { mode: 'reconcile' } };
/** A metadata file a person broke, holding text a stranger could have put there. */
const HOSTILE = '@everyone <img src=x onerror=alert(1)> [click](https://evil.example) owner/repo#1';
const BROKEN_PATH = 'metadata/ev/il/evil-pkg.json';

let world: World;
beforeEach(async () => { world = await startWorld({ buckets: ['repair-issue'] }); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
  await world.close();
});

/** Every issue of the registry repository carrying the repair label, as the emulator holds them. */
function labelled() {
  const found = [];
  for (let n = 1; ; n++) {
    try {
      const issue = world.github.issue(REGISTRY.owner, REGISTRY.repo, n);
      if (issue.labels.includes(LABEL)) found.push(issue);
    } catch {
      return found;
    }
  }
}
const botIssues = () => labelled().filter((i) => i.user.type === 'Bot');
/** The prose of a markdown text: what is outside code spans, where GitHub would make links, mentions and HTML live. */
const prose = (markdown: string) => codeSpanSegments(markdown).filter((s) => !s.code).map((s) => s.text).join('');

async function breakMetadata(): Promise<void> {
  await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main',
    files: { [BROKEN_PATH]: JSON.stringify({ name: HOSTILE, published: {}, rolledBack: [] }) }, message: 'A hand edit gone wrong' });
}

describe('the repair issue', () => {
  it('opens on the first run, is rewritten (never doubled) while items remain, and closes once a run finds nothing', async () => {
    // A look-alike opened by a person, with the label and the marker pasted in: never Registrar's issue.
    const decoy = world.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title: 'Registrar reconcile: 1 registry item needs a person',
      body: `${MARKER}\nnot from the bot`, user: 'mallory' });
    decoy.labels.push(LABEL);
    const bucket = world.buckets[0]!;
    await world.s3.putRaw(bucket, 'ghost/6.6.6.tar.gz', Buffer.from('planted'));
    await breakMetadata();

    const first = await runAction(world, schedule, reconcile);
    expect(first.outputs.status).toBe('needs-human');
    expect(first.code).not.toBe(0);
    const [opened, ...more] = botIssues();
    expect(more).toEqual([]);
    expect(opened!.number).not.toBe(decoy.number);
    expect(opened!.state).toBe('open');
    expect(opened!.body!.startsWith(MARKER)).toBe(true);
    expect(opened!.title).toBe('Registrar reconcile: 2 registry items need a person');
    expect(first.stdout).toContain(`issue #${opened!.number}`);
    const body1 = opened!.body!;
    expect(body1).toContain('`ghost/6.6.6.tar.gz`');
    expect(body1).toContain(BROKEN_PATH);
    // Each item says how to fix it.
    expect(body1.match(/- \*\*Fix:\*\*/g)).toHaveLength(2);
    // What a stranger wrote reaches the issue only inside code spans.
    expect(body1).toContain('@everyone');
    for (const live of ['@everyone', '<img', 'evil.example', 'owner/repo#1']) expect(prose(body1)).not.toContain(live);
    expect(decoy.body).toBe(`${MARKER}\nnot from the bot`);

    await world.s3.putRaw(bucket, 'ghost/6.6.7.tar.gz', Buffer.from('planted too'));
    const second = await runAction(world, schedule, reconcile);
    expect(second.outputs.status).toBe('needs-human');
    expect(botIssues().map((i) => i.number)).toEqual([opened!.number]);
    expect(opened!.title).toBe('Registrar reconcile: 3 registry items need a person');
    expect(opened!.body).toContain('`ghost/6.6.7.tar.gz`');
    expect(opened!.comments).toEqual([]);

    // A person repairs everything the issue lists.
    await world.s3.deleteRaw(bucket, 'ghost/6.6.6.tar.gz');
    await world.s3.deleteRaw(bucket, 'ghost/6.6.7.tar.gz');
    await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', files: { [BROKEN_PATH]: null }, message: 'Remove the broken file' });
    const third = await runAction(world, schedule, reconcile);
    expect(third.code).toBe(0);
    expect(third.outputs.status).toBe('clean');
    expect(opened!.state).toBe('closed');
    expect(opened!.state_reason).toBe('completed');
    expect(opened!.comments.map((c) => c.user.type)).toEqual(['Bot']);
    expect(opened!.comments[0]!.body).toContain('Nothing needs a person any more');
    expect(decoy.state).toBe('open');

    // Clean again: nothing to close, nothing written.
    const fourth = await runAction(world, schedule, reconcile);
    expect(fourth.code).toBe(0);
    expect(opened!.comments).toHaveLength(1);
    expect(botIssues()).toHaveLength(1);
  });

  it('keeps the oldest when two runs raced to open one, and closes the other', async () => {
    const bot = world.github.botUser;
    const older = world.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title: 'x', body: `${MARKER}\nold`, user: bot });
    const newer = world.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title: 'x', body: `${MARKER}\nnew`, user: bot });
    older.labels.push(LABEL);
    newer.labels.push(LABEL);
    await world.s3.putRaw(world.buckets[0]!, 'ghost/2.0.0.tar.gz', Buffer.from('planted'));
    await runAction(world, schedule, reconcile);
    expect(older.state).toBe('open');
    expect(older.body).toContain('`ghost/2.0.0.tar.gz`');
    expect(newer.state).toBe('closed');
    expect(newer.body).toContain(`A duplicate of #${older.number}`);
    expect(botIssues().filter((i) => i.state === 'open')).toEqual([older]);
  });

  it('creates its label when the repository does not have it yet', async () => {
    await world.s3.putRaw(world.buckets[0]!, 'ghost/1.0.0.tar.gz', Buffer.from('planted'));
    await runAction(world, schedule, reconcile);
    const created = world.github.requests.filter((r) => r.operation === 'issues/create-label');
    expect(created.map((r) => r.status)).toEqual([201]);
    expect(botIssues()[0]!.labels).toEqual([LABEL]);
  });

  it('fails the job loudly when the issue cannot be written, after the summary is written', async () => {
    await world.s3.putRaw(world.buckets[0]!, 'ghost/6.6.6.tar.gz', Buffer.from('planted'));
    const { run } = await runActionWithFaults(world, schedule,
      [{ route: 'POST /repos/{owner}/{repo}/issues', occurrence: 1, mode: 'exhausted' }], reconcile.inputs);
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('needs-human');
    expect(run.stdout).toContain('### Registrar reconcile');
    expect(run.stdout).toMatch(/::error::Could not open or update the repair issue on registry\/registry/);
    expect(botIssues()).toEqual([]);
  });

  it('fails a clean run too when the open repair issue cannot be closed', async () => {
    await world.s3.putRaw(world.buckets[0]!, 'ghost/6.6.6.tar.gz', Buffer.from('planted'));
    await runAction(world, schedule, reconcile);
    await world.s3.deleteRaw(world.buckets[0]!, 'ghost/6.6.6.tar.gz');
    const { run } = await runActionWithFaults(world, schedule,
      [{ route: 'GET /repos/{owner}/{repo}/issues', occurrence: 1, mode: 'exhausted' }], reconcile.inputs);
    expect(run.outputs.status).toBe('clean');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/::error::Could not close the repair issue/);
    expect(botIssues()[0]!.state).toBe('open');
  });
});
