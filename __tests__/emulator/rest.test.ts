// Every REST endpoint the emulator implements, through a real Octokit client, checked against GitHub's description.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Octokit } from '@octokit/rest';
import { startEmulator, removeRoot, type GitHubEmulator } from '../../test-support/github/emulator.js';

const run = promisify(execFile);
const OWNER = 'acme';
const REPO = 'left-pad';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emulator: GitHubEmulator;
let octokit: Octokit;
let firstCommit: string;
let secondCommit: string;

async function git(...args: string[]): Promise<Buffer> {
  const { stdout } = await run('git', ['--git-dir', emulator.repoPath(OWNER, REPO), ...args], {
    encoding: 'buffer',
    maxBuffer: 1 << 26,
  });
  return stdout;
}

/** Entry names of an uncompressed tar, in order (pax headers skipped). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    if (type !== 'g' && type !== 'x') names.push(prefix ? `${prefix}/${name}` : name);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

beforeAll(async () => {
  emulator = await startEmulator();
  octokit = new Octokit({ auth: 'test-token', baseUrl: emulator.url, log: quiet });
  emulator.addUser({ id: 7, login: 'author' });
  await emulator.createRepository({
    owner: OWNER,
    repo: REPO,
    id: 4242,
    initialFiles: { 'README.md': '# left-pad\n', 'pkg/index.js': 'module.exports = 1;\n' },
  });
  firstCommit = await emulator.head(OWNER, REPO, 'main');
  secondCommit = await emulator.commitFiles({
    owner: OWNER,
    repo: REPO,
    branch: 'main',
    message: 'Add a tool',
    files: {
      'pkg/bin/tool.sh': { content: '#!/bin/sh\necho hi\n', mode: '100755' },
      'pkg/link': { content: 'index.js', mode: '120000' },
      'README.md': null,
    },
  });
  await emulator.tag({ owner: OWNER, repo: REPO, name: 'v1.0.0', sha: firstCommit });
  await emulator.tag({ owner: OWNER, repo: REPO, name: 'v1.1.0', sha: secondCommit, annotated: true, message: 'Release 1.1.0' });
});

afterEach(() => emulator.assertClean());

afterAll(async () => {
  await emulator.fsck();
  await emulator.close();
  await removeRoot(emulator);
});

describe('repositories and git data', () => {
  it('serves the full repository object', async () => {
    const { data } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data).toMatchObject({ id: 4242, name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: 'main' });
    expect(data.owner.login).toBe(OWNER);
  });

  it('commits by changing only the trees on the changed paths', async () => {
    const tree = (await git('ls-tree', '-r', secondCommit)).toString();
    expect(tree).toContain('100755 blob');
    expect(tree).toContain('pkg/bin/tool.sh');
    expect(tree).toContain('120000 blob');
    expect(tree).not.toContain('README.md');
    const parents = (await git('rev-list', '--parents', '-n', '1', secondCommit)).toString().trim().split(' ');
    expect(parents).toEqual([secondCommit, firstCommit]);
  });

  it('resolves branches, lightweight and annotated tags', async () => {
    const head = await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    expect(head.data.object).toMatchObject({ type: 'commit', sha: secondCommit });

    const light = await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/v1.0.0' });
    expect(light.data).toMatchObject({ ref: 'refs/tags/v1.0.0', object: { type: 'commit', sha: firstCommit } });

    const annotated = await octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/v1.1.0' });
    expect(annotated.data.object.type).toBe('tag');
    const tag = await octokit.rest.git.getTag({ owner: OWNER, repo: REPO, tag_sha: annotated.data.object.sha });
    expect(tag.data).toMatchObject({ tag: 'v1.1.0', object: { type: 'commit', sha: secondCommit } });
    expect(tag.data.message).toContain('Release 1.1.0');

    await expect(octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/v9.9.9' })).rejects.toMatchObject({ status: 404 });
    // A prefix of an existing ref is not that ref.
    await expect(octokit.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/v1' })).rejects.toMatchObject({ status: 404 });
  });

  it('serves git commits', async () => {
    const { data } = await octokit.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: secondCommit });
    expect(data.sha).toBe(secondCommit);
    expect(data.message).toBe('Add a tool');
    expect(data.parents.map((p) => p.sha)).toEqual([firstCommit]);
    expect(data.tree.sha).toBe((await git('rev-parse', `${secondCommit}^{tree}`)).toString().trim());
    await expect(
      octokit.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: 'f'.repeat(40) }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('serves file contents by SHA, branch and tag, and directories', async () => {
    const { data } = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'pkg/index.js', ref: firstCommit });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(Buffer.from(data.content, 'base64').toString()).toBe('module.exports = 1;\n');
    expect(data.sha).toBe((await git('rev-parse', `${firstCommit}:pkg/index.js`)).toString().trim());

    const byTag = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'README.md', ref: 'v1.0.0' });
    expect(Array.isArray(byTag.data)).toBe(false);
    await expect(
      octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'README.md', ref: 'main' }),
    ).rejects.toMatchObject({ status: 404 });

    const dir = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'pkg', ref: 'main' });
    expect(Array.isArray(dir.data) && dir.data.map((e) => `${e.type}:${e.name}`).sort()).toEqual([
      'dir:bin',
      'file:index.js',
      'symlink:link',
    ]);

    const raw = await octokit.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'pkg/index.js',
      ref: 'main',
      mediaType: { format: 'raw' },
    });
    expect(String(raw.data)).toBe('module.exports = 1;\n');
  });

  it('redirects tarball requests to a codeload path serving git archive bytes', async () => {
    const response = await octokit.rest.repos.downloadTarballArchive({ owner: OWNER, repo: REPO, ref: 'v1.1.0' });
    expect(response.url).toContain(`/_codeload/${OWNER}/${REPO}/legacy.tar.gz/${secondCommit}`);
    const tar = gunzipSync(Buffer.from(response.data as ArrayBuffer));
    const top = `${OWNER}-${REPO}-${secondCommit.slice(0, 7)}/`;
    const expected = await git('archive', '--format=tar', `--prefix=${top}`, secondCommit);
    expect(tar.equals(expected)).toBe(true);
    const names = tarNames(tar);
    expect(names.every((name) => name.startsWith(top))).toBe(true);
    expect(names).toContain(`${top}pkg/bin/tool.sh`);
    // git archive records the commit id in a pax global header, as GitHub's archives do.
    expect(tar.toString('latin1')).toContain(`comment=${secondCommit}`);

    const routes = emulator.requests.slice(-2).map((r) => `${r.route} ${r.status}`);
    expect(routes).toEqual(['/repos/{owner}/{repo}/tarball/{ref} 302', 'codeload:/{owner}/{repo}/legacy.tar.gz/{sha} 200']);
  });

  it('serves a shuffled, re-dated variant of the same archive on request', async () => {
    const fetchTar = async () =>
      gunzipSync(Buffer.from((await octokit.rest.repos.downloadTarballArchive({ owner: OWNER, repo: REPO, ref: secondCommit })).data as ArrayBuffer));
    const plain = await fetchTar();
    emulator.setArchiveVariant({ shuffle: 7, mtime: new Date('2001-02-03T04:05:06Z') });
    try {
      const shuffled = await fetchTar();
      const again = await fetchTar();
      expect(shuffled.equals(again)).toBe(true);
      expect(shuffled.equals(plain)).toBe(false);
      expect(tarNames(shuffled).sort()).toEqual(tarNames(plain).sort());
      expect(tarNames(shuffled)).not.toEqual(tarNames(plain));
      // Every header's mtime field (octal seconds at offset 136) carries the requested date.
      const mtime = parseInt(shuffled.subarray(512 * 2 + 136, 512 * 2 + 147).toString('latin1'), 8);
      expect(mtime).toBe(Date.parse('2001-02-03T04:05:06Z') / 1000);
    } finally {
      emulator.setArchiveVariant(undefined);
    }
  });
});

describe('issues, comments, labels and reactions', () => {
  it('reads, comments on, labels, reacts to and closes an issue', async () => {
    const issue = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Publish left-pad', body: '{"name":"left-pad"}', user: 'author' });
    expect(issue.number).toBe(1);
    const number = issue.number;

    const got = await octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: number });
    expect(got.data).toMatchObject({ number, state: 'open', title: 'Publish left-pad', user: { login: 'author', id: 7 } });

    const created = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: number, body: 'Working on it' });
    expect(created.status).toBe(201);
    expect(created.data.user?.login).toBe('github-actions[bot]');
    expect(created.data.user?.type).toBe('Bot');

    const updated = await octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: created.data.id, body: 'Done' });
    expect(updated.data.body).toBe('Done');
    const single = await octokit.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: created.data.id });
    expect(single.data.body).toBe('Done');

    const labels = await octokit.rest.issues.addLabels({ owner: OWNER, repo: REPO, issue_number: number, labels: ['published'] });
    expect(labels.data.map((l) => l.name)).toEqual(['published']);
    const listed = await octokit.rest.issues.listLabelsOnIssue({ owner: OWNER, repo: REPO, issue_number: number });
    expect(listed.data.map((l) => l.name)).toEqual(['published']);

    const first = await octokit.rest.reactions.createForIssueComment({ owner: OWNER, repo: REPO, comment_id: created.data.id, content: 'rocket' });
    expect(first.status).toBe(201);
    const repeat = await octokit.rest.reactions.createForIssueComment({ owner: OWNER, repo: REPO, comment_id: created.data.id, content: 'rocket' });
    expect(repeat.status).toBe(200);
    expect(repeat.data.id).toBe(first.data.id);
    const onIssue = await octokit.rest.reactions.createForIssue({ owner: OWNER, repo: REPO, issue_number: number, content: 'eyes' });
    expect(onIssue.status).toBe(201);
    const reactionList = await octokit.rest.reactions.listForIssue({ owner: OWNER, repo: REPO, issue_number: number });
    expect(reactionList.data.map((r) => r.content)).toEqual(['eyes']);
    const commentReactions = await octokit.rest.reactions.listForIssueComment({ owner: OWNER, repo: REPO, comment_id: created.data.id });
    expect(commentReactions.data.map((r) => r.content)).toEqual(['rocket']);

    const closed = await octokit.rest.issues.update({ owner: OWNER, repo: REPO, issue_number: number, state: 'closed', state_reason: 'completed', labels: ['published', 'done'] });
    expect(closed.data).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(closed.data.closed_by?.login).toBe('github-actions[bot]');

    const state = emulator.issue(OWNER, REPO, number);
    expect(state).toMatchObject({ state: 'closed', state_reason: 'completed', labels: ['published', 'done'] });
    expect(state.comments.map((c) => [c.body, c.user.login])).toEqual([['Done', 'github-actions[bot]']]);
    expect(state.comments[0]!.reactions.map((r) => r.content)).toEqual(['rocket']);
    expect(state.reactions.map((r) => [r.content, r.user.login])).toEqual([['eyes', 'github-actions[bot]']]);
  });

  it('pages comments with a Link header that Octokit follows', async () => {
    const issue = emulator.createIssue({ owner: OWNER, repo: REPO, title: 'Many comments', body: 'x', user: 'author' });
    for (let i = 0; i < 7; i++) emulator.addComment({ owner: OWNER, repo: REPO, issue: issue.number, body: `comment ${i}`, user: 'author' });
    const firstPage = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: issue.number, per_page: 3 });
    expect(firstPage.data).toHaveLength(3);
    expect(firstPage.headers.link).toContain('rel="next"');
    expect(firstPage.headers.link).toContain('rel="last"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner: OWNER, repo: REPO, issue_number: issue.number, per_page: 3 });
    expect(all.map((c) => c.body)).toEqual([...Array(7).keys()].map((i) => `comment ${i}`));
  });

  it('answers 404 for a missing issue and 401 without a token', async () => {
    await expect(octokit.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: 999 })).rejects.toMatchObject({ status: 404 });
    const anonymous = new Octokit({ baseUrl: emulator.url, log: quiet });
    await expect(anonymous.rest.repos.get({ owner: OWNER, repo: REPO })).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Requires authentication' } },
    });
  });

  it('keeps a repository id across renames and redirects the old name', async () => {
    await emulator.createRepository({ owner: 'someone', repo: 'old-name', id: 777 });
    await emulator.renameRepository('someone', 'old-name', 'someone-else', 'new-name');
    const { data } = await octokit.rest.repos.get({ owner: 'someone', repo: 'old-name' });
    expect(data).toMatchObject({ id: 777, full_name: 'someone-else/new-name' });
    expect(emulator.repoPath('someone-else', 'new-name')).toMatch(/someone-else\/new-name\.git$/);
  });
});
