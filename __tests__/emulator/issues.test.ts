// The emulator's issue and label endpoints the repair issue uses, through a real Octokit client, every answer checked against GitHub's description.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { startEmulator, type GitHubEmulator } from '../../test-support/github/emulator.js';

const OWNER = 'acme';
const REPO = 'registry';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emulator: GitHubEmulator;
let octokit: Octokit;
beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'test-token', baseUrl: emulator.url, log: quiet });
  await emulator.createRepository({ owner: OWNER, repo: REPO, id: 77 });
});
afterAll(async () => { await emulator?.close(); });
afterEach(() => { emulator.assertClean(); });

const status = async (call: Promise<unknown>) => call.then(() => 200, (e: { status: number }) => e.status);

describe('issues/create', () => {
  it('opens an issue as the token\'s identity, with its labels, numbered after the others', async () => {
    emulator.createIssue({ owner: OWNER, repo: REPO, title: 'by a person', body: 'hello', user: 'ada' });
    const { status: code, data } = await octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: 'Repairs', body: 'list', labels: ['registrar/repair'] });
    expect(code).toBe(201);
    expect(data.number).toBe(2);
    expect(data.user?.type).toBe('Bot');
    expect(data.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['registrar/repair']);
    expect(emulator.issue(OWNER, REPO, 2).body).toBe('list');
  });

  it('refuses a missing title and a body over the limit with 422', async () => {
    expect(await status(octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: '' }))).toBe(422);
    expect(await status(octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: 'x', body: 'b'.repeat(65_537) }))).toBe(422);
  });
});

describe('issues/list-for-repo', () => {
  it('filters by state, every label (case-insensitively) and creator, newest first', async () => {
    const closed = await octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: 'Old repairs', labels: ['registrar/repair', 'other'] });
    await octokit.rest.issues.update({ owner: OWNER, repo: REPO, issue_number: closed.data.number, state: 'closed' });
    const list = async (query: { state?: 'open' | 'closed' | 'all'; labels?: string; creator?: string }) =>
      (await octokit.rest.issues.listForRepo({ owner: OWNER, repo: REPO, ...query })).data.map((i) => i.number);
    expect(await list({})).toEqual([2, 1]);
    expect(await list({ state: 'all' })).toEqual([closed.data.number, 2, 1]);
    expect(await list({ labels: 'Registrar/Repair' })).toEqual([2]);
    expect(await list({ state: 'all', labels: 'registrar/repair,other' })).toEqual([closed.data.number]);
    expect(await list({ creator: 'ada' })).toEqual([1]);
  });

  it('pages with a Link header', async () => {
    const pages = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: OWNER, repo: REPO, state: 'all', per_page: 1 });
    expect(pages.map((i) => i.number)).toEqual([3, 2, 1]);
  });
});

describe('issues/create-label', () => {
  it('creates a label once; the same name again (any case) is 422 already_exists', async () => {
    const { status: code, data } = await octokit.rest.issues.createLabel({ owner: OWNER, repo: REPO, name: 'registrar/published', color: '0e8a16' });
    expect(code).toBe(201);
    expect(data.name).toBe('registrar/published');
    const again = await octokit.rest.issues.createLabel({ owner: OWNER, repo: REPO, name: 'Registrar/Published' }).catch((e: { status: number; response: { data: unknown } }) => e);
    expect((again as { status: number }).status).toBe(422);
    expect(JSON.stringify((again as { response: { data: unknown } }).response.data)).toContain('already_exists');
    // A label that exists because an issue carries it counts too.
    expect(await status(octokit.rest.issues.createLabel({ owner: OWNER, repo: REPO, name: 'other' }))).toBe(422);
  });
});
