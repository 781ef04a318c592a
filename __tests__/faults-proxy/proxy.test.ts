// The fault proxy in front of a real GitHub emulator and a real S3 server: it passes requests through intact, and fails exactly the (route, occurrence) a plan names, in the way it names.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Octokit } from '@octokit/rest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CODELOAD_ROUTE, removeRoot, startEmulator, type GitHubEmulator } from '../../test-support/github/emulator.js';
import { startS3, type S3TestServer } from '../../test-support/s3.js';
import { FaultPlan, githubRoute, s3Route, startFaultProxy, type FaultProxy } from '../../test-support/faults/index.js';

const OWNER = 'registry';
const REPO = 'registry';
const BUCKET = 'faults-bucket';
const STAGING = `staging/left-pad/1.2.0/${'ab'.repeat(32)}.tar.gz`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const ISSUE_COMMENTS = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const GET_REPO = 'GET /repos/{owner}/{repo}';
const GET_ISSUE = 'GET /repos/{owner}/{repo}/issues/{issue_number}';
const PUT_STAGING = `PUT s3:PutObject ${BUCKET}/staging`;
const GET_STAGING = `GET s3:GetObject ${BUCKET}/staging`;

let emulator: GitHubEmulator;
let s3: S3TestServer;
const plan = new FaultPlan();
let github: FaultProxy;
let storage: FaultProxy;
let octokit: Octokit;
let client: S3Client;
let issue: number;

beforeAll(async () => {
  emulator = await startEmulator();
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  await emulator.createRepository({ owner: OWNER, repo: REPO, initialFiles: { 'README.md': '# registry\n' } });
  issue = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Publish', body: '{}', user: 'ada' }).number;
  github = await startFaultProxy({ name: 'github', target: emulator.url, plan, classify: githubRoute });
  storage = await startFaultProxy({ name: 's3', target: s3.endpoint, plan, classify: s3Route });
  // A plain Octokit: no retry plugin, so each call is exactly one request (one occurrence).
  octokit = new Octokit({ auth: 'test-token', baseUrl: github.url, log: quiet });
  client = new S3Client({
    endpoint: storage.url,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    // One attempt: the SDK's own retries would turn one refused request into several occurrences.
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

beforeEach(() => plan.set([]));
afterEach(() => emulator.assertClean());

afterAll(async () => {
  client?.destroy();
  await github?.close();
  await storage?.close();
  await emulator?.close();
  if (emulator) await removeRoot(emulator);
  await s3?.close();
});

const routes = () => plan.log.map((r) => r.route);
const emulatorSaw = (route: string) => emulator.requests.filter((r) => r.route === route).length;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function stored(key: string): Promise<string | undefined> {
  return (await s3.listRaw(BUCKET, key)).find((o) => o.key === key)?.sha256;
}

function put(key: string, text: string) {
  return client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(text), ContentType: 'application/gzip' }));
}

/** Resolves to the rejection (failing the test if the call succeeded); a hang fails it through the timeout. */
async function failure(promise: Promise<unknown>, ms = 5000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: the client hangs`)), ms);
  });
  try {
    const outcome = await Promise.race([promise.then(() => 'succeeded', (error: unknown) => ({ error })), timeout]);
    if (outcome === 'succeeded') throw new Error('the call succeeded, but the proxy should have failed it');
    return (outcome as { error: unknown }).error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The low-level cause of a network failure: Octokit (fetch) chains it as `cause.code`; the AWS SDK wraps it
 * ("AWS SDK error wrapper for TimeoutError: read ECONNRESET") so that its retry strategy treats it as transient.
 */
function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    const named = typeof e.message === 'string' ? /\b(E[A-Z]{4,})\b/.exec(e.message) : null;
    if (named) return named[1];
  }
  return undefined;
}

describe('passthrough', () => {
  it('forwards REST reads and writes and logs their routes and statuses', async () => {
    const { data: repo } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(repo.full_name).toBe(`${OWNER}/${REPO}`);
    const { data: comment } = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'hello' });
    expect(comment.body).toBe('hello');
    expect(plan.log).toEqual([
      { seq: 1, proxy: 'github', route: GET_REPO, occurrence: 1, outcome: 'passed', status: 200 },
      { seq: 2, proxy: 'github', route: ISSUE_COMMENTS, occurrence: 1, outcome: 'passed', status: 201 },
    ]);
  });

  it('forwards GraphQL and names it by the operation root field', async () => {
    const result = await octokit.graphql<{ repository: { ref: { target: { oid: string } } } }>(
      `query Head($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { ref(qualifiedName: "refs/heads/main") { target { oid } } } }`,
      { owner: OWNER, name: REPO },
    );
    expect(result.repository.ref.target.oid).toBe(await emulator.head(OWNER, REPO, 'main'));
    expect(plan.log).toMatchObject([{ route: 'POST graphql:repository', outcome: 'passed', status: 200 }]);
  });

  it('keeps the archive download behind the proxy: the redirect points at the proxy, and the codeload request is logged', async () => {
    const sha = await emulator.head(OWNER, REPO, 'main');
    const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner: OWNER, repo: REPO, ref: sha });
    expect(response.url.startsWith(github.url)).toBe(true);
    const tar = gunzipSync(Buffer.from(response.data as ArrayBuffer));
    expect(tar.toString('latin1')).toContain('# registry');
    expect(routes()).toEqual(['GET /repos/{owner}/{repo}/tarball/{ref}', `GET ${CODELOAD_ROUTE}`]);
    expect(plan.log.map((r) => r.status)).toEqual([302, 200]);
  });

  it('forwards S3 writes and reads with their SigV4 signatures intact', async () => {
    await put(STAGING, 'staged bytes');
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STAGING }));
    expect(head.ContentLength).toBe(12);
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: STAGING }));
    expect(await object.Body?.transformToString()).toBe('staged bytes');
    expect(await stored(STAGING)).toBe(sha256(Buffer.from('staged bytes')));
    expect(plan.log).toMatchObject([
      { proxy: 's3', route: PUT_STAGING, status: 200 },
      { proxy: 's3', route: `HEAD s3:HeadObject ${BUCKET}/staging`, status: 200 },
      { proxy: 's3', route: GET_STAGING, status: 200 },
    ]);
  });

  it('passes a delayed request through after the delay', async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'delay', delayMs: 300 }]);
    const started = Date.now();
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(plan.log).toMatchObject([{ route: GET_REPO, outcome: 'delayed', status: 200 }]);
    expect(plan.fired()).toEqual([{ route: GET_REPO, occurrence: 1, mode: 'delay', delayMs: 300 }]);
  });
});

describe('refuse', () => {
  it('keeps a GitHub write from the emulator, and the client gets a network error', async () => {
    plan.set([{ route: ISSUE_COMMENTS, occurrence: 1, mode: 'refuse' }]);
    const before = emulator.issue(OWNER, REPO, issue).comments.length;
    const seen = emulatorSaw(ISSUE_COMMENTS);
    const error = await failure(octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'refused' }));
    expect(networkCode(error)).toBe('ECONNRESET');
    expect(emulatorSaw(ISSUE_COMMENTS)).toBe(seen);
    expect(emulator.issue(OWNER, REPO, issue).comments.length).toBe(before);
    expect(plan.log).toEqual([{ seq: 1, proxy: 'github', route: ISSUE_COMMENTS, occurrence: 1, outcome: 'refused' }]);
  });

  it('keeps an S3 put from the server, and the SDK gets a network error', async () => {
    const key = `staging/refused/1.0.0/${'cd'.repeat(32)}.tar.gz`;
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'refuse' }]);
    const error = await failure(put(key, 'never stored'));
    expect(networkCode(error)).toBe('ECONNRESET');
    expect(await stored(key)).toBeUndefined();
    expect(plan.log).toMatchObject([{ route: PUT_STAGING, outcome: 'refused' }]);
  });
});

describe('lose', () => {
  it('lets the emulator apply a GitHub write and drops the answer', async () => {
    plan.set([{ route: ISSUE_COMMENTS, occurrence: 1, mode: 'lose' }]);
    const error = await failure(octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body: 'applied, answer lost' }));
    expect(networkCode(error)).toBe('ECONNRESET');
    expect(emulator.issue(OWNER, REPO, issue).comments.at(-1)?.body).toBe('applied, answer lost');
    expect(plan.log).toEqual([{ seq: 1, proxy: 'github', route: ISSUE_COMMENTS, occurrence: 1, outcome: 'lost', status: 201 }]);
  });

  it('lets S3 store a put and drops the answer', async () => {
    const key = `staging/lost/1.0.0/${'ef'.repeat(32)}.tar.gz`;
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'lose' }]);
    const error = await failure(put(key, 'stored anyway'));
    expect(networkCode(error)).toBe('ECONNRESET');
    expect(await stored(key)).toBe(sha256(Buffer.from('stored anyway')));
    expect(plan.log).toMatchObject([{ route: PUT_STAGING, outcome: 'lost', status: 200 }]);
  });

  it('drops a lost GET answer too (the read happened, the client never got it)', async () => {
    await put(STAGING, 'read me');
    plan.set([{ route: GET_STAGING, occurrence: 1, mode: 'lose' }]);
    await failure(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: STAGING })));
    expect(plan.log).toMatchObject([{ route: GET_STAGING, outcome: 'lost', status: 200 }]);
  });
});

describe('crash', () => {
  it('refuses the crashing request and every later one on both proxies', async () => {
    const key = `staging/crashed/1.0.0/${'12'.repeat(32)}.tar.gz`;
    plan.set([{ route: PUT_STAGING, occurrence: 1, mode: 'crash' }]);
    const handled = emulator.requests.length;
    expect(networkCode(await failure(put(key, 'never stored')))).toBe('ECONNRESET');
    expect(plan.crashed).toBe(true);
    expect(networkCode(await failure(octokit.rest.repos.get({ owner: OWNER, repo: REPO })))).toBe('ECONNRESET');
    expect(networkCode(await failure(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))))).toBe('ECONNRESET');
    await failure(octokit.graphql('query { viewer { login } }'));
    expect(emulator.requests.length).toBe(handled);
    expect(await stored(key)).toBeUndefined();
    expect(plan.log.map((r) => [r.proxy, r.outcome])).toEqual([
      ['s3', 'crashed'],
      ['github', 'refused'],
      ['s3', 'refused'],
      ['github', 'refused'],
    ]);
    expect(plan.log.every((r) => r.status === undefined)).toBe(true);
  });

  it('ends with set(): counters, crash state and the log start over', async () => {
    plan.set([{ route: GET_REPO, occurrence: 1, mode: 'crash' }]);
    await failure(octokit.rest.repos.get({ owner: OWNER, repo: REPO }));
    const log = plan.log;
    plan.set([]);
    expect(plan.crashed).toBe(false);
    expect(log).toEqual([]);
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(plan.log).toMatchObject([{ seq: 1, route: GET_REPO, occurrence: 1, outcome: 'passed' }]);
  });

  it('drops the answer of a request in flight at the crash: a dead runner receives nothing more', async () => {
    plan.set([{ route: GET_ISSUE, occurrence: 1, mode: 'crash' }]);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // The emulator holds the repository read until the crash has happened on another request.
    emulator.onRequest({ method: 'GET', route: '/repos/{owner}/{repo}' }, () => held, { times: 1 });
    const inFlight = failure(octokit.rest.repos.get({ owner: OWNER, repo: REPO }));
    while (plan.log.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await failure(octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issue }));
    release();
    expect(networkCode(await inFlight)).toBe('ECONNRESET');
    expect(plan.log.map((r) => [r.route, r.outcome, r.status])).toEqual([
      [GET_REPO, 'lost', 200],
      [GET_ISSUE, 'crashed', undefined],
    ]);
  });

  it('refuses a delayed request whose delay ends after the crash: a dead runner sends nothing more', async () => {
    plan.set([
      { route: GET_REPO, occurrence: 1, mode: 'delay', delayMs: 400 },
      { route: GET_ISSUE, occurrence: 1, mode: 'crash' },
    ]);
    const slow = failure(octokit.rest.repos.get({ owner: OWNER, repo: REPO }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await failure(octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issue }));
    await slow;
    expect(plan.log.map((r) => [r.route, r.outcome])).toEqual([
      [GET_REPO, 'refused'],
      [GET_ISSUE, 'crashed'],
    ]);
  });
});

describe('occurrences', () => {
  it('count per route: a fault on occurrence 2 lets the first through, whatever other routes do in between', async () => {
    plan.set([{ route: GET_REPO, occurrence: 2, mode: 'refuse' }]);
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    await octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: issue });
    await put(STAGING, 'between');
    await failure(octokit.rest.repos.get({ owner: OWNER, repo: REPO }));
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(plan.log.map((r) => [r.route, r.occurrence, r.outcome])).toEqual([
      [GET_REPO, 1, 'passed'],
      [GET_ISSUE, 1, 'passed'],
      [PUT_STAGING, 1, 'passed'],
      [GET_REPO, 2, 'refused'],
      [GET_REPO, 3, 'passed'],
    ]);
    expect(plan.fired()).toEqual([{ route: GET_REPO, occurrence: 2, mode: 'refuse' }]);
    expect(plan.pending()).toEqual([]);
  });

  it('fail exactly one of several parallel requests of a route', async () => {
    plan.set([{ route: GET_REPO, occurrence: 3, mode: 'refuse' }]);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => octokit.rest.repos.get({ owner: OWNER, repo: REPO })));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(plan.log.map((r) => r.occurrence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(plan.log.filter((r) => r.outcome === 'refused').map((r) => r.occurrence)).toEqual([3]);
  });

  it('leave a fault on a request that never came unfired', async () => {
    plan.set([{ route: GET_REPO, occurrence: 9, mode: 'lose' }]);
    await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(plan.fired()).toEqual([]);
    expect(plan.pending()).toEqual([{ route: GET_REPO, occurrence: 9, mode: 'lose' }]);
  });

  it('rejects plans that are ambiguous or malformed', () => {
    expect(() => new FaultPlan([{ route: GET_REPO, occurrence: 0, mode: 'refuse' }])).toThrow(/positive integer/);
    expect(() => new FaultPlan([{ route: GET_REPO, occurrence: 1, mode: 'delay' }])).toThrow(/delayMs/);
    expect(
      () =>
        new FaultPlan([
          { route: GET_REPO, occurrence: 1, mode: 'refuse' },
          { route: GET_REPO, occurrence: 1, mode: 'lose' },
        ]),
    ).toThrow(/two faults/);
  });
});

describe('rewriting', () => {
  it("follows the emulator's rename redirect through the proxy", async () => {
    await emulator.createRepository({ owner: 'old-owner', repo: 'old-name', id: 31337 });
    await emulator.renameRepository('old-owner', 'old-name', 'new-owner', 'new-name');
    const { data } = await octokit.rest.repos.get({ owner: 'old-owner', repo: 'old-name' });
    expect(data.full_name).toBe('new-owner/new-name');
    expect(plan.log.map((r) => [r.route, r.status])).toEqual([
      [GET_REPO, 301],
      ['GET /repositories/{repository_id}', 200],
    ]);
  });
});
