// The emulator's checks catch what GitHub would not accept or would not send: wrong requests, wrong responses.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';
import { checkResponse, matchRoute } from '../../test-support/github/openapi.js';

const OWNER = 'acme';
const REPO = 'registry';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emulator: GitHubEmulator;
let octokit: Octokit;
let issueNumber: number;

/** Returns the violations seen so far and forgets them, so afterEach's assertClean checks only the rest. */
function takeViolations(): string[] {
  return emulator.violations.splice(0);
}

beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'x', baseUrl: emulator.url, log: quiet });
  await emulator.createRepository({ owner: OWNER, repo: REPO });
  issueNumber = emulator.createIssue({ owner: OWNER, repo: REPO, title: 't', body: 'b', user: 'someone' }).number;
});

afterEach(() => emulator.assertClean());

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('wrong requests', () => {
  it('catches a request body with the wrong field', async () => {
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner: OWNER,
        repo: REPO,
        issue_number: issueNumber,
        text: 'x',
      } as never),
    ).rejects.toMatchObject({ status: 422 });
    const violations = takeViolations();
    expect(violations.join('\n')).toMatch(/issues\/\{issue_number\}\/comments: request body .*must have required property 'body'/);
    expect(violations.join('\n')).toMatch(/additionalProperty":"text"/);
  });

  it('catches a query parameter of the wrong type and an unknown one', async () => {
    await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      owner: OWNER,
      repo: REPO,
      issue_number: issueNumber,
      per_page: 'lots',
      sort: 'newest',
    } as never);
    const violations = takeViolations().join('\n');
    expect(violations).toMatch(/query parameter per_page="lots": .*must be integer/);
    expect(violations).toMatch(/unknown query parameter sort/);
  });

  it('catches a bad enum value in a body', async () => {
    await octokit
      .request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        owner: OWNER,
        repo: REPO,
        issue_number: issueNumber,
        state: 'finished',
      } as never)
      .catch(() => undefined);
    expect(takeViolations().join('\n')).toMatch(/request body .*\/state must be equal to one of the allowed values/);
  });

  it('catches calls to routes GitHub does not have or the emulator does not implement', async () => {
    await expect(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner: OWNER, repo: REPO })).rejects.toMatchObject({
      status: 404,
    });
    await expect(octokit.rest.repos.listTags({ owner: OWNER, repo: REPO })).rejects.toMatchObject({ status: 404 });
    const violations = takeViolations().join('\n');
    expect(violations).toMatch(/no such route/);
    expect(violations).toMatch(/repos\/list-tags is not implemented/);
  });

  it('does not count a missing token as a violation: GitHub answers 401 everywhere', async () => {
    const anonymous = new Octokit({ baseUrl: emulator.url, log: quiet });
    await expect(anonymous.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issueNumber })).rejects.toMatchObject({
      status: 401,
    });
    expect(emulator.requests.at(-1)).toMatchObject({ route: '/repos/{owner}/{repo}/issues/{issue_number}', status: 401 });
  });
});

describe('wrong responses', () => {
  it('catches a response body that breaks the schema', async () => {
    emulator.corruptNextResponse({ method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}' }, (body) => {
      delete body.number;
      body.state_reason = 'bored';
    });
    await octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issueNumber });
    const violations = takeViolations().join('\n');
    expect(violations).toMatch(/must have required property 'number'/);
    expect(violations).toMatch(/\/state_reason must be equal to one of the allowed values/);
  });

  it('catches a response that lacks a property GitHub sends (per the documented example)', async () => {
    // Neither key is required by the schema, but GitHub sends both and the documented example shows them.
    emulator.corruptNextResponse({ method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}' }, (body) => {
      delete body.author_association;
      delete body.closed_by;
    });
    await octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issueNumber });
    const violations = takeViolations();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/missing properties GitHub sends: closed_by, author_association$/);
  });

  it('catches a wrong nested type in a list response', async () => {
    emulator.addComment({ owner: OWNER, repo: REPO, issue: issueNumber, body: 'hello', user: 'someone' });
    emulator.corruptNextResponse({ method: 'GET', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments' }, (body) => {
      body[0].user.id = 'seven';
    });
    await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: issueNumber });
    expect(takeViolations().join('\n')).toMatch(/\/0\/user\/id must be integer/);
  });

  it('catches a status the operation does not document', () => {
    const match = matchRoute('POST', '/repos/acme/registry/issues/1/comments');
    expect(match?.operation.operationId).toBe('issues/create-comment');
    expect(checkResponse(match!.operation, 200, {})).toEqual([
      expect.stringMatching(/status 200 is not documented for issues\/create-comment/),
    ]);
    // A 404 is what GitHub answers anywhere a thing is missing, listed or not.
    expect(checkResponse(match!.operation, 404, { message: 'Not Found', documentation_url: 'x' })).toEqual([]);
  });

  it('catches a GraphQL document that does not fit GitHub\'s schema', async () => {
    await expect(octokit.graphql('query { repository(owner: "acme", name: "registry") { nonsense } }')).rejects.toMatchObject({
      errors: [expect.objectContaining({ message: expect.stringContaining('nonsense') })],
    });
    expect(takeViolations().join('\n')).toMatch(/graphql: invalid document: .*nonsense/);
  });

  it('flags a valid GraphQL field the emulator does not implement instead of inventing a value', async () => {
    await expect(
      octokit.graphql('query { repository(owner: "acme", name: "registry") { stargazerCount } }'),
    ).rejects.toBeDefined();
    expect(takeViolations().join('\n')).toMatch(/does not implement Repository\.stargazerCount/);
  });
});
