// The fault proxy's answers in the services' place — 5xx, rate limits, GraphQL errors, exhausted retries — and its lagging reads, seen through raw HTTP and through Registrar's own clients against a real emulator and a real S3 server.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { removeRoot, startEmulator, type GitHubEmulator } from '../../test-support/github/emulator.js';
import { startS3, type S3TestServer } from '../../test-support/s3.js';
import {
  applicable,
  FAULT_MODES,
  FaultPlan,
  githubRoute,
  REPLICA_LAG_HEADER,
  s3Route,
  startFaultProxy,
  type Fault,
  type FaultProxy,
} from '../../test-support/faults/index.js';
import { createGitHubClient } from '../../src/adapters/github/client.js';

const OWNER = 'registry';
const REPO = 'registry';
const BUCKET = 'answers-bucket';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const GET_REPO = 'GET /repos/{owner}/{repo}';
const GET_REF = 'GET /repos/{owner}/{repo}/git/ref/{ref}';
const ISSUE_COMMENTS = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const GQL_REPOSITORY = 'POST graphql:repository';
const GQL_COMMIT = 'POST graphql:createCommitOnBranch';
const PUT_STAGING = `PUT s3:PutObject ${BUCKET}/staging`;
const HEAD_STAGING = `HEAD s3:HeadObject ${BUCKET}/staging`;
const stagingKey = (tag: string) => `staging/${tag}/1.0.0/${createHash('sha256').update(tag).digest('hex')}.tar.gz`;

/** A multi-line document, so the error locations the proxy reports can be checked against real positions. */
const HEAD_QUERY = `query Head($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    ref(qualifiedName: "refs/heads/main") { target { oid } }
  }
}`;
const COMMIT_MUTATION = `mutation Commit($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid } }
}`;

let emulator: GitHubEmulator;
let s3: S3TestServer;
const plan = new FaultPlan();
let github: FaultProxy;
let storage: FaultProxy;
let octokit: Octokit;
let issue: number;

beforeAll(async () => {
  emulator = await startEmulator();
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  await emulator.createRepository({ owner: OWNER, repo: REPO, initialFiles: { 'README.md': '# registry\n' } });
  issue = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Publish', body: '{}', user: 'ada' }).number;
  github = await startFaultProxy({ name: 'github', target: emulator.url, plan, classify: githubRoute });
  storage = await startFaultProxy({ name: 's3', target: s3.endpoint, plan, classify: s3Route });
  // No retry plugin: one call is one request, so the raw answer reaches the test.
  octokit = new Octokit({ auth: 'test-token', baseUrl: github.url, log: quiet });
});

beforeEach(() => plan.set([]));
afterEach(() => emulator.assertClean());

afterAll(async () => {
  await github?.close();
  await storage?.close();
  await emulator?.close();
  if (emulator) await removeRoot(emulator);
  await s3?.close();
});

/** Registrar's own client: retry + throttling plugins, paced at 1 ms as in-process tests run it. */
const registrarClient = () => createGitHubClient({ token: 'test-token', baseUrl: github.url, paceMs: 1 });

function s3Client(maxAttempts?: number): S3Client {
  return new S3Client({
    endpoint: storage.url,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const emulatorSaw = (route: string) => emulator.requests.filter((r) => r.route === route).length;
const auth = { authorization: 'token test-token' };
const graphqlBody = (query: string, variables: unknown) => JSON.stringify({ query, variables });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function stored(key: string): Promise<string | undefined> {
  return (await s3.listRaw(BUCKET, key)).find((o) => o.key === key)?.sha256;
}

/** The 1-based line and column where `needle` starts in `text`. */
function position(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** Resolves to the rejection, failing the test if the call succeeded. */
async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('the call succeeded, but the proxy should have failed it');
    },
    (error: unknown) => error,
  );
}

describe('status-5xx', () => {
  it("answers a GitHub read with GitHub's 502 in the emulator's place, once", async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'status-5xx' }]);
    const seen = emulatorSaw('/repos/{owner}/{repo}');
    const response = await fetch(`${github.url}/repos/${OWNER}/${REPO}`, { headers: auth });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('server')).toBe('GitHub.com');
    expect(response.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/);
    // The gateway answers a 502, not the API: no rate-limit accounting on it.
    expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
    const text = await response.text();
    expect(text).toBe('{\n  "message": "Server Error"\n}\n');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(emulatorSaw('/repos/{owner}/{repo}')).toBe(seen);

    // Only the named occurrence: the next one goes through.
    const again = await fetch(`${github.url}/repos/${OWNER}/${REPO}`, { headers: auth });
    expect(again.status).toBe(200);
    expect(emulatorSaw('/repos/{owner}/{repo}')).toBe(seen + 1);
    expect(plan.log).toEqual([
      { seq: 1, proxy: 'github', route: GET_REPO, occurrence: 1, outcome: 'answered', status: 502, answer: 'Server Error' },
      { seq: 2, proxy: 'github', route: GET_REPO, occurrence: 2, outcome: 'passed', status: 200 },
    ]);
    expect(plan.fired()).toEqual([{ route: GET_REPO, occurrence: 1, mode: 'status-5xx' }]);
  });

  it('keeps a GitHub write from the emulator: Octokit gets a 502 and no comment exists', async () => {
    plan.set([{ route: ISSUE_COMMENTS, occurrence: 1, mode: 'status-5xx' }]);
    const before = emulator.issue(OWNER, REPO, issue).comments.length;
    const error = await rejection(octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'never posted' }));
    expect(error.status).toBe(502);
    expect(error.response.data).toEqual({ message: 'Server Error' });
    expect(emulator.issue(OWNER, REPO, issue).comments.length).toBe(before);
  });

  it('answers GraphQL with the same 502: the gateway fails before GraphQL runs', async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'status-5xx' }]);
    const seen = emulatorSaw('graphql:repository');
    const error = await rejection(octokit.graphql(HEAD_QUERY, { owner: OWNER, name: REPO }));
    expect(error.status).toBe(502);
    expect(emulatorSaw('graphql:repository')).toBe(seen);
    expect(plan.log).toMatchObject([{ route: GQL_REPOSITORY, outcome: 'answered', status: 502 }]);
  });

  it("answers an S3 put with S3's InternalError XML, and nothing is stored", async () => {
    const key = stagingKey('internal-error');
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'status-5xx' }]);
    // Unsigned is fine: the proxy answers before any server could check a signature.
    const response = await fetch(`${storage.url}/${BUCKET}/${key}`, { method: 'PUT', body: 'bytes' });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/xml');
    const xml = await response.text();
    const match =
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>InternalError<\/Code><Message>We encountered an internal error\. Please try again\.<\/Message><RequestId>([0-9A-F]{16})<\/RequestId><HostId>([A-Za-z0-9+/=]+)<\/HostId><\/Error>$/.exec(
        xml,
      );
    expect(match).not.toBeNull();
    expect(response.headers.get('x-amz-request-id')).toBe(match![1]);
    expect(response.headers.get('x-amz-id-2')).toBe(match![2]);
    expect(await stored(key)).toBeUndefined();
    expect(plan.log).toMatchObject([{ proxy: 's3', route: PUT_STAGING, outcome: 'answered', status: 500, answer: 'InternalError' }]);
  });

  it('answers an S3 HEAD with the status and headers only, and the SDK reports the 500', async () => {
    plan.set([
      { route: HEAD_STAGING, occurrence: 1, mode: 'status-5xx' },
      { route: HEAD_STAGING, occurrence: 2, mode: 'status-5xx' },
    ]);
    const key = stagingKey('head');
    const response = await fetch(`${storage.url}/${BUCKET}/${key}`, { method: 'HEAD' });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    const client = s3Client(1);
    try {
      const error = await rejection(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
      expect(error.$metadata.httpStatusCode).toBe(500);
    } finally {
      client.destroy();
    }
    expect(plan.log.map((r) => [r.outcome, r.status])).toEqual([
      ['answered', 500],
      ['answered', 500],
    ]);
  });
});

describe('rate-limited', () => {
  it("answers GitHub's secondary rate limit: 403, retry-after, a body naming it, the primary budget not spent", async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'rate-limited' }]);
    const seen = emulatorSaw('/repos/{owner}/{repo}');
    const response = await fetch(`${github.url}/repos/${OWNER}/${REPO}`, { headers: auth });
    expect(response.status).toBe(403);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(response.headers.get('x-ratelimit-resource')).toBe('core');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const id = response.headers.get('x-github-request-id');
    expect(await response.json()).toEqual({
      message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403',
    });
    expect(emulatorSaw('/repos/{owner}/{repo}')).toBe(seen);
    expect(plan.log).toMatchObject([{ outcome: 'answered', status: 403, answer: 'secondary-rate-limit' }]);
  });

  it('sends the 429 variant with the retry-after it was given', async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'rate-limited', rateLimitStatus: 429, retryAfterSeconds: 7 }]);
    const response = await fetch(`${github.url}/repos/${OWNER}/${REPO}`, { headers: auth });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    const body = (await response.json()) as { message: string; status: string };
    expect(body.message).toMatch(/^You have exceeded a secondary rate limit\./);
    expect(body.status).toBe('429');
  });

  it('limits GraphQL with the same 403, counted against the graphql resource', async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'rate-limited' }]);
    const response = await fetch(`${github.url}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: graphqlBody(HEAD_QUERY, { owner: OWNER, name: REPO }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-ratelimit-resource')).toBe('graphql');
    expect(((await response.json()) as { message: string }).message).toMatch(/secondary rate limit/);
  });

  it.each([403, 429] as const)("Registrar's client waits out a %i secondary limit and retries: one answered, one passed", async (status) => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'rate-limited', rateLimitStatus: status }]);
    const { data } = await registrarClient().rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data.full_name).toBe(`${OWNER}/${REPO}`);
    expect(plan.log.map((r) => [r.route, r.outcome, r.status])).toEqual([
      [GET_REPO, 'answered', status],
      [GET_REPO, 'passed', 200],
    ]);
  });

  it("answers S3 with SlowDown, and the SDK's own retry stores the object", async () => {
    const key = stagingKey('slow-down');
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'rate-limited' }]);
    const raw = await fetch(`${storage.url}/${BUCKET}/${key}`, { method: 'PUT', body: 'x' });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBeNull();
    expect(await raw.text()).toMatch(/<Error><Code>SlowDown<\/Code><Message>Please reduce your request rate\.<\/Message><RequestId>/);

    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'rate-limited' }]);
    const client = s3Client(); // the SDK's default: 3 attempts
    try {
      const result = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('after slowing down') }));
      expect(result.$metadata.attempts).toBe(2);
    } finally {
      client.destroy();
    }
    expect(await stored(key)).toBe(sha256(Buffer.from('after slowing down')));
    expect(plan.log.map((r) => [r.outcome, r.status, r.answer])).toEqual([
      ['answered', 503, 'SlowDown'],
      ['passed', 200, undefined],
    ]);
  });
});

describe('graphql-error', () => {
  it('answers FORBIDDEN inside HTTP 200, located at the root field, and the emulator never sees it', async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error' }]);
    const seen = emulatorSaw('graphql:repository');
    const error = await rejection(octokit.graphql(HEAD_QUERY, { owner: OWNER, name: REPO }));
    expect(error.name).toBe('GraphqlResponseError');
    expect(error.data).toEqual({ repository: null });
    expect(error.errors).toEqual([
      {
        type: 'FORBIDDEN',
        path: ['repository'],
        extensions: { saml_failure: false },
        locations: [position(HEAD_QUERY, 'repository(')],
        message: 'Resource not accessible by integration',
      },
    ]);
    expect(emulatorSaw('graphql:repository')).toBe(seen);
    expect(plan.log).toMatchObject([{ route: GQL_REPOSITORY, outcome: 'answered', status: 200, answer: 'graphql:FORBIDDEN' }]);
  });

  it('answers STALE_DATA to createCommitOnBranch naming the expected head, and the branch stays put', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    plan.set([{ route: GQL_COMMIT, occurrence: 1, mode: 'graphql-error', graphqlType: 'STALE_DATA' }]);
    const input = {
      branch: { repositoryNameWithOwner: `${OWNER}/${REPO}`, branchName: 'main' },
      expectedHeadOid: head,
      message: { headline: 'never committed' },
      fileChanges: { additions: [{ path: 'x.txt', contents: Buffer.from('x').toString('base64') }] },
    };
    const error = await rejection(octokit.graphql(COMMIT_MUTATION, { input }));
    expect(error.errors).toEqual([
      {
        type: 'STALE_DATA',
        path: ['createCommitOnBranch'],
        locations: [position(COMMIT_MUTATION, 'createCommitOnBranch(')],
        message: `Expected branch to point to "${head}" but it did not.`,
      },
    ]);
    expect(await emulator.head(OWNER, REPO, 'main')).toBe(head);
  });

  it('answers NOT_FOUND naming the repository the query asked for', async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error', graphqlType: 'NOT_FOUND' }]);
    const error = await rejection(octokit.graphql(HEAD_QUERY, { owner: 'acme', name: 'hidden' }));
    expect(error.errors).toMatchObject([{ type: 'NOT_FOUND', path: ['repository'], message: "Could not resolve to a Repository with the name 'acme/hidden'." }]);
  });

  it("answers RATE_LIMITED with the budget spent, and Registrar's client waits and retries", async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error', graphqlType: 'RATE_LIMITED' }]);
    const raw = await fetch(`${github.url}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: graphqlBody(HEAD_QUERY, { owner: OWNER, name: REPO }),
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(raw.headers.get('x-ratelimit-resource')).toBe('graphql');
    expect(Number(raw.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(await raw.json()).toEqual({ errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }] });

    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error', graphqlType: 'RATE_LIMITED' }]);
    const result = await registrarClient().graphql<{ repository: { ref: { target: { oid: string } } } }>(HEAD_QUERY, { owner: OWNER, name: REPO });
    expect(result.repository.ref.target.oid).toBe(await emulator.head(OWNER, REPO, 'main'));
    expect(plan.log.map((r) => [r.outcome, r.answer])).toEqual([
      ['answered', 'graphql:RATE_LIMITED'],
      ['passed', undefined],
    ]);
  });

  it('is refused on a REST route when the plan is set, not silently ignored', () => {
    expect(() => plan.set([{ route: GET_REPO, occurrence: 1, mode: 'graphql-error' }])).toThrow(TypeError);
    expect(() => plan.set([{ route: GET_REPO, occurrence: 1, mode: 'graphql-error' }])).toThrow(/does not apply to GET \/repos\/\{owner\}\/\{repo\}/);
    expect(() => new FaultPlan([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error', graphqlType: 'STALE_DATA' }])).toThrow(/STALE_DATA/);
  });
});

describe('lagging-read', () => {
  let upstream: Server;
  let lagProxy: FaultProxy;
  const received: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    // A tiny upstream that records what arrives: the emulator's replica behaviour is its own business, the header is ours.
    upstream = createServer((req, res) => {
      received.push({ url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    lagProxy = await startFaultProxy({ name: 'github', target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, plan, classify: githubRoute });
  });
  beforeEach(() => {
    received.length = 0;
  });
  afterAll(async () => {
    await lagProxy?.close();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it('forwards the named read once with the replica-lag header, and the next one without', async () => {
    plan.set([{ route: GET_REF, occurrence: 1, mode: 'lagging-read' }]);
    for (let i = 0; i < 2; i++) expect((await fetch(`${lagProxy.url}/repos/${OWNER}/${REPO}/git/ref/heads/main`)).status).toBe(200);
    expect(received.map((r) => r.headers[REPLICA_LAG_HEADER])).toEqual(['1', undefined]);
    expect(plan.log.map((r) => [r.route, r.outcome, r.status])).toEqual([
      [GET_REF, 'lagged', 200],
      [GET_REF, 'passed', 200],
    ]);
    expect(plan.fired()).toEqual([{ route: GET_REF, occurrence: 1, mode: 'lagging-read' }]);
  });

  it("strips a client's own replica-lag header: only the plan makes a read lag", async () => {
    await fetch(`${lagProxy.url}/repos/${OWNER}/${REPO}/git/ref/heads/main`, { headers: { [REPLICA_LAG_HEADER]: '1' } });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers[REPLICA_LAG_HEADER]).toBeUndefined();
    expect(plan.log).toMatchObject([{ route: GET_REF, outcome: 'passed' }]);
  });

  it('marks a GraphQL repository query too', async () => {
    plan.set([{ route: GQL_REPOSITORY, occurrence: 1, mode: 'lagging-read' }]);
    await fetch(`${lagProxy.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: graphqlBody(HEAD_QUERY, {}) });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers[REPLICA_LAG_HEADER]).toBe('1');
    expect(plan.log).toMatchObject([{ route: GQL_REPOSITORY, outcome: 'lagged', status: 200 }]);
  });

  it('reaches the emulator as a real read: the client gets what the emulator answered, and the log says so', async () => {
    plan.set([{ route: GET_REF, occurrence: 1, mode: 'lagging-read' }]);
    const seen = emulatorSaw('/repos/{owner}/{repo}/git/ref/{ref}');
    // Raw fetch: a lagging emulator may well answer 404 here, which is the client's business, not this test's.
    const response = await fetch(`${github.url}/repos/${OWNER}/${REPO}/git/ref/heads/main`, { headers: auth });
    expect(emulatorSaw('/repos/{owner}/{repo}/git/ref/{ref}')).toBe(seen + 1);
    const answered = emulator.requests.at(-1)!.status;
    expect(response.status).toBe(answered);
    expect(plan.log).toEqual([{ seq: 1, proxy: 'github', route: GET_REF, occurrence: 1, outcome: 'lagged', status: answered }]);
  });

  it('applies to reads a replica can serve stale, and to nothing else', () => {
    for (const route of [
      GET_REF,
      'HEAD /repos/{owner}/{repo}/git/ref/{ref}',
      'GET /repos/{owner}/{repo}/contents/{path}',
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'GET /repositories/{repository_id}/contents/{path}',
      GQL_REPOSITORY,
    ]) {
      expect([route, applicable('lagging-read', route)]).toEqual([route, true]);
    }
    for (const route of [
      GET_REPO,
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
      ISSUE_COMMENTS,
      GQL_COMMIT,
      'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}',
      `GET s3:GetObject ${BUCKET}/final`,
      `GET s3:ListObjectsV2 ${BUCKET}/list:staging`,
    ]) {
      expect([route, applicable('lagging-read', route)]).toEqual([route, false]);
    }
    expect(() => plan.set([{ route: `GET s3:GetObject ${BUCKET}/final`, occurrence: 1, mode: 'lagging-read' }])).toThrow(TypeError);
  });
});

describe('exhausted', () => {
  it("fails a read and every retry of Registrar's client: four 502s logged, then the caller gets the error", async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'exhausted' }]);
    const seen = emulatorSaw('/repos/{owner}/{repo}');
    const error = await rejection(registrarClient().rest.repos.get({ owner: OWNER, repo: REPO }));
    expect(error.status).toBe(502);
    expect(plan.log.map((r) => [r.route, r.occurrence, r.outcome, r.status])).toEqual([
      [GET_REPO, 1, 'answered', 502],
      [GET_REPO, 2, 'answered', 502],
      [GET_REPO, 3, 'answered', 502],
      [GET_REPO, 4, 'answered', 502],
    ]);
    expect(emulatorSaw('/repos/{owner}/{repo}')).toBe(seen);
    expect(plan.fired()).toEqual([{ route: GET_REPO, occurrence: 1, mode: 'exhausted' }]);
  });

  it('starts at the named occurrence and lasts until the plan is set again', async () => {
    plan.set([{ route: GET_REPO, occurrence: 2, mode: 'exhausted' }]);
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect((await rejection(octokit.rest.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(502);
    expect((await rejection(octokit.rest.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(502);
    expect(plan.log.map((r) => r.outcome)).toEqual(['passed', 'answered', 'answered']);
    plan.set([]);
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(plan.log.map((r) => r.outcome)).toEqual(['passed']);
  });

  it("fails every attempt of the AWS SDK's put: three InternalErrors, nothing stored", async () => {
    const key = stagingKey('exhausted');
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'exhausted' }]);
    const client = s3Client();
    try {
      const error = await rejection(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('never') })));
      expect(error.name).toBe('InternalError');
      expect(error.$metadata.attempts).toBe(3);
    } finally {
      client.destroy();
    }
    expect(plan.log.map((r) => [r.outcome, r.status, r.answer])).toEqual([
      ['answered', 500, 'InternalError'],
      ['answered', 500, 'InternalError'],
      ['answered', 500, 'InternalError'],
    ]);
    expect(await stored(key)).toBeUndefined();
  });

  it('rejects a plan with another fault inside an exhausted run', () => {
    expect(
      () =>
        new FaultPlan([
          { route: GET_REPO, occurrence: 2, mode: 'exhausted' },
          { route: GET_REPO, occurrence: 5, mode: 'refuse' },
        ]),
    ).toThrow(/exhausted from #2/);
    // Before the run is fine: it fires first.
    expect(
      () =>
        new FaultPlan([
          { route: GET_REPO, occurrence: 2, mode: 'exhausted' },
          { route: GET_REPO, occurrence: 1, mode: 'refuse' },
        ]),
    ).not.toThrow();
  });
});

describe('applicable() and fault options', () => {
  it('holds every mode on the routes every mode applies to, and says which pairs cannot happen', () => {
    for (const mode of ['refuse', 'lose', 'crash', 'delay', 'status-5xx', 'exhausted'] as const) {
      for (const route of [GET_REPO, GQL_COMMIT, PUT_STAGING, 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}']) {
        expect([mode, route, applicable(mode, route)]).toEqual([mode, route, true]);
      }
    }
    expect(applicable('rate-limited', GET_REPO)).toBe(true);
    expect(applicable('rate-limited', GQL_COMMIT)).toBe(true);
    expect(applicable('rate-limited', PUT_STAGING)).toBe(true);
    expect(applicable('rate-limited', 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}')).toBe(false);
    expect(applicable('graphql-error', GQL_COMMIT)).toBe(true);
    expect(applicable('graphql-error', PUT_STAGING)).toBe(false);
    expect(FAULT_MODES).toHaveLength(9);
  });

  it('rejects options that the mode or the service would ignore', () => {
    const bad: Fault[] = [
      { route: PUT_STAGING, occurrence: 1, mode: 'rate-limited', retryAfterSeconds: 2 },
      { route: PUT_STAGING, occurrence: 1, mode: 'rate-limited', rateLimitStatus: 429 },
      { route: GET_REPO, occurrence: 1, mode: 'status-5xx', graphqlType: 'FORBIDDEN' },
      { route: GET_REPO, occurrence: 1, mode: 'rate-limited', retryAfterSeconds: 1.5 },
      { route: GQL_REPOSITORY, occurrence: 1, mode: 'graphql-error', graphqlType: 'BOGUS' as 'FORBIDDEN' },
      { route: GET_REPO, occurrence: 1, mode: 'rate-limited', rateLimitStatus: 500 as 403 },
    ];
    for (const fault of bad) expect(() => new FaultPlan([fault])).toThrow(TypeError);
    expect(() => new FaultPlan([{ route: GET_REPO, occurrence: 1, mode: 'rate-limited', retryAfterSeconds: 0, rateLimitStatus: 429 }])).not.toThrow();
  });
});
