// Reading files the ways Registrar may: GraphQL Commit.file in one snapshot query, the contents API past 1 MB, the blob API.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createGitHubClient, type GitHubClient } from '../../src/adapters/github/client.js';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const run = promisify(execFile);
const OWNER = 'registry-org';
const REPO = 'registry';
const META = 'metadata/le/ft/left-pad.json';

const SNAPSHOT = `
  query RegistrarSnapshot($owner: String!, $name: String!, $qualifiedName: String!, $path: String!) {
    repository(owner: $owner, name: $name) {
      ref(qualifiedName: $qualifiedName) {
        target {
          __typename
          oid
          ... on Commit {
            file(path: $path) {
              name path type oid mode size
              object { __typename ... on Blob { byteSize isTruncated isBinary text } }
            }
          }
        }
      }
    }
  }`;

const BY_SHA = `
  query AtCommit($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
    repository(owner: $owner, name: $name) {
      object(oid: $oid) {
        ... on Commit { oid file(path: $path) { type oid object { __typename ... on Blob { text } ... on Tree { oid } } } }
      }
    }
  }`;

interface Entry {
  name: string;
  path: string;
  type: string;
  oid: string;
  mode: number;
  size: number;
  object: { __typename: string; byteSize?: number; isTruncated?: boolean; isBinary?: boolean; text?: string | null } | null;
}
interface Snapshot {
  repository: { ref: { target: { __typename: string; oid: string; file: Entry | null } } | null };
}
interface AtCommit {
  repository: { object: { oid: string; file: { type: string; oid: string; object: { __typename: string; text?: string; oid?: string } } | null } | null };
}

let emulator: GitHubEmulator;
let client: GitHubClient;

async function git(...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', emulator.repoPath(OWNER, REPO), ...args], { maxBuffer: 1 << 26 });
  return stdout;
}

function snapshot(path: string, qualifiedName = 'refs/heads/main'): Promise<Snapshot> {
  return client.graphql<Snapshot>(SNAPSHOT, { owner: OWNER, name: REPO, qualifiedName, path });
}

async function commit(files: Record<string, string | Buffer>): Promise<string> {
  return emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'main', files, message: 'files' });
}

beforeAll(async () => {
  emulator = await startEmulator();
  client = createGitHubClient({ token: 'test-token', baseUrl: emulator.url, paceMs: 1 });
  await emulator.createRepository({ owner: OWNER, repo: REPO, initialFiles: { [META]: '{"name":"left-pad"}\n' } });
});

afterEach(() => emulator.assertClean());

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('GraphQL Commit.file', () => {
  it('answers the head and a file of it in the one RegistrarSnapshot query', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    const { repository } = await snapshot(META);
    const target = repository.ref!.target;
    expect(target.__typename).toBe('Commit');
    expect(target.oid).toBe(head);
    expect(target.file).toEqual({
      name: 'left-pad.json',
      path: META,
      type: 'blob',
      oid: (await git('rev-parse', `${head}:${META}`)).trim(),
      // GitHub answers git's octal mode as a number: 100644 → 33188.
      mode: 0o100644,
      size: 20,
      object: { __typename: 'Blob', byteSize: 20, isTruncated: false, isBinary: false, text: '{"name":"left-pad"}\n' },
    });
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'graphql:repository', status: 200, operation: 'RegistrarSnapshot' });
  });

  it('answers null for a path the commit does not have, and a tree entry for a directory', async () => {
    expect((await snapshot('metadata/no/pe/nope.json')).repository.ref!.target.file).toBeNull();
    // A path through a file is no path at all.
    expect((await snapshot(`${META}/deeper`)).repository.ref!.target.file).toBeNull();
    const dir = (await snapshot('metadata/le')).repository.ref!.target.file!;
    expect(dir).toMatchObject({ name: 'le', path: 'metadata/le', type: 'tree', mode: 0o40000, size: 0, object: { __typename: 'Tree' } });
    expect(dir.oid).toBe((await git('rev-parse', `main:metadata/le`)).trim());
  });

  it('reads a file as of the commit named by object(oid:), not the branch head', async () => {
    const before = await emulator.head(OWNER, REPO, 'main');
    await commit({ [META]: '{"name":"left-pad","v":2}\n', 'metadata/ne/w_/new.json': '{}\n' });
    const at = (path: string) => client.graphql<AtCommit>(BY_SHA, { owner: OWNER, name: REPO, oid: before, path });
    const old = await at(META);
    expect(old.repository.object!.oid).toBe(before);
    expect(old.repository.object!.file).toMatchObject({ type: 'blob', object: { __typename: 'Blob', text: '{"name":"left-pad"}\n' } });
    // Added after `before`: absent there, present at the head.
    expect((await at('metadata/ne/w_/new.json')).repository.object!.file).toBeNull();
    expect((await snapshot('metadata/ne/w_/new.json')).repository.ref!.target.file).toMatchObject({ type: 'blob' });
  });

  it('cuts Blob.text at 512,000 bytes with isTruncated, never inside a character, and keeps byteSize whole', async () => {
    // 1 + 2k bytes: the cut at byte 512,000 falls inside an "é" (2 bytes), which must not be half-sent.
    const big = `a${'é'.repeat(300_000)}`;
    const exact = 'b'.repeat(512_000);
    await commit({ 'big.txt': big, 'exact.txt': exact });
    const cut = (await snapshot('big.txt')).repository.ref!.target.file!.object!;
    expect(cut.byteSize).toBe(Buffer.byteLength(big));
    expect(cut.isTruncated).toBe(true);
    expect(Buffer.byteLength(cut.text!)).toBe(511_999);
    expect(big.startsWith(cut.text!)).toBe(true);
    const whole = (await snapshot('exact.txt')).repository.ref!.target.file!.object!;
    expect(whole).toMatchObject({ byteSize: 512_000, isTruncated: false });
    expect(whole.text).toBe(exact);
  });

  it('answers text null for a binary blob', async () => {
    await commit({ 'bin.dat': Buffer.from([1, 0, 2, 3]) });
    expect((await snapshot('bin.dat')).repository.ref!.target.file!.object).toMatchObject({ isBinary: true, text: null, byteSize: 4 });
  });
});

describe('REST file reads past 1 MB', () => {
  const MiB = 1024 * 1024;
  let large: Buffer;
  let edge: Buffer;

  beforeAll(async () => {
    // Not one repeated byte, so that a wrong offset or encoding would show in the comparison.
    large = Buffer.from(Array.from({ length: MiB + 1 }, (_, i) => 32 + (i % 90)));
    edge = Buffer.from(Array.from({ length: MiB }, (_, i) => 33 + (i % 80)));
    await commit({ 'large.txt': large, 'edge.txt': edge });
  });

  it('answers content "" with encoding "none" for a file over 1 MB, and inlines one of exactly 1 MB', async () => {
    const { data } = await client.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'large.txt' });
    expect(data).toMatchObject({ type: 'file', size: MiB + 1, content: '', encoding: 'none', path: 'large.txt' });
    expect((data as { sha: string }).sha).toBe((await git('rev-parse', 'main:large.txt')).trim());
    const inline = await client.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'edge.txt' });
    expect(inline.data).toMatchObject({ size: MiB, encoding: 'base64' });
    expect(Buffer.from((inline.data as { content: string }).content, 'base64').equals(edge)).toBe(true);
  });

  it.each(['application/vnd.github.raw+json', 'application/vnd.github.raw'])('answers the bytes of a large file for Accept: %s', async (accept) => {
    const response = await fetch(`${emulator.url}/repos/${OWNER}/${REPO}/contents/large.txt`, {
      headers: { authorization: 'token test-token', accept },
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(large)).toBe(true);
  });

  it('serves git/blobs/{sha} as wrapped base64, or raw bytes, and 404 for an unknown SHA', async () => {
    const sha = (await git('rev-parse', 'main:large.txt')).trim();
    const { data } = await client.rest.git.getBlob({ owner: OWNER, repo: REPO, file_sha: sha });
    expect(data).toMatchObject({ sha, size: MiB + 1, encoding: 'base64', url: `${emulator.url}/repos/${OWNER}/${REPO}/git/blobs/${sha}` });
    expect(data.content.split('\n')[0]).toHaveLength(60);
    expect(Buffer.from(data.content, 'base64').equals(large)).toBe(true);
    const raw = await client.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      owner: OWNER,
      repo: REPO,
      file_sha: sha,
      headers: { accept: 'application/vnd.github.raw+json' },
      request: { parseSuccessResponseBody: false },
    });
    const body = raw.data as unknown as ReadableStream<Uint8Array>;
    expect(Buffer.from(await new Response(body).arrayBuffer()).equals(large)).toBe(true);
    await expect(client.rest.git.getBlob({ owner: OWNER, repo: REPO, file_sha: 'e'.repeat(40) })).rejects.toMatchObject({ status: 404 });
  });
});
