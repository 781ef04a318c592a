// The emulator's stale mode: reads by branch name lag one read behind each update, reads by SHA never do.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const OWNER = 'registry-org';
const REPO = 'registry';
const FILE = 'metadata/le/ft/left-pad.json';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const COMMIT = `
  mutation Publish($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid } ref { target { oid } } }
  }`;
const HEAD = `
  query Head($owner: String!, $name: String!, $ref: String!) {
    repository(owner: $owner, name: $name) { ref(qualifiedName: $ref) { target { oid } } }
  }`;

let emulator: GitHubEmulator;
let octokit: Octokit;

beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'x', baseUrl: emulator.url, log: quiet });
  await emulator.createRepository({ owner: OWNER, repo: REPO, initialFiles: { [FILE]: 'v1\n' } });
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

async function refSha(): Promise<string> {
  const { data } = await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
  return data.object.sha;
}

/** The file's text as the contents API answers it at `ref` (undefined = no ref: the default branch). */
async function contents(ref?: string): Promise<string> {
  const { data } = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: FILE, ...(ref ? { ref } : {}) });
  if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
  return Buffer.from(data.content, 'base64').toString('utf8');
}

async function write(text: string): Promise<string> {
  return emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'main', files: { [FILE]: text }, message: `write ${text.trim()}` });
}

describe('stale reads', () => {
  it('answers git/ref/heads/main with the old SHA once after a commit, then the new one', async () => {
    const before = await emulator.head(OWNER, REPO, 'main');
    emulator.setStaleReads(true);
    const after = await write('ref\n');
    expect(await refSha()).toBe(before);
    expect(await refSha()).toBe(after);
    expect(await refSha()).toBe(after);
  });

  it('answers contents by SHA exactly, and contents by branch name stale exactly once', async () => {
    emulator.setStaleReads(true);
    const old = await contents();
    const sha = await write('by-sha\n');
    // A read by SHA is exact and does not use up the pending stale read.
    expect(await contents(sha)).toBe('by-sha\n');
    expect(await contents('main')).toBe(old);
    expect(await contents('main')).toBe('by-sha\n');
    expect(await contents(sha)).toBe('by-sha\n');
  });

  it('lags a read without ref (the default branch) too', async () => {
    emulator.setStaleReads(true);
    const old = await contents();
    await write('default\n');
    expect(await contents()).toBe(old);
    expect(await contents()).toBe('default\n');
  });

  it('lags GraphQL ref(qualifiedName) after createCommitOnBranch, while the mutation answers its own commit', async () => {
    emulator.setStaleReads(true);
    const before = await emulator.head(OWNER, REPO, 'main');
    const result = await octokit.graphql<{ createCommitOnBranch: { commit: { oid: string }; ref: { target: { oid: string } } } }>(COMMIT, {
      input: {
        branch: { repositoryNameWithOwner: `${OWNER}/${REPO}`, branchName: 'main' },
        expectedHeadOid: before,
        message: { headline: 'Publish left-pad@1.2.0 (#42)' },
        fileChanges: { additions: [{ path: FILE, contents: Buffer.from('graphql\n').toString('base64') }] },
      },
    });
    const { oid } = result.createCommitOnBranch.commit;
    expect(result.createCommitOnBranch.ref.target.oid).toBe(oid);
    const head = () =>
      octokit.graphql<{ repository: { ref: { target: { oid: string } } } }>(HEAD, { owner: OWNER, name: REPO, ref: 'refs/heads/main' });
    expect((await head()).repository.ref.target.oid).toBe(before);
    expect((await head()).repository.ref.target.oid).toBe(oid);
    expect(await refSha()).toBe(oid);
  });

  it('gives one stale read per update, oldest first, so a client that keeps re-reading converges', async () => {
    emulator.setStaleReads(true);
    const first = await emulator.head(OWNER, REPO, 'main');
    const second = await write('one\n');
    const third = await write('two\n');
    expect([await refSha(), await refSha(), await refSha()]).toEqual([first, second, third]);
  });

  it('is exact while off, and turning it off forgets pending stale reads', async () => {
    const now = await write('off\n');
    expect(await refSha()).toBe(now);
    emulator.setStaleReads(true);
    const next = await write('pending\n');
    emulator.setStaleReads(false);
    expect(await refSha()).toBe(next);
  });
});
