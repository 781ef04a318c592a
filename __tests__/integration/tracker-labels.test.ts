// The Tracker port's labels on the GitHub emulator: created once with Registrar's colour, reused when they exist, taken off idempotently.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubTracker } from '../../src/adapters/github/tracker.js';
import { REGISTRY, openIssue, startWorld, type World } from '../../test-support/world.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const PUBLISHED = { name: 'registrar/published', color: '0e8a16', description: 'Registrar published this request.' };

let world: World;
let tracker: GitHubTracker;
let octokit: Octokit;
beforeAll(async () => {
  world = await startWorld();
  tracker = new GitHubTracker(createGitHubClient({ token: 't', baseUrl: world.github.url, paceMs: 1 }), REGISTRY);
  octokit = new Octokit({ auth: 't', baseUrl: world.github.url, log: quiet });
});
afterAll(async () => {
  try {
    world.github.assertClean();
  } finally {
    await world.close();
  }
});

describe('the emulator answers label requests as GitHub does', () => {
  it('creates a label (201), refuses a taken name in any case (422 already_exists), and 404s removing a label the issue lacks', async () => {
    const { owner, repo } = REGISTRY;
    const created = await octokit.rest.issues.createLabel({ owner, repo, name: 'emulator/new', color: 'ABCDEF', description: 'd' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'emulator/new', color: 'abcdef', description: 'd' });
    const taken = await octokit.rest.issues.createLabel({ owner, repo, name: 'EMULATOR/NEW' }).catch((e: unknown) => e);
    expect(taken).toMatchObject({ status: 422, response: { data: { errors: [{ resource: 'Label', field: 'name', code: 'already_exists' }] } } });
    const badColour = await octokit.rest.issues.createLabel({ owner, repo, name: 'emulator/x', color: '#fff' }).catch((e: unknown) => e);
    expect(badColour).toMatchObject({ status: 422 });

    const { issue } = openIssue(world, 'an issue');
    const missing = await octokit.rest.issues.removeLabel({ owner, repo, issue_number: issue, name: 'emulator/new' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, response: { data: { message: 'Label does not exist' } } });
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: issue, labels: ['emulator/new', 'other'] });
    const removed = await octokit.rest.issues.removeLabel({ owner, repo, issue_number: issue, name: 'emulator/new' });
    expect(removed.data.map((l) => l.name)).toEqual(['other']);
  });
});

describe('GitHubTracker labels', () => {
  it('creates a missing label with its colour and description, and reuses it on the next issue (422 is success)', async () => {
    const first = openIssue(world, 'first').issue;
    const second = openIssue(world, 'second').issue;
    await tracker.addLabel(first, PUBLISHED);
    await tracker.addLabel(second, PUBLISHED);
    expect(await tracker.labels(first)).toEqual(['registrar/published']);
    expect(await tracker.labels(second)).toEqual(['registrar/published']);
    const onIssue = await octokit.rest.issues.listLabelsOnIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue_number: first });
    expect(onIssue.data[0]).toMatchObject({ name: PUBLISHED.name, color: PUBLISHED.color, description: PUBLISHED.description });
  });

  it('keeps a label a maintainer made first as it is', async () => {
    await octokit.rest.issues.createLabel({ owner: REGISTRY.owner, repo: REGISTRY.repo, name: 'registrar/failed', color: '123456', description: 'ours' });
    const { issue } = openIssue(world, 'third');
    await tracker.addLabel(issue, { name: 'registrar/failed', color: 'd93f0b', description: 'Registrar could not finish.' });
    const onIssue = await octokit.rest.issues.listLabelsOnIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue_number: issue });
    expect(onIssue.data).toMatchObject([{ name: 'registrar/failed', color: '123456', description: 'ours' }]);
  });

  it('takes a label off, and taking off one that is not there succeeds', async () => {
    const { issue } = openIssue(world, 'fourth');
    await tracker.addLabel(issue, PUBLISHED);
    await tracker.removeLabel(issue, PUBLISHED.name);
    await tracker.removeLabel(issue, PUBLISHED.name);
    expect(await tracker.labels(issue)).toEqual([]);
  });
});
