// Given published versions on two backends, when a trustee comments /rollback, then the version leaves the registry with an audit record, its objects leave every backend, and the author can publish again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { assertInvariants, keptVersions } from '../../test-support/invariants.js';
import { registryCommits, registryFile, snapshot } from '../../test-support/observe.js';
import { AUTHOR, REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';

const TRUSTEE = { id: 7001, login: 'tess' };
const TEAM_TRUSTEE = { id: 7002, login: 'teamster' };
const STRANGER = { id: 7666, login: 'eve' };
const TEAM_TOKEN = 'org-read-token';
const inputs = { 'trustee-ids': String(TRUSTEE.id), 'trustee-team': 'registry/trustees', 'trustee-team-token': TEAM_TOKEN };

let world: World;
let counter = 0;
function freshPackage(): PackageSource {
  counter += 1;
  return { owner: `rb${counter}`, repo: `lib${counter}`, id: 9500 + counter, name: `rollback-pkg-${counter}`, version: '1.0.0' };
}
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
const lastBot = (issue: number) => thread(issue).comments.filter((c) => c.user.type === 'Bot').at(-1)?.body ?? '';
const metadata = async (name: string) => JSON.parse((await registryFile(world, `metadata/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}.json`))!);
const keysOf = async (name: string) => {
  const all = await Promise.all(world.buckets.map(async (b) => (await world.s3.listRaw(b)).map((o) => `${b}/${o.key}`)));
  return all.flat().filter((k) => k.includes(`/${name}/`) || k.includes(`${name}/`));
};

async function published(pkg: PackageSource): Promise<number> {
  await seedPackage(world, pkg);
  const { issue, event } = openIssue(world, requestBody(pkg));
  expect((await runAction(world, event, { inputs })).outputs.status).toBe('published');
  return issue;
}

beforeAll(async () => {
  world = await startWorld({ buckets: ['primary-store', 'mirror-store'] });
  world.github.allowOrgReads(TEAM_TOKEN);
  world.github.addTeamMember({ org: 'registry', team: 'trustees', login: TEAM_TRUSTEE.login });
  world.github.addUser({ ...TEAM_TRUSTEE, type: 'User' });
});
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.failTeamChecks(undefined);
  world.github.assertClean();
  await world.github.fsck();
});

describe('a trustee rolls back a published version', () => {
  it('removes it from the metadata with an audit record and from every backend; the bytes never return, the version number only with other bytes', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const pkg = freshPackage();
    const issue = await published(pkg);
    const sha256 = (await metadata(pkg.name)).published['1.0.0'].sha256;
    expect(await keysOf(pkg.name)).toHaveLength(2);

    const rollbackEvent = commentOn(world, issue, '/rollback contains a leaked credential', TRUSTEE);
    const run = await runAction(world, rollbackEvent, { inputs });
    expect(run.outputs).toMatchObject({ status: 'rolled-back', name: pkg.name, version: '1.0.0' });

    const after = await metadata(pkg.name);
    expect(after.published).toEqual({});
    const comment = (rollbackEvent.payload as { comment: { id: number; created_at: string } }).comment;
    expect(after.rolledBack).toEqual([{ version: '1.0.0', sha256, by: TRUSTEE, at: comment.created_at,
      reason: 'contains a leaked credential', issue, commentId: comment.id, cleaned: true }]);
    expect(await keysOf(pkg.name)).toEqual([]);
    const commits = (await registryCommits(world)).slice(0, 2).map((c) => c.message.split('\n')[0]);
    expect(commits).toEqual([`Rollback ${pkg.name}@1.0.0 (#${issue}): storage cleaned`, `Rollback ${pkg.name}@1.0.0 (#${issue})`]);
    expect(lastBot(issue)).toContain(`Rolled back \`${pkg.name}@1.0.0\``);

    // Rule 8: the rollback holds. The same tag rebuilds the same bytes, and those never come back, by anyone.
    const beforeRetry = await snapshot(world);
    const retry = await runAction(world, commentOn(world, issue, '/retry'), { inputs });
    expect(retry.outputs.status).toBe('refused');
    expect(lastBot(issue)).toMatch(/rolled-back bytes can never be published again/);
    const { issue: strangerIssue, event: stranger } = openIssue(world, requestBody(pkg), STRANGER, 'Publish it again');
    expect((await runAction(world, stranger, { inputs })).outputs.status).toBe('refused');
    expect(lastBot(strangerIssue)).toMatch(/rolled-back bytes can never be published again/);
    expect(await snapshot(world)).toEqual(beforeRetry);

    // The version number comes back only with other bytes, from the bound repository.
    const fixed = { ...pkg, tag: 'v1.0.0-fixed', files: { 'FIXED.md': 'The credential is gone.\n' } };
    await seedPackage(world, fixed);
    const { issue: fixIssue, event: fix } = openIssue(world, requestBody(fixed), AUTHOR, 'Publish the fixed 1.0.0');
    expect((await runAction(world, fix, { inputs })).outputs.status).toBe('published');
    expect((await metadata(pkg.name)).published['1.0.0'].sha256).not.toBe(sha256);
    await assertInvariants(world, { expect: [...kept, { name: pkg.name, version: '1.0.0', issue: fixIssue, outcome: 'published' }] });
  });

  it('lets the author publish that version again with different content', async () => {
    // The world is shared: what earlier tests committed must still be there, and is not this test's doing.
    const kept = await keptVersions(world);
    const pkg = freshPackage();
    const issue = await published(pkg);
    await runAction(world, commentOn(world, issue, `/rollback ${pkg.name}@1.0.0 wrong files`, TEAM_TRUSTEE), { inputs });
    const fixed = { ...pkg, tag: 'v1.0.0-fixed', files: { 'FIXED.md': 'the right files\n' } };
    await seedPackage(world, fixed);
    const run = await runAction(world, commentOn(world, issue, requestBody(fixed)), { inputs });
    expect(run.outputs.status).toBe('published');
    const entry = (await metadata(pkg.name)).published['1.0.0'];
    expect(entry.ref).toBe('v1.0.0-fixed');
    expect(entry.sha256).not.toBe((await metadata(pkg.name)).rolledBack[0].sha256);
    await assertInvariants(world, { expect: [...kept, { name: pkg.name, version: '1.0.0', issue, outcome: 'published' }] });
  });

  it('works from any issue when the comment names name@version', async () => {
    const pkg = freshPackage();
    await published(pkg);
    const { issue: elsewhere } = openIssue(world, 'Trustee business', AUTHOR, 'Rollbacks');
    const run = await runAction(world, commentOn(world, elsewhere, `/rollback ${pkg.name}@1.0.0 malware`, TRUSTEE), { inputs });
    expect(run.outputs.status).toBe('rolled-back');
    expect((await metadata(pkg.name)).published).toEqual({});
  });

  it('a request made before the rollback never republishes the version, even with other bytes', async () => {
    const pkg = freshPackage();
    const issue = await published(pkg);
    const fixed = { ...pkg, tag: 'v1.0.0-other', files: { 'OTHER.md': 'other bytes\n' } };
    await seedPackage(world, fixed);
    const early = commentOn(world, issue, requestBody(fixed));
    (early.payload as { comment: { created_at: string } }).comment.created_at = '2001-01-01T00:00:00Z';
    await runAction(world, commentOn(world, issue, '/rollback bad build', TRUSTEE), { inputs });
    const before = await snapshot(world);
    const run = await runAction(world, early, { inputs });
    expect(run.outputs.status).toBe('refused');
    expect(lastBot(issue)).toContain('after this request was made');
    expect(await snapshot(world)).toEqual(before);
  });
});

describe('a bare /rollback acts only on what the registry says this issue published', () => {
  it('touches nothing when the issue\'s version was rolled back and the number republished by another issue', async () => {
    const pkg = freshPackage();
    const issue = await published(pkg);
    expect((await runAction(world, commentOn(world, issue, '/rollback leaked credential', TRUSTEE), { inputs })).outputs.status).toBe('rolled-back');
    const fixed = { ...pkg, tag: 'v1.0.0-clean', files: { 'CLEAN.md': 'clean\n' } };
    await seedPackage(world, fixed);
    const { issue: fixIssue, event } = openIssue(world, requestBody(fixed), AUTHOR, 'Publish the clean 1.0.0');
    expect((await runAction(world, event, { inputs })).outputs.status).toBe('published');

    const before = await snapshot(world);
    const run = await runAction(world, commentOn(world, issue, '/rollback still bad', TRUSTEE), { inputs });
    expect(run.outputs.status).toBe('refused');
    expect(lastBot(issue)).toMatch(/was already rolled back\. Nothing was changed/);
    expect(await snapshot(world)).toEqual(before);
    expect((await metadata(pkg.name)).published['1.0.0'].issue).toBe(fixIssue);
  });

  it('refuses as ambiguous on an issue that published two versions, and names them', async () => {
    const pkg = freshPackage();
    const issue = await published(pkg);
    const next = { ...pkg, version: '1.0.1' };
    await seedPackage(world, next);
    expect((await runAction(world, commentOn(world, issue, requestBody(next)), { inputs })).outputs.status).toBe('published');

    const before = await snapshot(world);
    const run = await runAction(world, commentOn(world, issue, '/rollback one of them is bad', TRUSTEE), { inputs });
    expect(run.outputs.status).toBe('refused');
    expect(lastBot(issue)).toMatch(/published more than one version .*`rollback-pkg-\d+@1\.0\.0`.*`rollback-pkg-\d+@1\.0\.1`|published more than one version .*`rollback-pkg-\d+@1\.0\.1`.*`rollback-pkg-\d+@1\.0\.0`/);
    expect(await snapshot(world)).toEqual(before);
  });

  it('ignores a marker another bot wrote: the version it names stays, this issue\'s own version goes', async () => {
    const victim = freshPackage();
    await published(victim);
    const pkg = freshPackage();
    const issue = await published(pkg);
    world.github.addUser({ id: 31337, login: 'other-app[bot]', type: 'Bot' });
    world.github.addComment({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue, user: 'other-app[bot]',
      body: `Status\n<!-- registrar:package ${victim.name}@1.0.0 -->` });
    // The other bot's marker is the newest; the registry says this issue published only its own version.
    const run = await runAction(world, commentOn(world, issue, '/rollback bad build', TRUSTEE), { inputs });
    expect(run.outputs).toMatchObject({ status: 'rolled-back', name: pkg.name });
    expect((await metadata(victim.name)).published['1.0.0']).toBeDefined();
    expect((await metadata(pkg.name)).published).toEqual({});
  });
});

describe('who may roll back', () => {
  it.each([
    ['a non-trustee', STRANGER, undefined],
    ['the package author', AUTHOR, undefined],
    ['a team member whose team check errors', TEAM_TRUSTEE, 500],
  ])('refuses %s and changes nothing', async (_who, user, teamFailure) => {
    const pkg = freshPackage();
    const issue = await published(pkg);
    world.github.failTeamChecks(teamFailure);
    const before = await snapshot(world);
    const run = await runAction(world, commentOn(world, issue, '/rollback I do not like it', user), { inputs });
    expect(run.outputs.status).toBe('denied');
    expect(await snapshot(world)).toEqual(before);
    expect(lastBot(issue)).toContain('Only a registry trustee can roll back');
    if (teamFailure) expect(run.stdout).toMatch(/team check for @teamster failed \(500\)/);
  });

  it('refuses a rollback without a reason, changing nothing', async () => {
    const pkg = freshPackage();
    const issue = await published(pkg);
    const before = await snapshot(world);
    const run = await runAction(world, commentOn(world, issue, `/rollback ${pkg.name}@1.0.0`, TRUSTEE), { inputs });
    expect(run.outputs.status).toBe('refused');
    expect(lastBot(issue)).toContain('needs a reason');
    expect(await snapshot(world)).toEqual(before);
  });
});

describe('rolling back a version that was never committed', () => {
  it('removes the staging objects a failed attempt left, and says so', async () => {
    const pkg = freshPackage();
    const body = Buffer.from('a failed attempt left this');
    const hex = createHash('sha256').update(body).digest('hex');
    for (const bucket of world.buckets) await world.s3.putRaw(bucket, `staging/${pkg.name}/1.0.0/${hex}.tar.gz`, body);
    const { issue } = openIssue(world, 'cleanup', AUTHOR, 'Cleanup');
    const run = await runAction(world, commentOn(world, issue, `/rollback ${pkg.name}@1.0.0 leftovers`, TRUSTEE), { inputs });
    expect(run.outputs.status).toBe('cleaned-leftovers');
    expect(await keysOf(pkg.name)).toEqual([]);
    expect(lastBot(issue)).toContain('was never published');
  });
});
