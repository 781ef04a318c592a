// The Source port on the GitHub emulator: rule 12 — given a token that can read private and internal repositories, the adapter answers for them exactly as for a repository that does not exist, and reads nothing else of them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/adapters/github/client.js';
import { GitHubSource } from '../../src/adapters/github/source.js';
import { RegistrarError } from '../../src/errors.js';
import { removeRoot, startEmulator, type GitHubEmulator, type Visibility } from '../../test-support/github/emulator.js';

let github: GitHubEmulator;
const client = () => createGitHubClient({ token: 'registry-token', baseUrl: github.url, paceMs: 1 });

/** Everything a caller could learn from a failure: its kind, message, hint and reason. */
async function failureOf(promise: Promise<unknown>): Promise<{ kind: string; message: string; hint: string | undefined; reason: unknown }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistrarError);
  const { kind, message, hint, reason } = error as RegistrarError;
  return { kind, message, hint, reason };
}

beforeAll(async () => {
  github = await startEmulator();
  const sources: Array<[string, Visibility, number]> = [['open', 'public', 801], ['secret', 'private', 802], ['corp', 'internal', 803]];
  for (const [repo, visibility, id] of sources) {
    await github.createRepository({ owner: 'acme', repo, id, visibility,
      initialFiles: { 'package.json': '{"name":"secret-name","version":"9.9.9"}\n' } });
    await github.tag({ owner: 'acme', repo, name: 'v1.0.0', sha: await github.head('acme', repo, 'main') });
  }
});
afterEach(() => { github.assertClean(); });
afterAll(async () => {
  await github.close();
  await removeRoot(github);
});

describe('GitHubSource.repository, public sources only (the default)', () => {
  it('reports a public repository with its id and visibility', async () => {
    expect(await new GitHubSource(client()).repository('acme', 'open'))
      .toEqual({ id: 801, owner: 'acme', repo: 'open', visibility: 'public' });
  });

  it.each(['secret', 'corp'])('refuses %s (private or internal) with the nonexistent repository\'s very failure, reading nothing after repos.get', async (repo) => {
    const source = new GitHubSource(client());
    const missing = await failureOf(source.repository('acme', 'nowhere'));
    const seen = github.requests.length;
    const refused = await failureOf(source.repository('acme', repo));
    // Same kind, hint and reason; the message differs only in the name the request gave.
    expect(refused).toEqual({ ...missing, message: missing.message.replace('acme/nowhere', `acme/${repo}`) });
    expect(refused.message).toBe(`The source repository acme/${repo} does not exist or is not public.`);
    // One request, and only the repository's identity: no tag, tree, contents or archive was asked for.
    expect(github.requests.slice(seen).map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual(['GET /repos/{owner}/{repo} 200']);
  });

  it('names the repository as the request spelled it, not as GitHub does, so letter case reveals nothing', async () => {
    const refused = await failureOf(new GitHubSource(client()).repository('ACME', 'Secret'));
    expect(refused.message).toBe('The source repository ACME/Secret does not exist or is not public.');
  });
});

describe('GitHubSource.repository with allowPrivate (the maintainer opted in)', () => {
  it.each([['secret', 'private', 802], ['corp', 'internal', 803]] as const)('reports %s with its visibility (%s), and its tags resolve', async (repo, visibility, id) => {
    const source = new GitHubSource(client(), { allowPrivate: true });
    expect(await source.repository('acme', repo)).toEqual({ id, owner: 'acme', repo, visibility });
    expect(await source.resolveTag('acme', repo, 'v1.0.0')).toBe(await github.head('acme', repo, 'main'));
  });
});
