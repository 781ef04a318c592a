// Given a rollback racing a publish of the same version, then every invariant still holds and nothing is republished behind the trustee's back.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { assertInvariants } from '../../test-support/invariants.js';
import { gate } from '../../test-support/gate.js';
import { runAttempt } from '../../test-support/matrix.js';
import { FaultPlan, s3Route, startFaultProxy } from '../../test-support/faults/index.js';
import { registryFile } from '../../test-support/observe.js';
import { REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type World } from '../../test-support/world.js';

const TRUSTEE = { id: 7001, login: 'tess' };
const inputs = { 'trustee-ids': String(TRUSTEE.id) };
const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0' };

let world: World;
beforeEach(async () => { world = await startWorld({ buckets: ['race-one', 'race-two'] }); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
  await world.close();
});

const metadata = async () => JSON.parse((await registryFile(world, 'metadata/le/ft/left-pad.json'))!);

describe('a rollback racing a publish', () => {
  it('/rollback while a retry of the same version is promoting: the retry\'s copy is removed again, the version stays rolled back', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    // The first attempt commits and dies before promoting.
    const first = await runAttempt(world, event, [{ route: 'PUT s3:CopyObject backend1/final', occurrence: 1, mode: 'crash' }], inputs);
    expect(first.status).toBe('threw');

    // The retry resumes and is held right before it promotes: at its first look at a final key, through a proxy.
    const promoting = gate();
    const storage = await startFaultProxy({ name: 's3', target: world.s3.endpoint, plan: new FaultPlan(), classify: s3Route,
      before: (route) => (route.includes('/final') ? promoting.hold() : undefined) });
    const backends = JSON.stringify(world.buckets.map((bucket, i) => ({
      name: `b${i}`, endpoint: storage.url, region: world.s3.region, bucket,
      credentials: { accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY' },
    })));
    const retry = runAction(world, commentOn(world, issue, '/retry'), { inputs: { ...inputs, backends } });
    await promoting.arrived;
    const rollback = await runAction(world, commentOn(world, issue, '/rollback broken', TRUSTEE), { inputs });
    expect(rollback.outputs.status).toBe('rolled-back');
    promoting.open();
    const retried = await retry;
    await storage.close();

    // Rule 6: the retry promoted (its own bytes: the rollback had removed staging), re-read, saw the rollback, removed its copy.
    expect(retried.outputs.status).toBe('refused');
    expect(retried.stdout).toContain('was rolled back by a trustee while it was being promoted');
    expect((await metadata()).published).toEqual({});
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'absent' }] });
  });

  it('a republish with other content while the rollback\'s deletes are pending is refused ("rollback in progress"), and succeeds once it is cleaned', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    expect((await runAction(world, event, { inputs })).outputs.status).toBe('published');

    // Hold the rollback after its removal commit, before its deletes: the next registry snapshot after that commit.
    let removed = false;
    const deleting = gate();
    world.github.onRequest({ method: 'POST', route: 'graphql:createCommitOnBranch' }, () => { removed = true; }, { times: 1 });
    world.github.onRequest({ method: 'POST', route: 'graphql:repository' }, async () => {
      if (removed) { removed = false; await deleting.hold(); }
    });
    const rollback = runAction(world, commentOn(world, issue, '/rollback wrong files', TRUSTEE), { inputs });
    await deleting.arrived;

    const fixed = { ...pkg, tag: 'v1.2.0-fixed', files: { 'FIXED.md': 'fixed\n' } };
    await seedPackage(world, fixed);
    const early = await runAction(world, commentOn(world, issue, requestBody(fixed)), { inputs });
    expect(early.outputs.status).toBe('refused');
    expect(world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.at(-1)!.body).toContain('rollback is still in progress');

    deleting.open();
    expect((await rollback).outputs.status).toBe('rolled-back');
    const again = await runAction(world, commentOn(world, issue, '/retry'), { inputs });
    expect(again.outputs.status).toBe('published');
    expect((await metadata()).published['1.2.0'].ref).toBe('v1.2.0-fixed');
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});
