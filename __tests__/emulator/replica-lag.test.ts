// Requests carrying x-emulator-replica-lag: 1 are answered as a replica one update behind would; all others exactly.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { createGitHubClient, type GitHubClient } from '../../src/adapters/github/client.js';
import { REPLICA_LAG_HEADER, startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const OWNER = 'registry-org';
const REPO = 'registry';
const META = 'metadata/le/ft/left-pad.json';
const lag = { headers: { [REPLICA_LAG_HEADER]: '1' } };

const SNAPSHOT = `
  query RegistrarSnapshot($owner: String!, $name: String!, $qualifiedName: String!, $path: String!) {
    repository(owner: $owner, name: $name) {
      defaultBranchRef { target { oid } }
      ref(qualifiedName: $qualifiedName) {
        target { __typename oid ... on Commit { file(path: $path) { type oid object { __typename ... on Blob { byteSize isTruncated text } } } } }
      }
    }
  }`;
const BY_OID = `
  query Object($owner: String!, $name: String!, $oid: GitObjectID!) {
    repository(owner: $owner, name: $name) { object(oid: $oid) { __typename oid } }
  }`;

interface Snapshot {
  repository: {
    defaultBranchRef: { target: { oid: string } };
    ref: { target: { oid: string; file: { object: { text: string } } | null } } | null;
  };
}

let emulator: GitHubEmulator;
let client: GitHubClient;

async function write(text: string): Promise<string> {
  return emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'main', files: { [META]: text }, message: `write ${text.trim()}` });
}

/** One update of main: its head before and after. */
async function moveMain(text: string): Promise<{ before: string; after: string }> {
  const before = await emulator.head(OWNER, REPO, 'main');
  return { before, after: await write(text) };
}

function snapshot(options: object = {}): Promise<Snapshot> {
  return client.graphql<Snapshot>(SNAPSHOT, { owner: OWNER, name: REPO, qualifiedName: 'refs/heads/main', path: META, ...options });
}

async function status(promise: Promise<unknown>): Promise<{ status: number; message?: string }> {
  try {
    await promise;
    return { status: 200 };
  } catch (error) {
    const { status, response } = error as { status: number; response?: { data?: { message?: string } } };
    return { status, message: response?.data?.message };
  }
}

beforeAll(async () => {
  emulator = await startEmulator();
  client = createGitHubClient({ token: 'test-token', baseUrl: emulator.url, paceMs: 1 });
  await emulator.createRepository({ owner: OWNER, repo: REPO, initialFiles: { [META]: 'v1\n' } });
});

afterEach(() => {
  emulator.setStaleReads(false);
  emulator.assertClean();
});

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('replica lag on request', () => {
  it('answers a ref that has never moved as it is', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    const { data } = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main', ...lag });
    expect(data.object.sha).toBe(head);
    const { data: byOid } = await client.request('POST /graphql', {
      query: BY_OID,
      variables: { owner: OWNER, name: REPO, oid: head },
      ...lag,
    });
    expect(byOid).toEqual({ data: { repository: { object: { __typename: 'Commit', oid: head } } } });
  });

  it('answers ref reads by name with the value before the latest update, only for lagged requests', async () => {
    await write('v1\n');
    const { before, after } = await moveMain('v2\n');
    expect((await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main', ...lag })).data.object.sha).toBe(before);
    expect((await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' })).data.object.sha).toBe(after);
    // Repeating the lagged read does not converge: the replica stays one update behind until the next one.
    expect((await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main', ...lag })).data.object.sha).toBe(before);

    const matching = await client.rest.git.listMatchingRefs({ owner: OWNER, repo: REPO, ref: 'heads/ma', ...lag });
    expect(matching.data.map((r) => [r.ref, r.object.sha])).toEqual([['refs/heads/main', before]]);
    const exact = await client.rest.git.listMatchingRefs({ owner: OWNER, repo: REPO, ref: 'heads/ma' });
    expect(exact.data.map((r) => [r.ref, r.object.sha])).toEqual([['refs/heads/main', after]]);
    expect((await client.rest.git.listMatchingRefs({ owner: OWNER, repo: REPO, ref: 'heads/nope' })).data).toEqual([]);

    const lagged = await snapshot(lag);
    expect(lagged.repository.defaultBranchRef.target.oid).toBe(before);
    expect(lagged.repository.ref!.target).toMatchObject({ oid: before, file: { object: { text: 'v1\n' } } });
    const current = await snapshot();
    expect(current.repository.ref!.target).toMatchObject({ oid: after, file: { object: { text: 'v2\n' } } });

    // Contents by branch name (here: the default branch, no ref) read the previous head too.
    const file = await client.rest.repos.getContent({ owner: OWNER, repo: REPO, path: META, ...lag });
    expect(Buffer.from((file.data as { content: string }).content, 'base64').toString()).toBe('v1\n');
    expect(emulator.requests.at(-1)).toMatchObject({ route: '/repos/{owner}/{repo}/contents/{path}', status: 200, replicaLag: true });
  });

  it('answers reads by the newest commit SHA as GitHub answers for a commit it does not hold', async () => {
    const { before, after } = await moveMain('v4\n');
    expect(await status(client.rest.repos.getContent({ owner: OWNER, repo: REPO, path: META, ref: after, ...lag }))).toEqual({
      status: 404,
      message: `No commit found for the ref ${after}`,
    });
    expect(await status(client.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: after, ...lag }))).toEqual({ status: 404, message: 'Not Found' });
    expect(await status(client.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: after, ...lag }))).toEqual({ status: 404, message: 'Not Found' });
    const { data } = await client.request('POST /graphql', { query: BY_OID, variables: { owner: OWNER, name: REPO, oid: after }, ...lag });
    expect(data).toEqual({ data: { repository: { object: null } } });

    // The previous head is on the replica: reads by its SHA answer normally, lagged or not.
    expect(await status(client.rest.repos.getContent({ owner: OWNER, repo: REPO, path: META, ref: before, ...lag }))).toEqual({ status: 200 });
    expect(await status(client.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: before, ...lag }))).toEqual({ status: 200 });
    // Without the header the newest commit is there.
    expect(await status(client.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: after }))).toEqual({ status: 200 });
    expect(await status(client.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: after }))).toEqual({ status: 200 });
    expect(emulator.requests.filter((r) => r.replicaLag).map((r) => r.status)).toContain(404);
  });

  it('lags each branch by its own latest update; a branch created by its only update answers as it is', async () => {
    const { before } = await moveMain('v5\n');
    const feature = await emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'feature', files: { 'f.txt': 'f\n' }, message: 'feature' });
    const { data } = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/feature', ...lag });
    expect(data.object.sha).toBe(feature);
    expect(await status(client.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: feature, ...lag }))).toEqual({ status: 200 });
    const featureNext = await emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'feature', files: { 'f.txt': 'g\n' }, message: 'g' });
    const refs = await client.rest.git.listMatchingRefs({ owner: OWNER, repo: REPO, ref: 'heads/', ...lag });
    expect(refs.data.map((r) => [r.ref, r.object.sha])).toEqual([
      ['refs/heads/feature', feature],
      ['refs/heads/main', before],
    ]);
    expect(await status(client.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: featureNext, ...lag }))).toMatchObject({ status: 404 });
  });

  it('omits the newest comment from the comments listing', async () => {
    const { number } = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Publish', body: 'x', user: 'alice' });
    const empty = await client.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: number, ...lag });
    expect(empty.data).toEqual([]);
    const first = emulator.addComment({ owner: OWNER, repo: REPO, issue: number, body: 'first', user: 'alice' });
    const { data: second } = await client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: number, body: 'second' });
    const lagged = await client.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: number, ...lag });
    expect(lagged.data.map((c) => c.id)).toEqual([first.id]);
    const exact = await client.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: number });
    expect(exact.data.map((c) => c.id)).toEqual([first.id, second.id]);
    // A single comment read is not a listing: it answers normally.
    expect((await client.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: second.id, ...lag })).data.body).toBe('second');
  });

  it('leaves the stale-reads mode alone: a lagged read does not use up a pending stale read', async () => {
    const previous = await emulator.head(OWNER, REPO, 'main');
    emulator.setStaleReads(true);
    const latest = await write('v3\n');
    const read = async (options: object = {}) => (await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main', ...options })).data.object.sha;
    expect(await read(lag)).toBe(previous);
    expect(await read()).toBe(previous);
    expect(await read()).toBe(latest);
    expect(await read(lag)).toBe(previous);
  });
});
