// Trustees on the GitHub emulator: the team is listed once per run and people are matched by numeric id, so a renamed trustee still counts, whoever takes a trustee's old login does not, and a failed listing means no.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { Trustees } from '../../src/adapters/github/trustees.js';
import { removeRoot, startEmulator, type GitHubEmulator } from '../../test-support/github/emulator.js';

const ORG = 'registry';
const TEAM_TOKEN = 'org-read-token';
const MEMBERS_ROUTE = '/orgs/{org}/teams/{team_slug}/members';

let github: GitHubEmulator;
let teamCounter = 0;

/** A fresh team (so tests do not share members) and a Trustees instance for one run. */
function run(options: { ids?: number[]; token?: string; slug?: string } = {}) {
  const slug = options.slug ?? `trustees-${teamCounter}`;
  const client = createGitHubClient({ token: options.token ?? TEAM_TOKEN, baseUrl: github.url, paceMs: 1 });
  return new Trustees(options.ids ?? [], { org: ORG, slug, client });
}
function freshTeam(...members: Array<{ id: number; login: string; state?: 'active' | 'pending' }>): string {
  teamCounter += 1;
  const slug = `trustees-${teamCounter}`;
  for (const m of members) {
    github.addUser({ id: m.id, login: m.login });
    github.addTeamMember({ org: ORG, team: slug, login: m.login, ...(m.state ? { state: m.state } : {}) });
  }
  return slug;
}
const teamRequests = () => github.requests.filter((r) => r.route.startsWith(`/orgs/{org}/teams/`));

beforeAll(async () => {
  github = await startEmulator();
  github.allowOrgReads(TEAM_TOKEN);
});
afterEach(() => {
  github.failTeamChecks(undefined);
  github.assertClean();
});
afterAll(async () => {
  await github.close();
  await removeRoot(github);
});

describe('a trustee team, matched by numeric user id', () => {
  it('counts an active member and not a pending one or a stranger', async () => {
    const slug = freshTeam({ id: 7101, login: 'tess' }, { id: 7102, login: 'invited-ivy', state: 'pending' });
    const trustees = run({ slug });
    expect(await trustees.check({ id: 7101, login: 'tess' })).toEqual({ trustee: true, why: `@tess (user id 7101) is an active member of ${ORG}/${slug}` });
    expect((await trustees.check({ id: 7102, login: 'invited-ivy' })).trustee).toBe(false);
    expect(await trustees.check({ id: 7199, login: 'eve' })).toEqual({ trustee: false, why: `@eve (user id 7199) is not an active member of ${ORG}/${slug}` });
  });

  it('still counts a trustee who renamed their login, even when the event carries the old login', async () => {
    const slug = freshTeam({ id: 7201, login: 'old-name' });
    github.renameUser('old-name', 'new-name');
    // Someone else takes the released login before the run checks the comment made under it.
    github.addUser({ id: 7266, login: 'old-name' });
    const trustees = run({ slug });
    expect((await trustees.check({ id: 7201, login: 'new-name' })).trustee).toBe(true);
    expect((await trustees.check({ id: 7201, login: 'old-name' })).trustee).toBe(true);
  });

  it("does not count someone who holds a trustee's former login (another id), even under the trustee's current login", async () => {
    const slug = freshTeam({ id: 7301, login: 'taken' });
    github.renameUser('taken', 'taken-renamed');
    github.addUser({ id: 7366, login: 'taken' });
    const trustees = run({ slug });
    expect((await trustees.check({ id: 7366, login: 'taken' })).trustee).toBe(false);
    // A stale event: the newcomer commented while they held a login the trustee holds now.
    expect((await trustees.check({ id: 7366, login: 'taken-renamed' })).trustee).toBe(false);
  });

  it('checks a configured id without asking GitHub', async () => {
    const seen = teamRequests().length;
    expect(await run({ ids: [7401] }).check({ id: 7401, login: 'anyone' })).toEqual({ trustee: true, why: 'user id 7401 is in trustee-ids' });
    expect(teamRequests().length).toBe(seen);
  });
});

describe('one team listing per run', () => {
  it('lists the team once (every page) however many people one run checks', async () => {
    const members = Array.from({ length: 130 }, (_, i) => ({ id: 8000 + i, login: `member-${i}` }));
    const slug = freshTeam(...members);
    const trustees = run({ slug });
    const seen = github.requests.length;
    const checked = await Promise.all([...members, { id: 9999, login: 'eve' }, ...members.slice(0, 3)].map((m) => trustees.check(m)));
    expect(checked.filter((c) => c.trustee)).toHaveLength(133);
    const requests = github.requests.slice(seen);
    // 130 members at 100 a page: one listing is two pages, and nothing else was asked.
    expect(requests.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([`GET ${MEMBERS_ROUTE} 200`, `GET ${MEMBERS_ROUTE} 200`]);
    await trustees.check({ id: 8001, login: 'member-1' });
    expect(github.requests.length).toBe(seen + 2);
  });
});

describe('a failed team listing means "not a trustee", said distinctly', () => {
  it.each([
    [403, /^the team check for @tess failed \(403\): treated as not a trustee$/],
    [500, /^the team check for @tess failed \(500\): treated as not a trustee$/],
  ])('status %s: no, and the failure is remembered for the rest of the run', async (status, why) => {
    const slug = freshTeam({ id: 7501 + status, login: 'tess' });
    github.failTeamChecks(status);
    const trustees = run({ slug });
    const seen = github.requests.length;
    const first = await trustees.check({ id: 7501 + status, login: 'tess' });
    expect(first.trustee).toBe(false);
    expect(first.why).toMatch(why);
    const asked = github.requests.length - seen;
    // The retry plugin repeats a 5xx a few times within that one listing; a 403 is asked once.
    if (status === 403) expect(asked).toBe(1);
    github.failTeamChecks(undefined);
    expect((await trustees.check({ id: 7501 + status, login: 'tess' })).trustee).toBe(false);
    expect(github.requests.length - seen).toBe(asked);
  });

  it('a token that cannot see the team (404): no, said as a failed check', async () => {
    const slug = freshTeam({ id: 7601, login: 'tess' });
    const check = await run({ slug, token: 'workflow-token' }).check({ id: 7601, login: 'tess' });
    expect(check).toEqual({ trustee: false,
      why: `the team check for @tess failed (404: ${ORG}/${slug} does not exist or the team token cannot see it): treated as not a trustee` });
  });
});
