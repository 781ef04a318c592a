// Named stories, on the built action, for the answers real services give besides the right one: a lagging replica, a rate limit after promote, an error inside HTTP 200, metadata past GitHub's 1 MB contents limit.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubRegistry } from '../../src/adapters/github/registry.js';
import { runActionWithFaults } from '../../test-support/matrix.js';
import type { Fault } from '../../test-support/faults/index.js';
import { FaultPlan, githubRoute, startFaultProxy } from '../../test-support/faults/index.js';
import { assertInvariants } from '../../test-support/invariants.js';
import { registryCommits, registryFile } from '../../test-support/observe.js';
import { REGISTRY, commentOn, openIssue, requestBody, seedPackage, startWorld, type World } from '../../test-support/world.js';

const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0' };
const METADATA = 'metadata/le/ft/left-pad.json';
const SNAPSHOT = 'POST graphql:repository';
const TRUSTEE = { id: 7001, login: 'tess' };

let world: World;
beforeEach(async () => { world = await startWorld(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
  await world.close();
});

async function metadata(): Promise<{ published: Record<string, { sha256: string; issue: number }>; rolledBack: { version: string; cleaned: boolean }[] }> {
  const text = await registryFile(world, METADATA);
  if (text === undefined) throw new Error(`${METADATA} does not exist`);
  return JSON.parse(text);
}
const lastStatus = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments
  .filter((c) => c.user.type === 'Bot').at(-1)?.body ?? '';

/** dist/index.js behind fault proxies: the status it reported, its log, what fired, and every request it made. */
async function attempt(event: { name: string; payload: unknown }, faults: Fault[], inputs: Record<string, string> = {}) {
  const { run, fired, requests } = await runActionWithFaults(world, event, faults, inputs);
  return { status: run.outputs.status ?? `exit ${run.code}`, code: run.code, log: run.stdout, fired, requests };
}

async function publishFirstVersion(): Promise<number> {
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  expect((await attempt(event, [])).status).toBe('published');
  return issue;
}

describe('a lagging replica', () => {
  it('answering the snapshot with the head before the first version was committed costs a re-plan, never the first version', async () => {
    const firstIssue = await publishFirstVersion();
    const next = { ...pkg, version: '1.3.0' };
    await seedPackage(world, next);
    const { issue, event } = openIssue(world, requestBody(next));

    // The replica answers the previous head, whose tree has no left-pad.json: planned there, the commit would list only 1.3.0.
    const run = await attempt(event, [{ route: SNAPSHOT, occurrence: 1, mode: 'lagging-read' }]);
    expect(run.fired.map((f) => f.mode)).toEqual(['lagging-read']);
    expect(run.status).toBe('published');
    expect(run.log).toMatch(/re-planning/);
    const { published } = await metadata();
    expect(Object.keys(published).sort()).toEqual(['1.2.0', '1.3.0']);
    expect(published['1.2.0']!.issue).toBe(firstIssue);
    await assertInvariants(world, { expect: [
      { name: pkg.name, version: '1.2.0', issue: firstIssue, outcome: 'published' },
      { name: pkg.name, version: '1.3.0', issue, outcome: 'published' },
    ] });
  });

  it('that does not know a commit yet makes a read by SHA fail as transient, never "no metadata"', async () => {
    await publishFirstVersion();
    const head = await world.github.head(REGISTRY.owner, REGISTRY.repo, 'main');
    const plan = new FaultPlan([{ route: SNAPSHOT, occurrence: 1, mode: 'lagging-read' }]);
    const proxy = await startFaultProxy({ name: 'github', target: world.github.url, plan, classify: githubRoute });
    try {
      const registry = new GitHubRegistry(createGitHubClient({ token: 't', baseUrl: proxy.url, paceMs: 1 }),
        { owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', serverUrl: world.github.url });
      await expect(registry.readPackage(pkg.name, head)).rejects.toMatchObject({ kind: 'transient', message: expect.stringMatching(/lagging replica/) });
      // The same read once the replica caught up finds the version.
      expect(Object.keys((await registry.readPackage(pkg.name, head))!.published)).toEqual(['1.2.0']);
      expect(plan.fired()).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('a trustee\'s rollback whose first read of the branch lags behind the publish', () => {
  it('rolls the version back instead of answering "not published"', async () => {
    const issue = await publishFirstVersion();
    // The replica answers the head before the publish commit, where left-pad has no metadata at all.
    const rollback = await attempt(commentOn(world, issue, `/rollback ${pkg.name}@${pkg.version} a broken build`, TRUSTEE),
      [{ route: SNAPSHOT, occurrence: 1, mode: 'lagging-read' }], { 'trustee-ids': String(TRUSTEE.id) });
    expect(rollback.fired.map((f) => f.mode)).toEqual(['lagging-read']);
    expect(rollback.status).toBe('rolled-back');
    expect((await metadata()).rolledBack).toEqual([expect.objectContaining({ version: '1.2.0', cleaned: true })]);
    expect(await world.s3.listRaw(world.buckets[0]!)).toEqual([]);
  });
});

describe('a rollback whose reads of the branch lag behind its own removal commit', () => {
  it('deletes the version\'s objects and marks the record cleaned, instead of reporting a rollback it did not finish', async () => {
    const issue = await publishFirstVersion();
    // Every branch read right after an update answers the head before it, once (github.com's replicas can).
    world.github.setStaleReads(true);
    const rollback = await attempt(commentOn(world, issue, `/rollback ${pkg.name}@${pkg.version} a broken build`, TRUSTEE), [],
      { 'trustee-ids': String(TRUSTEE.id) });
    expect(rollback.status).toBe('rolled-back');
    expect(rollback.log).toMatch(/predates the removal/);
    const after = await metadata();
    expect(after.published).toEqual({});
    expect(after.rolledBack).toEqual([expect.objectContaining({ version: '1.2.0', cleaned: true })]);
    expect(await world.s3.listRaw(world.buckets[0]!)).toEqual([]);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'absent' }] });
  });
});

describe('a 403 secondary rate limit on the re-check after promote', () => {
  it('reports what is true — published, finishing on /retry — never "taken back"; /retry completes it', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    // Snapshot #1 plans; #2 is rule 6's re-check after promote. Three 403s outlast the throttling plugin's two waits.
    const limit = [2, 3, 4].map((occurrence) => ({ route: SNAPSHOT, occurrence, mode: 'rate-limited' as const, rateLimitStatus: 403 as const }));
    const first = await attempt(event, limit);
    expect(first.fired).toHaveLength(3);
    expect(first.status).toBe('failed');
    expect(first.code).not.toBe(0);
    const status = lastStatus(issue);
    expect(status).toContain('The version is published');
    expect(status).toMatch(/rate-limiting/);
    expect(status).not.toMatch(/taken back|permissions/);
    expect((await metadata()).published['1.2.0']?.issue).toBe(issue);
    expect((await world.s3.listRaw(world.buckets[0]!)).map((o) => o.key)).toEqual(['left-pad/1.2.0.tar.gz']);

    const retry = await attempt(commentOn(world, issue, '/retry'), []);
    expect(retry.status).toBe('published');
    expect((await registryCommits(world)).filter((c) => c.message.startsWith('Publish left-pad@1.2.0'))).toHaveLength(1);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});

describe('FORBIDDEN inside HTTP 200 on the registry commit', () => {
  it('ends the attempt at once (one commit request) with a message that names the token\'s permission; /retry publishes', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const first = await attempt(event, [{ route: 'POST graphql:createCommitOnBranch', occurrence: 1, mode: 'graphql-error', graphqlType: 'FORBIDDEN' }]);
    expect(first.status).toBe('failed');
    expect(first.requests.filter((r) => r.route === 'POST graphql:createCommitOnBranch')).toHaveLength(1);
    const status = lastStatus(issue);
    expect(status).toMatch(/FORBIDDEN/);
    expect(status).toMatch(/contents: write/);
    expect(status).toContain('Nothing was committed to the registry');
    expect(status).not.toMatch(/before GitHub answered/);

    const retry = await attempt(commentOn(world, issue, '/retry'), []);
    expect(retry.status).toBe('published');
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});

describe('metadata past GitHub\'s 1 MB contents limit', () => {
  /** Versions already published long ago: valid entries, enough of them to make the file about 1.5 MB. */
  function history(count: number): Record<string, unknown> {
    const published: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      published[`0.${Math.floor(i / 100)}.${i % 100}`] = {
        sha256: `sha256-${Buffer.alloc(32, i % 251).toString('base64')}`, bytes: 1000 + i, ref: `v0.${Math.floor(i / 100)}.${i % 100}`,
        commit: (i % 16).toString(16).repeat(40), publishedTime: '2020-01-01T00:00:00.000Z', issue: 1,
      };
    }
    return published;
  }

  it('publishes a version and rolls it back, keeping every earlier version', async () => {
    const count = 6_500;
    await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', message: 'Years of history',
      files: { [METADATA]: `${JSON.stringify({ name: pkg.name, location: { githubOwner: pkg.owner, githubRepo: pkg.repo, repositoryId: pkg.id },
        published: history(count), rolledBack: [] }, null, 2)}\n` } });
    expect((await registryFile(world, METADATA))!.length).toBeGreaterThan(1_500_000);

    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const published = await attempt(event, []);
    expect(published.status).toBe('published');
    // The GraphQL text of so large a blob is truncated; the whole file came through the blob API.
    expect(published.requests.map((r) => r.route)).toContain('GET /repos/{owner}/{repo}/git/blobs/{file_sha}');
    expect(Object.keys((await metadata()).published)).toHaveLength(count + 1);

    const rollback = await attempt(commentOn(world, issue, `/rollback ${pkg.name}@${pkg.version} a broken build`, TRUSTEE), [],
      { 'trustee-ids': String(TRUSTEE.id) });
    expect(rollback.status).toBe('rolled-back');
    const after = await metadata();
    expect(Object.keys(after.published)).toHaveLength(count);
    expect(after.published['1.2.0']).toBeUndefined();
    expect(after.rolledBack).toEqual([expect.objectContaining({ version: '1.2.0', cleaned: true })]);
    expect((await world.s3.listRaw(world.buckets[0]!))).toEqual([]);
  }, 120_000);
});
