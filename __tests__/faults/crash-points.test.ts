// Named crash points, shown step by step: a lost commit answer, a runner dying right after the commit, and stale branch reads.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runAttempt } from '../../test-support/matrix.js';
import { assertInvariants } from '../../test-support/invariants.js';
import { registryCommits, registryFile } from '../../test-support/observe.js';
import { REGISTRY, commentOn, openIssue, requestBody, seedPackage, startWorld, type World } from '../../test-support/world.js';

const pkg = { owner: 'acme', repo: 'left-pad', id: 4242, name: 'left-pad', version: '1.2.0' };
const METADATA = 'metadata/le/ft/left-pad.json';
const FINAL = 'left-pad/1.2.0.tar.gz';

let world: World;
beforeEach(async () => { world = await startWorld(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
  await world.close();
});

async function published(): Promise<Record<string, { sha256: string; issue: number }>> {
  const text = await registryFile(world, METADATA);
  return text ? JSON.parse(text).published : {};
}
const objects = async () => world.s3.listRaw(world.buckets[0]!);
const publishCommits = async () => (await registryCommits(world)).filter((c) => c.message.startsWith('Publish left-pad@1.2.0'));
const statusBodies = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments
  .filter((c) => c.user.type === 'Bot').map((c) => c.body).join('\n');

describe('the answer to the registry commit is lost', () => {
  it('the commit landed; /retry recognises its own commit and resumes: one registry commit, no "already exists"', async () => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const first = await runAttempt(world, event, [
      { route: 'POST graphql:createCommitOnBranch', occurrence: 1, mode: 'lose' },
      // The runner dies before anything else can tell it what happened.
      { route: 'POST graphql:repository', occurrence: 2, mode: 'crash' },
    ]);
    expect(first.status).toBe('threw');
    expect(first.fired.map((f) => f.mode)).toEqual(['lose', 'crash']);
    expect((await published())['1.2.0']?.issue).toBe(issue);
    expect((await objects()).map((o) => o.key)).not.toContain(FINAL);

    const retry = await runAttempt(world, commentOn(world, issue, '/retry'), []);
    expect(retry.status).toBe('published');
    expect(retry.log.join('\n')).toContain('resuming at promote');
    expect(await publishCommits()).toHaveLength(1);
    expect(statusBodies(issue)).not.toMatch(/already exists|already published/);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});

describe('the runner crashes right after the commit', () => {
  // The first request after the commit's answer is promote's copy (progress comments are written off the critical path).
  const crashAfterCommit = [{ route: 'PUT s3:CopyObject backend1/final', occurrence: 1, mode: 'crash' as const }];

  it.each([
    ['with the staging object still there', false],
    ['after the staging object was deleted (a lifecycle rule)', true],
  ])('leaves the version listed without a final object; /retry alone completes it, %s', async (_what, deleteStaging) => {
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    const first = await runAttempt(world, event, crashAfterCommit);
    expect(first.status).toBe('threw');

    // The window the design accepts: committed, not promoted.
    const entry = (await published())['1.2.0'];
    expect(entry?.issue).toBe(issue);
    const stored = await objects();
    expect(stored.map((o) => o.key)).not.toContain(FINAL);
    const staging = stored.filter((o) => o.key.startsWith('staging/left-pad/1.2.0/'));
    expect(staging).toHaveLength(1);

    if (deleteStaging) {
      await world.s3.deleteRaw(world.buckets[0]!, staging[0]!.key);
      expect(await objects()).toEqual([]);
    }

    const retry = await runAttempt(world, commentOn(world, issue, '/retry'), []);
    expect(retry.status).toBe('published');
    const final = (await objects()).find((o) => o.key === FINAL);
    expect(`sha256-${Buffer.from(final!.sha256, 'hex').toString('base64')}`).toBe(entry!.sha256);
    expect(await publishCommits()).toHaveLength(1);
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});

describe('stale reads by branch name', () => {
  it('do not affect planning: metadata is read at the SHA, a stale head only costs a re-plan, nothing is lost', async () => {
    await seedPackage(world, pkg);
    world.github.setStaleReads(true);
    // Another package lands just before ours; the next read of the branch by name is stale.
    const other = 'metadata/ri/gh/right-pad.json';
    await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main',
      files: { [other]: '{"written":"just before"}\n' }, message: 'A concurrent registry change' });
    const { issue, event } = openIssue(world, requestBody(pkg));

    const run = await runAttempt(world, event, []);
    if (run.status !== 'published') console.log(run.log.join('\n'));
    expect(run.status).toBe('published');
    expect(run.log.join('\n')).toMatch(/re-planning/);
    expect(await registryFile(world, other)).toBe('{"written":"just before"}\n');
    expect((await published())['1.2.0']?.issue).toBe(issue);
    const commits = await registryCommits(world);
    expect(commits[0]!.message).toMatch(/^Publish left-pad@1\.2\.0/);
    expect(commits[1]!.message).toBe('A concurrent registry change');
  });
});

describe('a backend failing after the commit', () => {
  it('leaves "committed; promotion incomplete on <backend>" on the status comment, and /retry finishes it', async () => {
    await world.close();
    world = await startWorld({ buckets: ['first-store', 'second-store'] });
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    // Every copy into the second backend fails, through the client's own retries.
    const copy = 'PUT s3:CopyObject backend2/final';
    const first = await runAttempt(world, event, [1, 2, 3].map((occurrence) => ({ route: copy, occurrence, mode: 'refuse' as const })));
    expect(first.status).toBe('failed');
    const status = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments.filter((c) => c.user.type === 'Bot').at(-1)!.body;
    expect(status).toContain('Committed; promotion incomplete on mirror-1.');
    expect(status).toContain('The version is committed');
    const [one, two] = await Promise.all(world.buckets.map((b) => world.s3.listRaw(b)));
    expect(one!.map((o) => o.key)).toContain(FINAL);
    expect(two!.map((o) => o.key)).not.toContain(FINAL);

    const retry = await runAttempt(world, commentOn(world, issue, '/retry'), []);
    expect(retry.status).toBe('published');
    await assertInvariants(world, { expect: [{ name: pkg.name, version: pkg.version, issue, outcome: 'published' }] });
  });
});
