// Given one registry, when several runs of the built action race each other, then every invariant still holds.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { gate } from '../../test-support/gate.js';
import { assertInvariants, keptVersions } from '../../test-support/invariants.js';
import { registryFile } from '../../test-support/observe.js';
import { REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

let world: World;
beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
const lastStatus = (issue: number) => thread(issue).comments.filter((c) => c.user.type === 'Bot').at(-1)?.body ?? '';
const metadataOf = async (name: string) => JSON.parse((await registryFile(world, `metadata/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}.json`))!);

describe('concurrent publishes', () => {
  it('of 10 different packages all land in the registry: no lost updates', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const packages: PackageSource[] = Array.from({ length: 10 }, (_, i) => ({
      owner: `racer${i}`, repo: `lib${i}`, id: 9100 + i, name: `racer-lib-${i}`, version: '0.1.0' }));
    for (const pkg of packages) await seedPackage(world, pkg);
    const issues = packages.map((pkg) => openIssue(world, requestBody(pkg)));

    const runs = await Promise.all(issues.map(({ event }) => runAction(world, event)));
    expect(runs.map((r) => r.outputs.status)).toEqual(packages.map(() => 'published'));
    for (const pkg of packages) expect(Object.keys((await metadataOf(pkg.name)).published)).toEqual(['0.1.0']);
    await assertInvariants(world, { expect: [...kept, ...packages.map((pkg, i) => ({ name: pkg.name, version: pkg.version, issue: issues[i]!.issue, outcome: 'published' as const }))] });
  });

  it('of one name@version with 5 different contents: exactly one wins, the others are refused and leave no staging object', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const base = { owner: 'contest', repo: 'contested', id: 9200, name: 'contested', version: '1.0.0' };
    const variants: PackageSource[] = [];
    for (let i = 1; i <= 5; i++) {
      const pkg = { ...base, tag: `candidate-${i}`, files: { 'variant.txt': `variant ${i}\n` } };
      await seedPackage(world, pkg);
      variants.push(pkg);
    }
    const issues = variants.map((pkg) => openIssue(world, requestBody(pkg)));

    const runs = await Promise.all(issues.map(({ event }) => runAction(world, event)));
    const statuses = runs.map((r) => r.outputs.status);
    expect(statuses.filter((s) => s === 'published')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'refused')).toHaveLength(4);
    const winner = issues[statuses.indexOf('published')]!.issue;
    expect((await metadataOf('contested')).published['1.0.0'].issue).toBe(winner);
    for (const [i, { issue }] of issues.entries()) {
      if (statuses[i] === 'refused') expect(lastStatus(issue)).toContain(`already published (issue #${winner})`);
    }
    expect((await world.s3.listRaw(world.buckets[0]!)).filter((o) => o.key.startsWith('staging/contested/'))).toEqual([]);
    await assertInvariants(world, { expect: [...kept, { name: 'contested', version: '1.0.0', issue: winner, outcome: 'published' }] });
  });

  it('of one version with identical content from two issues: one publishes, the other is told "already published", the winner keeps its staging', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const pkg = { owner: 'twins', repo: 'twin', id: 9300, name: 'twin-lib', version: '3.0.0' };
    await seedPackage(world, pkg);
    const issues = [openIssue(world, requestBody(pkg)), openIssue(world, requestBody(pkg))];

    const runs = await Promise.all(issues.map(({ event }) => runAction(world, event)));
    const statuses = runs.map((r) => r.outputs.status).sort();
    expect(statuses).toEqual(['published', 'refused']);
    const winner = issues[runs.findIndex((r) => r.outputs.status === 'published')]!.issue;
    const loser = issues.find((i) => i.issue !== winner)!.issue;
    expect(lastStatus(loser)).toContain(`already published (issue #${winner})`);
    await assertInvariants(world, { expect: [...kept, { name: pkg.name, version: pkg.version, issue: winner, outcome: 'published' }] });
  });

  it('a /retry started while the first attempt is still running: both finish, one commit, every invariant', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const pkg = { owner: 'slow', repo: 'poke', id: 9400, name: 'slowpoke', version: '0.0.1' };
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    // Hold the first attempt at its commit until the retry has run to the end.
    const atCommit = gate();
    world.github.onRequest({ method: 'POST', route: 'graphql:createCommitOnBranch' }, atCommit.hold, { times: 1 });

    const first = runAction(world, event);
    await atCommit.arrived;
    const retry = await runAction(world, commentOn(world, issue, '/retry'));
    atCommit.open();
    const firstRun = await first;

    expect(retry.outputs.status).toBe('published');
    expect(firstRun.outputs.status).toBe('published');
    expect(firstRun.stdout).toContain('resuming at promote');
    await assertInvariants(world, { expect: [...kept, { name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});
