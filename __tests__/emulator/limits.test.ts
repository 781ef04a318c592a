// GitHub's length limits on what Registrar writes to issues: comment bodies, issue bodies and titles.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { createGitHubClient, type GitHubClient } from '../../src/adapters/github/client.js';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const OWNER = 'registry-org';
const REPO = 'registry';

let emulator: GitHubEmulator;
let client: GitHubClient;
let issue: number;

beforeAll(async () => {
  emulator = await startEmulator();
  client = createGitHubClient({ token: 'test-token', baseUrl: emulator.url, paceMs: 1 });
  await emulator.createRepository({ owner: OWNER, repo: REPO });
  issue = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Publish left-pad', body: 'please', user: 'alice' }).number;
});

afterEach(() => emulator.assertClean());

afterAll(async () => {
  await emulator.close();
  await removeRoot(emulator);
});

function refusal(error: unknown): { status: number; data: unknown } {
  const { status, response } = error as { status: number; response: { data: unknown } };
  return { status, data: response.data };
}

const commentTooLong = (anchor: string) => ({
  message: 'Validation Failed',
  errors: [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' }],
  documentation_url: `https://docs.github.com/rest/issues/comments#${anchor}`,
  status: '422',
});

describe('comment bodies', () => {
  it('takes 65,536 characters and refuses 65,537 with GitHub\'s 422 body, storing nothing', async () => {
    const { data } = await client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'x'.repeat(65_536) });
    expect(data.body).toHaveLength(65_536);
    const error = await client.rest.issues
      .createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'y'.repeat(65_537) })
      .catch((e: unknown) => e);
    expect(refusal(error)).toEqual({ status: 422, data: commentTooLong('create-an-issue-comment') });
    expect(emulator.issue(OWNER, REPO, issue).comments.map((c) => c.body.length)).toEqual([65_536]);
  });

  it('counts characters, not UTF-16 units or bytes: 65,536 emoji are accepted', async () => {
    const emoji = '📦'.repeat(65_536);
    const { data } = await client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: emoji });
    expect(data.body).toBe(emoji);
    await expect(
      client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: `${emoji}!` }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('refuses an update past the limit and keeps the old body', async () => {
    const { data } = await client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'short' });
    const error = await client.rest.issues
      .updateComment({ owner: OWNER, repo: REPO, comment_id: data.id, body: 'z'.repeat(70_000) })
      .catch((e: unknown) => e);
    expect(refusal(error)).toEqual({ status: 422, data: commentTooLong('update-an-issue-comment') });
    const { data: after } = await client.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: data.id });
    expect(after.body).toBe('short');
  });
});

describe('issue fields', () => {
  it('refuses an issue body over 65,536 characters and a title over 256, changing nothing', async () => {
    const body = await client.rest.issues.update({ owner: OWNER, repo: REPO, issue_number: issue, body: 'b'.repeat(65_537) }).catch((e: unknown) => e);
    expect(refusal(body)).toEqual({
      status: 422,
      data: {
        message: 'Validation Failed',
        errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }],
        documentation_url: 'https://docs.github.com/rest/issues/issues#update-an-issue',
        status: '422',
      },
    });
    const title = await client.rest.issues
      .update({ owner: OWNER, repo: REPO, issue_number: issue, title: 't'.repeat(257), state: 'closed' })
      .catch((e: unknown) => e);
    expect(refusal(title)).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'Issue', code: 'custom', field: 'title', message: 'title is too long (maximum is 256 characters)' }] },
    });
    expect(emulator.issue(OWNER, REPO, issue)).toMatchObject({ title: 'Publish left-pad', body: 'please', state: 'open' });
    const { data } = await client.rest.issues.update({ owner: OWNER, repo: REPO, issue_number: issue, title: 't'.repeat(256), body: 'b'.repeat(65_536) });
    expect([data.title.length, data.body?.length]).toEqual([256, 65_536]);
  });
});
