// createCommitOnBranch and ref reads through Octokit's GraphQL client, against real git on the emulator's side.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const run = promisify(execFile);
const OWNER = 'registry-org';
const REPO = 'registry';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const COMMIT = `
  mutation Publish($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid url messageHeadline } }
  }`;

let emulator: GitHubEmulator;
let octokit: Octokit;

async function git(...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', emulator.repoPath(OWNER, REPO), ...args]);
  return stdout;
}

function input(expectedHeadOid: string, files: Record<string, string>, deletions: string[] = []) {
  return {
    input: {
      branch: { repositoryNameWithOwner: `${OWNER}/${REPO}`, branchName: 'main' },
      expectedHeadOid,
      message: { headline: 'Publish left-pad@1.2.0 (#42)', body: 'Registrar-Issue: 42\nRegistrar-Run: 1\nRegistrar-Attempt: 1' },
      fileChanges: {
        additions: Object.entries(files).map(([path, text]) => ({ path, contents: Buffer.from(text).toString('base64') })),
        deletions: deletions.map((path) => ({ path })),
      },
    },
  };
}

type CommitResult = { createCommitOnBranch: { commit: { oid: string; url: string; messageHeadline: string } } };

beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'x', baseUrl: emulator.url, log: quiet });
  await emulator.createRepository({ owner: OWNER, repo: REPO });
});

afterEach(() => emulator.assertClean());

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('createCommitOnBranch', () => {
  it('lands one commit with the given files on the expected head', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    expect(await git('log', '--format=%s', head)).toBe('Initialize registry\n');
    const result = await octokit.graphql<CommitResult>(
      COMMIT,
      input(head, { 'metadata/le/ft/left-pad.json': '{"name":"left-pad"}\n', 'metadata/3/a/abc.json': '{}\n' }),
    );
    const { oid, messageHeadline } = result.createCommitOnBranch.commit;
    expect(messageHeadline).toBe('Publish left-pad@1.2.0 (#42)');
    expect(await emulator.head(OWNER, REPO, 'main')).toBe(oid);
    expect((await git('rev-list', '--parents', '-n', '1', oid)).trim()).toBe(`${oid} ${head}`);
    expect(await git('log', '-1', '--format=%B', oid)).toBe(
      'Publish left-pad@1.2.0 (#42)\n\nRegistrar-Issue: 42\nRegistrar-Run: 1\nRegistrar-Attempt: 1\n\n',
    );
    expect(await git('show', `${oid}:metadata/le/ft/left-pad.json`)).toBe('{"name":"left-pad"}\n');
    expect((await git('ls-tree', '-r', '--name-only', oid)).trim().split('\n')).toEqual([
      'metadata/3/a/abc.json',
      'metadata/le/ft/left-pad.json',
    ]);
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'graphql:createCommitOnBranch', status: 200, operation: 'Publish' });

    // Deleting the last file of a directory removes the directory, as git (and GitHub) has no empty trees.
    const next = await octokit.graphql<CommitResult>(COMMIT, input(oid, {}, ['metadata/3/a/abc.json']));
    expect((await git('ls-tree', '-r', '--name-only', next.createCommitOnBranch.commit.oid)).trim()).toBe('metadata/le/ft/left-pad.json');
    expect(await git('ls-tree', '--name-only', `${next.createCommitOnBranch.commit.oid}:metadata`)).toBe('le\n');
  });

  it('refuses a stale expectedHeadOid with STALE_DATA and leaves the branch alone', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    const stale = (await git('rev-parse', `${head}~1`)).trim();
    const error = await octokit.graphql(COMMIT, input(stale, { 'x.json': '{}' })).catch((e: unknown) => e);
    expect(error).toMatchObject({
      data: { createCommitOnBranch: null },
      errors: [
        {
          type: 'STALE_DATA',
          path: ['createCommitOnBranch'],
          message: `Expected branch to point to "${stale}" but it did not. Pull and try again.`,
          locations: [expect.objectContaining({ line: expect.any(Number) })],
        },
      ],
    });
    expect(await emulator.head(OWNER, REPO, 'main')).toBe(head);
  });

  it('lets exactly one of two concurrent commits on the same expected head land', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    // Hold both requests until both have arrived, so both pass the early head check and race to the ref.
    let release!: () => void;
    const bothArrived = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    emulator.onRequest(
      { method: 'POST', route: 'graphql:createCommitOnBranch' },
      async () => {
        if (++arrived === 2) release();
        await bothArrived;
      },
      { times: 2 },
    );
    const results = await Promise.allSettled([
      octokit.graphql<CommitResult>(COMMIT, input(head, { 'a.json': 'a' })),
      octokit.graphql<CommitResult>(COMMIT, input(head, { 'b.json': 'b' })),
    ]);
    const landed = results.filter((r): r is PromiseFulfilledResult<CommitResult> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(landed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ errors: [expect.objectContaining({ type: 'STALE_DATA' })] });
    const newHead = await emulator.head(OWNER, REPO, 'main');
    expect(newHead).toBe(landed[0]!.value.createCommitOnBranch.commit.oid);
    expect((await git('rev-list', '--count', `${head}..${newHead}`)).trim()).toBe('1');
  });

  it('runs a hook between a read and the commit, as a concurrent writer would', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    let moved = '';
    emulator.onRequest(
      { method: 'POST', route: 'graphql:createCommitOnBranch' },
      async () => {
        moved = await emulator.commitFiles({ owner: OWNER, repo: REPO, branch: 'main', files: { 'other.json': '{}' }, message: 'Concurrent' });
      },
      { times: 1 },
    );
    await expect(octokit.graphql(COMMIT, input(head, { 'mine.json': '{}' }))).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'STALE_DATA' })],
    });
    expect(await emulator.head(OWNER, REPO, 'main')).toBe(moved);
    // The hook ran once: the retry on the new head lands.
    const retry = await octokit.graphql<CommitResult>(COMMIT, input(moved, { 'mine.json': '{}' }));
    expect(await emulator.head(OWNER, REPO, 'main')).toBe(retry.createCommitOnBranch.commit.oid);
  });
});

describe('reads', () => {
  it('resolves a ref to its target oid, and reads a file at a commit', async () => {
    const head = await emulator.head(OWNER, REPO, 'main');
    const result = await octokit.graphql<{
      repository: { ref: { target: { oid: string } } | null; missing: unknown; object: { text: string } | null };
    }>(
      `query($owner: String!, $name: String!, $expr: String!) {
        repository(owner: $owner, name: $name) {
          ref(qualifiedName: "refs/heads/main") { target { oid } }
          missing: ref(qualifiedName: "refs/heads/nope") { name }
          object(expression: $expr) { ... on Blob { text } }
        }
      }`,
      { owner: OWNER, name: REPO, expr: `${head}:metadata/le/ft/left-pad.json` },
    );
    expect(result.repository.ref?.target.oid).toBe(head);
    expect(result.repository.missing).toBeNull();
    expect(result.repository.object?.text).toBe('{"name":"left-pad"}\n');
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'graphql:repository', status: 200 });
  });

  it('answers NOT_FOUND for an unknown repository', async () => {
    await expect(
      octokit.graphql('query { repository(owner: "nobody", name: "nothing") { id } }'),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'NOT_FOUND' })] });
  });
});
