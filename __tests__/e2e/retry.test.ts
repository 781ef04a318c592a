// Given a publish issue, when people comment on it, then only its author or a trustee can re-run it, and a re-run converges.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTHOR, REGISTRY, commentOn, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';
import { registryCommits, snapshot } from '../../test-support/observe.js';

const TRUSTEE = { id: 6001, login: 'trusty' };
const STRANGER = { id: 6666, login: 'mallory' };
const inputs = { 'trustee-ids': String(TRUSTEE.id) };

let world: World;
let counter = 0;
function freshPackage(): PackageSource {
  counter += 1;
  return { owner: `retry${counter}`, repo: `lib${counter}`, id: 8000 + counter, name: `retry-pkg-${counter}`, version: '2.0.0' };
}
const thread = (issue: number) => world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
/** Comments Registrar wrote (they carry its hidden marker). */
const botComments = (issue: number) => thread(issue).comments.filter((c) => c.user.type === 'Bot' && c.body.startsWith('<!-- registrar:'));

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

describe('a corrected request', () => {
  it('commented by the author after a refusal publishes, and the issue closes', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg, { ref: 'v0.0.0-typo' }));
    expect((await runAction(world, event, { inputs })).code).not.toBe(0);
    expect(thread(issue).state).toBe('open');

    const run = await runAction(world, commentOn(world, issue, requestBody(pkg)), { inputs });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('published');
    expect(thread(issue).state).toBe('closed');
  });

  it('is what a later /retry publishes, not the stale issue body', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg, { ref: 'v0.0.0-typo' }));
    await runAction(world, event, { inputs });
    // A corrected request whose run failed to start (say) is still the newest request of the issue.
    commentOn(world, issue, requestBody(pkg));
    const run = await runAction(world, commentOn(world, issue, '/retry'), { inputs });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'published', name: pkg.name });
  });
});

describe('who may retry', () => {
  it('tells a stranger politely that they cannot, and writes nothing', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg, { ref: 'v0.0.0-typo' }));
    await runAction(world, event, { inputs });
    const before = await snapshot(world);

    for (const body of ['/retry', requestBody(pkg)]) {
      const run = await runAction(world, commentOn(world, issue, body, STRANGER), { inputs });
      expect(run.code).toBe(0);
      expect(run.outputs.status).toBe('denied');
    }
    expect(await snapshot(world)).toEqual(before);
    // One answer for all denials, edited in place: a stranger cannot make the bot write a comment per command.
    const denials = botComments(issue).filter((c) => c.body.includes('Only the author of this issue or a registry trustee'));
    expect(denials).toHaveLength(1);
    expect(denials[0]!.body).toContain(`corrected request from user id ${STRANGER.id}, not run`);
    expect(thread(issue).state).toBe('open');
  });

  it('lets a trustee retry', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue } = openIssue(world, requestBody(pkg));
    const retry = commentOn(world, issue, '/retry', TRUSTEE);
    const run = await runAction(world, retry, { inputs });
    expect(run.outputs.status).toBe('published');
    // The command is acknowledged on the comment itself, and its end is shown there too.
    const commentId = (retry.payload as { comment: { id: number } }).comment.id;
    const reactions = thread(issue).comments.find((c) => c.id === commentId)!.reactions;
    expect(reactions.map((r) => r.content)).toEqual(['eyes', 'rocket']);
  });

  it('ignores an edited /retry and a /retry by a bot', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue } = openIssue(world, requestBody(pkg));
    const before = await snapshot(world);
    const edited = await runAction(world, commentOn(world, issue, '/retry', AUTHOR, 'edited'), { inputs });
    const bot = await runAction(world, commentOn(world, issue, '/retry', { id: 41898282, login: 'github-actions[bot]', type: 'Bot' }), { inputs });
    for (const run of [edited, bot]) expect(run.outputs.status).toBe('ignored');
    expect(await snapshot(world)).toEqual(before);
    expect(botComments(issue)).toHaveLength(0);
  });
});

describe('a retry after a complete publish', () => {
  it('resumes, finds everything in place, and writes no second registry commit', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const { issue, event } = openIssue(world, requestBody(pkg));
    expect((await runAction(world, event, { inputs })).code).toBe(0);
    const before = await snapshot(world);
    const commits = (await registryCommits(world)).length;

    const run = await runAction(world, commentOn(world, issue, '/retry'), { inputs });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('published');
    expect((await registryCommits(world)).length).toBe(commits);
    expect(await snapshot(world)).toEqual(before);
    const statuses = botComments(issue);
    expect(statuses).toHaveLength(2); // one status comment per attempt
    expect(statuses[1]!.body).toContain('already committed by this issue');
    expect(statuses.map((c) => c.body).join('\n')).not.toMatch(/already exists|already published/);
  });
});
