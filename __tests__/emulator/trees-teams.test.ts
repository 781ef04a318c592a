// Git trees and team memberships, through a real Octokit client, checked against GitHub's description.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const run = promisify(execFile);
const OWNER = 'acme';
const REPO = 'registry';
const ORG = 'acme-org';
const ORG_TOKEN = 'org-scoped-token';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emulator: GitHubEmulator;
/** The workflow's GITHUB_TOKEN: no organisation access. */
let octokit: Octokit;
/** A token with read:org. */
let orgOctokit: Octokit;
let firstCommit: string;
let head: string;

async function git(...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', emulator.repoPath(OWNER, REPO), ...args]);
  return stdout.trim();
}

beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'github-token', baseUrl: emulator.url, log: quiet });
  orgOctokit = new Octokit({ auth: ORG_TOKEN, baseUrl: emulator.url, log: quiet });
  emulator.allowOrgReads(ORG_TOKEN);
  await emulator.createRepository({
    owner: OWNER,
    repo: REPO,
    initialFiles: { 'README.md': '# registry\n', 'packages/a/meta.json': '{"name":"a"}\n' },
  });
  firstCommit = await emulator.head(OWNER, REPO, 'main');
  head = await emulator.commitFiles({
    owner: OWNER,
    repo: REPO,
    branch: 'main',
    message: 'More packages',
    files: {
      'packages/b/meta.json': '{"name":"b"}\n',
      'packages/b/bin/run.sh': { content: '#!/bin/sh\n', mode: '100755' },
      'packages/b/link': { content: 'meta.json', mode: '120000' },
    },
  });
});

afterEach(() => {
  emulator.setTreeTruncationLimit(undefined);
  emulator.failTeamChecks(undefined);
  emulator.assertClean();
});

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('git trees', () => {
  it('lists one level of the tree a commit SHA names, with sizes for blobs only', async () => {
    const tree = await git('rev-parse', `${head}^{tree}`);
    const { data } = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head });
    expect(data.sha).toBe(tree);
    expect(data.url).toBe(`${emulator.url}/repos/${OWNER}/${REPO}/git/trees/${tree}`);
    expect(data.truncated).toBe(false);
    expect(data.tree.map((e) => e.path)).toEqual(['README.md', 'packages']);
    const [readme, packages] = data.tree;
    expect(readme).toEqual({
      path: 'README.md',
      mode: '100644',
      type: 'blob',
      sha: await git('rev-parse', `${head}:README.md`),
      size: '# registry\n'.length,
      url: `${emulator.url}/repos/${OWNER}/${REPO}/git/blobs/${readme!.sha}`,
    });
    expect(packages).toEqual({
      path: 'packages',
      mode: '040000',
      type: 'tree',
      sha: await git('rev-parse', `${head}:packages`),
      url: `${emulator.url}/repos/${OWNER}/${REPO}/git/trees/${packages!.sha}`,
    });
  });

  it('lists a tree by its own SHA and by branch name; recursive listings give full paths', async () => {
    const sub = await git('rev-parse', `${head}:packages/b`);
    const flat = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: sub });
    expect(flat.data.sha).toBe(sub);
    expect(flat.data.tree.map((e) => [e.path, e.mode, e.type])).toEqual([
      ['bin', '040000', 'tree'],
      ['link', '120000', 'blob'],
      ['meta.json', '100644', 'blob'],
    ]);

    const deep = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: sub, recursive: '1' });
    expect(deep.data.tree.map((e) => e.path)).toEqual(['bin', 'bin/run.sh', 'link', 'meta.json']);
    expect(deep.data.tree.find((e) => e.path === 'bin/run.sh')).toMatchObject({ mode: '100755', size: '#!/bin/sh\n'.length });

    // Any value asks for recursion, `false` included, as on GitHub.
    const byBranch = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: 'main', recursive: 'false' });
    expect(byBranch.data.sha).toBe(await git('rev-parse', `${head}^{tree}`));
    expect(byBranch.data.tree.map((e) => e.path)).toEqual([
      'README.md',
      'packages',
      'packages/a',
      'packages/a/meta.json',
      'packages/b',
      'packages/b/bin',
      'packages/b/bin/run.sh',
      'packages/b/link',
      'packages/b/meta.json',
    ]);
    expect(byBranch.data.truncated).toBe(false);

    // An older commit still answers its own tree.
    const old = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: firstCommit, recursive: '1' });
    expect(old.data.tree.map((e) => e.path)).toEqual(['README.md', 'packages', 'packages/a', 'packages/a/meta.json']);
  });

  it('truncates recursive listings past the limit, not one-level ones', async () => {
    emulator.setTreeTruncationLimit(3);
    const deep = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head, recursive: '1' });
    expect(deep.data.truncated).toBe(true);
    expect(deep.data.tree.map((e) => e.path)).toEqual(['README.md', 'packages', 'packages/a']);

    // A client's fallback: walk the subtrees one level at a time, none of which is truncated.
    const flat = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head });
    expect(flat.data.truncated).toBe(false);
    const sub = flat.data.tree.find((e) => e.path === 'packages')!;
    const listing = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: sub.sha });
    expect(listing.data.tree.map((e) => e.path)).toEqual(['a', 'b']);

    emulator.setTreeTruncationLimit(9);
    const exact = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head, recursive: '1' });
    expect(exact.data.truncated).toBe(false);
    expect(exact.data.tree).toHaveLength(9);
  });

  it('lags by branch name while stale reads are on, never by SHA', async () => {
    emulator.setStaleReads(true);
    try {
      const before = await git('rev-parse', `${head}^{tree}`);
      const moved = await emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'side', message: 'Side', files: { 'x.txt': 'x\n' } });
      const next = await emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'side', message: 'Side 2', files: { 'y.txt': 'y\n' } });
      const stale = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: 'side' });
      expect(stale.data.sha).toBe(await git('rev-parse', `${moved}^{tree}`));
      const fresh = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: 'side' });
      expect(fresh.data.sha).toBe(await git('rev-parse', `${next}^{tree}`));
      const bySha = await octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: head });
      expect(bySha.data.sha).toBe(before);
    } finally {
      emulator.setStaleReads(false);
    }
  });

  it('answers 404 for an unknown SHA, branch or blob, and in an unknown repository', async () => {
    const blob = await git('rev-parse', `${head}:README.md`);
    for (const tree_sha of ['f'.repeat(40), 'no-such-branch', blob]) {
      await expect(octokit.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha })).rejects.toMatchObject({ status: 404 });
    }
    await expect(octokit.rest.git.getTree({ owner: OWNER, repo: 'nope', tree_sha: head })).rejects.toMatchObject({ status: 404 });
  });
});

describe('team memberships', () => {
  beforeAll(() => {
    emulator.addTeamMember({ org: ORG, team: 'maintainers', login: 'alice' });
    emulator.addTeamMember({ org: ORG, team: 'maintainers', login: 'bob', role: 'maintainer', state: 'pending' });
    emulator.addTeamMember({ org: ORG, team: 'maintainers', login: 'carol' });
    emulator.removeTeamMember({ org: ORG, team: 'maintainers', login: 'carol' });
  });

  const check = (client: Octokit, username: string, team_slug = 'maintainers') =>
    client.rest.teams.getMembershipForUserInOrg({ org: ORG, team_slug, username });

  it('answers active and pending memberships to an org-scoped token', async () => {
    const alice = await check(orgOctokit, 'alice');
    expect(alice.status).toBe(200);
    expect(alice.data).toEqual({ url: expect.stringMatching(/\/teams\/\d+\/memberships\/alice$/), role: 'member', state: 'active' });

    // Logins are case-insensitive, as on GitHub.
    const bob = await check(orgOctokit, 'Bob');
    expect(bob.data).toMatchObject({ role: 'maintainer', state: 'pending' });
  });

  it('answers 404 for non-members, removed members and unknown teams', async () => {
    await expect(check(orgOctokit, 'mallory')).rejects.toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });
    await expect(check(orgOctokit, 'carol')).rejects.toMatchObject({ status: 404 });
    await expect(check(orgOctokit, 'alice', 'nobody')).rejects.toMatchObject({ status: 404 });
    expect(emulator.removeTeamMember({ org: ORG, team: 'maintainers', login: 'carol' })).toBe(false);
  });

  it("answers 404 to a token without organisation access, even for a member", async () => {
    await expect(check(octokit, 'alice')).rejects.toMatchObject({ status: 404 });
    const last = emulator.requests.at(-1)!;
    expect(last).toMatchObject({ route: '/orgs/{org}/teams/{team_slug}/memberships/{username}', status: 404 });
  });

  it('answers the status failTeamChecks sets, then recovers', async () => {
    emulator.failTeamChecks(500);
    await expect(check(orgOctokit, 'alice')).rejects.toMatchObject({ status: 500, response: { data: { message: 'Server Error' } } });
    emulator.failTeamChecks(403);
    await expect(check(orgOctokit, 'alice')).rejects.toMatchObject({ status: 403 });
    emulator.failTeamChecks(undefined);
    expect((await check(orgOctokit, 'alice')).data.state).toBe('active');
    expect(emulator.requests.slice(-3).map((r) => r.status)).toEqual([500, 403, 200]);
  });

  it('still flags a response that breaks the description', async () => {
    emulator.corruptNextResponse(
      { method: 'GET', route: '/orgs/{org}/teams/{team_slug}/memberships/{username}' },
      (body: { state: string }) => ({ ...body, state: 'invited' }),
    );
    await check(orgOctokit, 'alice');
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining('/state must be equal to one of the allowed values')]);
  });
});

describe('team member listings', () => {
  const TEAM = 'trustees';
  const list = (client: Octokit, params: { team_slug?: string; role?: 'member' | 'maintainer' | 'all'; per_page?: number } = {}) =>
    client.rest.teams.listMembersInOrg({ org: ORG, team_slug: TEAM, ...params });

  beforeAll(() => {
    emulator.addUser({ id: 501, login: 'tess' });
    emulator.addUser({ id: 502, login: 'theo' });
    emulator.addUser({ id: 503, login: 'pending-pat' });
    emulator.addTeamMember({ org: ORG, team: TEAM, login: 'tess' });
    emulator.addTeamMember({ org: ORG, team: TEAM, login: 'theo', role: 'maintainer' });
    emulator.addTeamMember({ org: ORG, team: TEAM, login: 'pending-pat', state: 'pending' });
  });

  it('lists active members only, as users with their numeric ids and roles', async () => {
    const { data, status } = await list(orgOctokit);
    expect(status).toBe(200);
    // Octokit's types predate the `role` and `inherited` fields GitHub's description now lists for this endpoint.
    const withRoles = data as Array<(typeof data)[number] & { role?: string; inherited?: boolean }>;
    expect(withRoles.map((m) => [m.id, m.login, m.role, m.inherited])).toEqual([[501, 'tess', 'member', false], [502, 'theo', 'maintainer', false]]);
    expect(data[0]).toMatchObject({ type: 'User', site_admin: false, url: `${emulator.url}/users/tess` });
    expect((await list(orgOctokit, { role: 'maintainer' })).data.map((m) => m.login)).toEqual(['theo']);
  });

  it('pages with Link headers that octokit.paginate follows', async () => {
    for (let i = 0; i < 5; i++) {
      emulator.addUser({ id: 600 + i, login: `paged-${i}` });
      emulator.addTeamMember({ org: ORG, team: 'big', login: `paged-${i}` });
    }
    const first = await list(orgOctokit, { team_slug: 'big', per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toMatch(/rel="next"/);
    const all = await orgOctokit.paginate(orgOctokit.rest.teams.listMembersInOrg, { org: ORG, team_slug: 'big', per_page: 2 });
    expect(all.map((m) => m.id)).toEqual([600, 601, 602, 603, 604]);
  });

  it('follows the account: a renamed member is listed with the same id under the new login', async () => {
    emulator.addUser({ id: 504, login: 'rena' });
    emulator.addTeamMember({ org: ORG, team: 'renames', login: 'rena' });
    emulator.renameUser('rena', 'rena-2');
    emulator.addUser({ id: 666, login: 'rena' });
    const { data } = await list(orgOctokit, { team_slug: 'renames' });
    expect(data.map((m) => [m.id, m.login])).toEqual([[504, 'rena-2']]);
    // The membership check by login names whoever holds the login now.
    await expect(check(orgOctokit, 'rena', 'renames')).rejects.toMatchObject({ status: 404 });
    expect((await check(orgOctokit, 'rena-2', 'renames')).data.state).toBe('active');
  });

  it('answers 404 to a token without organisation access and for an unknown team', async () => {
    await expect(list(octokit)).rejects.toMatchObject({ status: 404 });
    await expect(list(orgOctokit, { team_slug: 'nobody' })).rejects.toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });
    expect(emulator.requests.at(-1)).toMatchObject({ route: '/orgs/{org}/teams/{team_slug}/members', status: 404, operation: 'teams/list-members-in-org' });
  });

  it('answers the status failTeamChecks sets', async () => {
    emulator.failTeamChecks(403);
    await expect(list(orgOctokit)).rejects.toMatchObject({ status: 403, response: { data: { message: 'Resource not accessible by integration' } } });
  });

  const check = (client: Octokit, username: string, team_slug: string) =>
    client.rest.teams.getMembershipForUserInOrg({ org: ORG, team_slug, username });
});

describe('repository visibility', () => {
  it.each([
    ['public', false],
    ['private', true],
    ['internal', true],
  ] as const)('answers for a repository that is %s: private %s and that visibility', async (visibility, isPrivate) => {
    await emulator.createRepository({ owner: 'vis', repo: `repo-${visibility}`, visibility, initialFiles: { 'a.txt': 'a\n' } });
    // The token can read it: the emulator, like a token with access, serves private repositories in full.
    const { data } = await octokit.rest.repos.get({ owner: 'vis', repo: `repo-${visibility}` });
    expect({ private: data.private, visibility: data.visibility }).toEqual({ private: isPrivate, visibility });
    const ref = await octokit.rest.git.getRef({ owner: 'vis', repo: `repo-${visibility}`, ref: 'heads/main' });
    expect(ref.status).toBe(200);
  });

  it('keeps the older `private: true` option meaning visibility private', async () => {
    await emulator.createRepository({ owner: 'vis', repo: 'old-style', private: true });
    const { data } = await octokit.rest.repos.get({ owner: 'vis', repo: 'old-style' });
    expect({ private: data.private, visibility: data.visibility }).toEqual({ private: true, visibility: 'private' });
  });
});
