// Every answer GitHub and S3 can give, sent over real HTTP to the real clients Registrar composes, classified once (src/adapters/errors.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { gitHubError } from '../../src/adapters/errors.js';
import { createS3Storage } from '../../src/adapters/s3.js';
import { RegistrarError, judgesTheRequest } from '../../src/errors.js';

interface Answer { status: number; headers?: Record<string, string>; body?: string }

/** A server that answers every request with the current answer (or resets the connection) and counts requests. */
let server: Server;
let base = '';
let answer: Answer | 'reset' = { status: 200 };
let requests = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    req.resume();
    req.on('end', () => {
      if (answer === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
      res.end(req.method === 'HEAD' ? undefined : answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const github = () => createGitHubClient({ token: 't', baseUrl: base, paceMs: 1 });
const json = (value: unknown) => JSON.stringify(value);
const DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

async function restFailure(given: Answer | 'reset'): Promise<{ error: RegistrarError; requests: number }> {
  answer = given;
  requests = 0;
  const thrown = await github().rest.repos.get({ owner: 'acme', repo: 'left-pad' }).then(() => undefined, (e: unknown) => e);
  if (thrown === undefined) throw new Error('the request succeeded');
  return { error: gitHubError(thrown, 'read acme/left-pad'), requests };
}

async function graphqlFailure(errors: unknown[], headers: Record<string, string> = {}): Promise<{ error: RegistrarError; requests: number }> {
  answer = { status: 200, headers, body: json({ data: null, errors }) };
  requests = 0;
  const thrown = await github().graphql('query { viewer { login } }').then(() => undefined, (e: unknown) => e);
  if (thrown === undefined) throw new Error('the request succeeded');
  return { error: gitHubError(thrown, 'commit to the registry'), requests };
}

describe('GitHub answers, through the Octokit client Registrar composes', () => {
  it('a 403 secondary rate limit is transient and rate-limited (after the throttling plugin waited), not a permission problem', async () => {
    const { error, requests: sent } = await restFailure({ status: 403, headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4999' },
      body: json({ message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS }) });
    expect(error).toMatchObject({ kind: 'transient', reason: 'rate-limited', retryAfterSeconds: 1 });
    expect(error.hint).toMatch(/rate-limiting/);
    expect(judgesTheRequest(error)).toBe(false);
    expect(sent).toBe(3); // the first try and the plugin's two waits
  });

  it('a 429 with retry-after is rate-limited with the wait GitHub asked for', async () => {
    const { error } = await restFailure({ status: 429, headers: { 'retry-after': '120' }, body: json({ message: 'Too Many Requests' }) });
    expect(error).toMatchObject({ kind: 'transient', reason: 'rate-limited', retryAfterSeconds: 120 });
    expect(error.hint).toMatch(/after 2 min/);
  });

  it('a 403 primary rate limit (x-ratelimit-remaining: 0) is rate-limited until the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 300;
    const { error } = await restFailure({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: json({ message: 'API rate limit exceeded for installation ID 1.', documentation_url: DOCS }) });
    expect(error).toMatchObject({ kind: 'transient', reason: 'rate-limited' });
    expect(error.retryAfterSeconds).toBeGreaterThan(200);
  });

  it('a 403 without a rate limit is a permission problem that names the token', async () => {
    const { error } = await restFailure({ status: 403, body: json({ message: 'Resource not accessible by integration' }) });
    expect(error).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(error.message).toMatch(/403.*Resource not accessible by integration/);
    expect(error.hint).toMatch(/token's permissions/);
    expect(judgesTheRequest(error)).toBe(false);
  });

  it('quotes the answer\'s message on one line, capped, however long GitHub made it', async () => {
    const { error } = await restFailure({ status: 403, body: json({ message: `denied\n${'x'.repeat(10_000)}` }) });
    expect(error.message).toMatch(/\(`denied x{193}…`\)/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('401 is a credentials problem', async () => {
    const { error } = await restFailure({ status: 401, body: json({ message: 'Bad credentials' }) });
    expect(error).toMatchObject({ kind: 'refused', reason: 'credentials' });
  });

  it('404 is not-found (what it means is the caller\'s to decide; never "absent" by itself)', async () => {
    const { error } = await restFailure({ status: 404, body: json({ message: 'No commit found for the ref 0123456789abcdef0123456789abcdef01234567' }) });
    expect(error).toMatchObject({ kind: 'not-found', reason: 'missing' });
    expect(error.message).toMatch(/No commit found for the ref/);
  });

  it('409 and a 422 "not a fast forward" are conflicts; other 422s are refusals of what Registrar sent', async () => {
    expect((await restFailure({ status: 409, body: json({ message: 'Conflict' }) })).error).toMatchObject({ kind: 'conflict' });
    expect((await restFailure({ status: 422, body: json({ message: 'Update is not a fast forward' }) })).error).toMatchObject({ kind: 'conflict' });
    const { error } = await restFailure({ status: 422, body: json({ message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] }) });
    expect(error).toMatchObject({ kind: 'refused', reason: 'invalid' });
  });

  it.each([500, 502, 503, 504])('%i is transient, after the client retried it', async (status) => {
    const { error, requests: sent } = await restFailure({ status, body: json({ message: 'Server Error' }) });
    expect(error).toMatchObject({ kind: 'transient', reason: 'server' });
    expect(sent).toBe(4);
  });

  it('a connection reset (no answer at all) is transient and says GitHub did not answer', async () => {
    const { error } = await restFailure('reset');
    expect(error).toMatchObject({ kind: 'transient', reason: 'network' });
    expect(error.message).toMatch(/before GitHub answered/);
  });

  it('FORBIDDEN inside HTTP 200 ends at once as a permission problem, without a retry', async () => {
    const { error, requests: sent } = await graphqlFailure([{ type: 'FORBIDDEN', path: ['createCommitOnBranch'], message: 'Resource not accessible by integration' }]);
    expect(error).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(error.message).toMatch(/FORBIDDEN.*Resource not accessible by integration/);
    expect(error.hint).toMatch(/contents: write/);
    expect(sent).toBe(1);
  });

  it('RATE_LIMITED inside HTTP 200 is rate-limited (the throttling plugin waits for the reset, then gives up)', async () => {
    const reset = String(Math.floor(Date.now() / 1000));
    const { error, requests: sent } = await graphqlFailure([{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }],
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    expect(error).toMatchObject({ kind: 'transient', reason: 'rate-limited' });
    expect(sent).toBe(3);
  });

  it('STALE_DATA is a conflict and NOT_FOUND is not-found', async () => {
    expect((await graphqlFailure([{ type: 'STALE_DATA', message: 'Expected branch to point to "abc" but it did not. Pull and try again.' }])).error)
      .toMatchObject({ kind: 'conflict', reason: 'stale' });
    expect((await graphqlFailure([{ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'acme/x'." }])).error)
      .toMatchObject({ kind: 'not-found' });
  });
});

describe('S3 answers, through the S3 adapter', () => {
  const storage = () => createS3Storage({ name: 'primary', endpoint: base, region: 'us-east-1', bucket: 'b',
    credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  const xml = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`;
  const put = async (given: Answer) => {
    answer = { ...given, headers: { 'content-type': 'application/xml', ...given.headers } };
    requests = 0;
    const thrown = await storage().put('staging/x/1.0.0/a.tar.gz', new Uint8Array([1]), { sha256Hex: 'a'.repeat(64) }).then(() => undefined, (e: unknown) => e);
    return { error: thrown as RegistrarError, requests };
  };

  it('SlowDown (503) is transient and rate-limited, after the SDK retried', async () => {
    const { error, requests: sent } = await put({ status: 503, body: xml('SlowDown', 'Please reduce your request rate.') });
    expect(error).toMatchObject({ kind: 'transient', reason: 'rate-limited' });
    expect(sent).toBe(3);
  });

  it('InternalError (500) is transient', async () => {
    expect((await put({ status: 500, body: xml('InternalError', 'We encountered an internal error. Please try again.') })).error)
      .toMatchObject({ kind: 'transient', reason: 'server' });
  });

  it('AccessDenied is a permission problem that names the backend', async () => {
    const { error } = await put({ status: 403, body: xml('AccessDenied', 'Access Denied') });
    expect(error).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(error.hint).toMatch(/backend "primary"/);
  });

  it('PreconditionFailed is a conflict, NoSuchBucket a configuration problem', async () => {
    expect((await put({ status: 412, body: xml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold') })).error)
      .toMatchObject({ kind: 'conflict' });
    expect((await put({ status: 404, body: xml('NoSuchBucket', 'The specified bucket does not exist') })).error)
      .toMatchObject({ kind: 'not-found', reason: 'configuration' });
  });

  it('NoSuchKey is an answer, not an error, for head (S3 is strongly consistent)', async () => {
    answer = { status: 404, headers: { 'content-type': 'application/xml' }, body: xml('NoSuchKey', 'The specified key does not exist.') };
    await expect(storage().read('x/1.0.0.tar.gz')).resolves.toBeUndefined();
  });
});
