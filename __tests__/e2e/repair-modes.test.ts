// Given what crashed runs leave, when the scheduled jobs run (the built action in reconcile and audit mode, or the CLI mid-publish), then they repair it without touching live work.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runCli } from '../../src/cli.js';
import { gate } from '../../test-support/gate.js';
import { assertInvariants } from '../../test-support/invariants.js';
import { FaultPlan } from '../../test-support/faults/index.js';
import { runAttempt, startProxies } from '../../test-support/matrix.js';
import { openIssue, requestBody, runAction, seedPackage, startWorld, type World } from '../../test-support/world.js';

const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0', subdir: 'pkg' };
const FINAL = 'left-pad/1.2.0.tar.gz';
const schedule = { name: 'schedule', payload: { schedule: '17 3 * * *' } };

let world: World;
beforeEach(async () => { world = await startWorld({ buckets: ['repair-one', 'repair-two'] }); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
  await world.close();
});

const finals = async () => Promise.all(world.buckets.map(async (b) => (await world.s3.listRaw(b)).filter((o) => o.key === FINAL).length));
const staging = async () => (await Promise.all(world.buckets.map((b) => world.s3.listRaw(b, 'staging/')))).flat();

describe('the action in reconcile mode', () => {
  it('promotes a version a crashed run committed but never promoted, then audit mode finds the registry clean', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    // The commit lands but its answer is lost, and the runner dies before its re-read can tell it so: committed, never promoted.
    const crashed = await runAttempt(world, event, [
      { route: 'POST graphql:createCommitOnBranch', occurrence: 1, mode: 'lose' },
      { route: 'POST graphql:repository', occurrence: 2, mode: 'crash' },
    ]);
    expect(crashed.status).toBe('threw');
    expect(await finals()).toEqual([0, 0]);

    const reconciled = await runAction(world, schedule, { inputs: { mode: 'reconcile', 'grace-minutes': '0.0001' } });
    expect(reconciled.code).toBe(0);
    expect(reconciled.outputs.status).toBe('clean');
    expect(reconciled.stdout).toContain('promoted');
    expect(await finals()).toEqual([1, 1]);
    expect(await staging()).toEqual([]);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });

    const audited = await runAction(world, schedule, { inputs: { mode: 'audit', 'registry-path': world.registryPath } });
    expect(audited.outputs.status).toBe('clean');
    expect(audited.code).toBe(0);
  });

  it('audit mode fails the job on a final object planted without metadata, and reconcile reports it without deleting it', async () => {
    await world.s3.putRaw(world.buckets[1]!, 'planted/6.6.6.tar.gz', Buffer.from('not from registrar'));

    const audited = await runAction(world, schedule, { inputs: { mode: 'audit', 'registry-path': world.registryPath } });
    expect(audited.outputs.status).toBe('violations');
    expect(audited.code).not.toBe(0);
    expect(audited.stdout).toContain('planted/6.6.6.tar.gz');

    const reconciled = await runAction(world, schedule, { inputs: { mode: 'reconcile' } });
    expect(reconciled.outputs.status).toBe('needs-human');
    expect((await world.s3.listRaw(world.buckets[1]!)).map((o) => o.key)).toEqual(['planted/6.6.6.tar.gz']);
  });
});

describe('reconcile running in the middle of a publish', () => {
  async function reconcileNow(): Promise<{ code: number; out: string }> {
    let out = '';
    const backends = JSON.stringify(world.buckets.map((bucket, i) => ({ name: i === 0 ? 'primary' : `mirror-${i}`, endpoint: world.s3.endpoint,
      bucket, credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' } })));
    const code = await runCli(['reconcile', '--registry-repository', 'registry/registry', '--api-url', world.github.url, '--backends', backends, '--api-pace-ms', '1'],
      { GITHUB_TOKEN: 't', S3_ACCESS_KEY_ID: world.s3.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: world.s3.credentials.secretAccessKey },
      { out: (t) => { out += t; }, err: (t) => { out += t; } });
    return { code, out };
  }

  // Where the publish is held: at its commit request (before the emulator applies it), or, with that commit's answer
  // lost, at the re-read that recognises it (after the commit, before promote: nothing else lies between them).
  it.each([
    ['between stage and commit (the fresh staging object must stay)', false],
    ['between commit and promote (the committed version must be left to its run)', true],
  ])('%s', async (_when, loseCommitAnswer) => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const held = gate();
    let reads = 0;
    if (loseCommitAnswer) {
      // The first read is the plan's snapshot; the second, the one after the lost answer.
      world.github.onRequest({ method: 'POST', route: 'graphql:repository' }, async () => { if (++reads === 2) await held.hold(); });
    } else {
      world.github.onRequest({ method: 'POST', route: 'graphql:createCommitOnBranch' }, held.hold, { times: 1 });
    }
    const plan = new FaultPlan(loseCommitAnswer ? [{ route: 'POST graphql:createCommitOnBranch', occurrence: 1, mode: 'lose' }] : []);
    const [github, s3] = await startProxies(world, plan);

    const publishing = runAction(world, event, { via: { github: github.url, s3: s3.url } });
    await held.arrived;
    const stagedBefore = await staging();
    expect(stagedBefore).toHaveLength(2);
    const repair = await reconcileNow();
    expect(repair.code).toBe(0);
    expect(await staging()).toEqual(stagedBefore);
    expect(await finals()).toEqual([0, 0]);
    held.open();

    expect((await publishing).outputs.status).toBe('published');
    await github.close();
    await s3.close();
    expect(await finals()).toEqual([1, 1]);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});
