// Given a registry and storage on real local servers, when an author opens a publish issue, then the built action publishes it — or refuses and writes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY, openIssue, requestBody, runAction, seedPackage, startWorld, type PackageSource, type World } from '../../test-support/world.js';
import { registryCommits, registryFile, snapshot } from '../../test-support/observe.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sri = (hex: string) => `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;

let world: World;
let counter = 0;
/** Each test publishes its own package, so tests share one world without sharing state. */
function freshPackage(overrides: Partial<PackageSource> = {}): PackageSource {
  counter += 1;
  return { owner: `author${counter}`, repo: `pkg${counter}`, id: 7000 + counter, name: `demo-pkg-${counter}`, version: '1.0.0', ...overrides };
}

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => { await world?.close(); });
afterEach(async () => {
  world.github.assertClean();
  await world.github.fsck();
});

function thread(issue: number) {
  return world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
}

describe('an issues.opened event with a valid request', () => {
  it('publishes: one registry commit, metadata with sha256 and size, exactly the final object, issue closed', async () => {
    const pkg = freshPackage({ subdir: 'packages/core', annotated: true, files: { 'lib/a.js': 'export const a = 1;\n' } });
    const commit = await seedPackage(world, pkg);
    const before = await registryCommits(world);
    const storageBefore = await world.s3.listRaw(world.buckets[0]!);
    const { issue, event } = openIssue(world, requestBody(pkg));

    const run = await runAction(world, event);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const after = await registryCommits(world);
    expect(after.length).toBe(before.length + 1);
    const message = after[0]!.message;
    expect(message.split('\n')[0]).toBe(`Publish ${pkg.name}@${pkg.version} (#${issue})`);
    expect(message).toContain(`Registrar-Issue: ${issue}`);
    expect(message).toMatch(/Registrar-Run: \d+/);

    const path = `metadata/${pkg.name.slice(0, 2)}/${pkg.name.slice(2, 4)}/${pkg.name}.json`;
    const metadata = JSON.parse((await registryFile(world, path))!);
    const entry = metadata.published[pkg.version];
    expect(metadata.location).toEqual({ githubOwner: pkg.owner, githubRepo: pkg.repo, repositoryId: pkg.id });
    expect(entry).toMatchObject({ ref: `v${pkg.version}`, commit, issue });

    const objects = (await world.s3.listRaw(world.buckets[0]!)).filter((o) => !storageBefore.some((b) => b.key === o.key));
    expect(objects.map((o) => o.key)).toEqual([`${pkg.name}/${pkg.version}.tar.gz`]);
    expect(sri(objects[0]!.sha256)).toBe(entry.sha256);
    expect(objects[0]!.bytes).toBe(entry.bytes);
    expect((await world.s3.listRaw(world.buckets[0]!)).filter((o) => o.key.startsWith('staging/'))).toEqual([]);

    const conversation = thread(issue);
    expect(conversation.state).toBe('closed');
    expect(conversation.state_reason).toBe('completed');
    expect(conversation.comments).toHaveLength(1);
    expect(conversation.comments[0]!.body).toContain(`Published \`${pkg.name}@${pkg.version}\``);
    expect(conversation.comments[0]!.body).toContain(entry.sha256);
    expect(conversation.comments[0]!.body).toContain(after[0]!.sha.slice(0, 12));
    expect(run.outputs).toMatchObject({ status: 'published', name: pkg.name, version: pkg.version, sha256: entry.sha256, 'registry-commit': after[0]!.sha });
  });
});

describe('the canonical tarball on disk', () => {
  it('is built in the runner\'s temporary directory and nothing of it is left there, published or refused', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'registrar-e2e-tmp-'));
    try {
      const pkg = freshPackage({ files: { 'lib/a.js': 'export const a = 1;\n' } });
      await seedPackage(world, pkg);
      const published = await runAction(world, openIssue(world, requestBody(pkg)).event, { env: { TMPDIR: temp } });
      expect(published.outputs.status).toBe('published');
      expect(await readdir(temp)).toEqual([]);
      // Refused after the build: the version is already published.
      const refused = await runAction(world, openIssue(world, requestBody(pkg)).event, { env: { TMPDIR: temp } });
      expect(refused.outputs.status).toBe('refused');
      expect(await readdir(temp)).toEqual([]);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });
});

describe('determinism through the whole path', () => {
  it('stores byte-identical tarballs when the same tag is served shuffled and with other mtimes to a second registry', async () => {
    const second = await startWorld();
    try {
      const pkg = freshPackage({ files: { 'a/one.js': '1\n', 'b/two.js': '2\n', 'c/three.txt': 'three\n', 'z.md': '# z\n' } });
      await seedPackage(world, pkg);
      await seedPackage(second, pkg);
      second.github.setArchiveVariant({ shuffle: 12345, mtime: new Date('2001-02-03T04:05:06Z') });

      // The two emulators really serve different archive bytes for the same tag...
      const archives: string[] = [];
      for (const w of [world, second]) {
        const response = await fetch(`${w.github.url}/repos/${pkg.owner}/${pkg.repo}/tarball/v${pkg.version}`, { headers: { authorization: 'token t' } });
        archives.push(sha256(new Uint8Array(await response.arrayBuffer())));
      }
      expect(archives[0]).not.toBe(archives[1]);

      // ...and both publishes store the same bytes (listRaw hashes what it reads back).
      const stored: string[] = [];
      for (const w of [world, second]) {
        const { event } = openIssue(w, requestBody(pkg));
        expect((await runAction(w, event)).code).toBe(0);
        const object = (await w.s3.listRaw(w.buckets[0]!)).find((o) => o.key === `${pkg.name}/${pkg.version}.tar.gz`);
        stored.push(object!.sha256);
      }
      expect(stored[0]).toBe(stored[1]);
      second.github.assertClean();
    } finally {
      await second.close();
    }
  });
});

describe('compare-and-swap on the registry branch', () => {
  it('re-plans when another commit lands between the read and the commit, and both changes survive', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const other = 'metadata/ot/he/other-registry-change.json';
    world.github.onRequest({ method: 'POST', route: 'graphql:createCommitOnBranch' }, async () => {
      await world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main',
        files: { [other]: '{"written":"by someone else"}\n' }, message: 'A concurrent registry change' });
    }, { times: 1 });
    const { event } = openIssue(world, requestBody(pkg));

    const run = await runAction(world, event);
    expect(run.code).toBe(0);
    const commits = await registryCommits(world);
    expect(commits[0]!.message).toMatch(new RegExp(`^Publish ${pkg.name}@`));
    expect(commits[1]!.message).toBe('A concurrent registry change');
    expect(await registryFile(world, other)).toBe('{"written":"by someone else"}\n');
    expect(JSON.parse((await registryFile(world, `metadata/de/mo/${pkg.name}.json`))!).published[pkg.version]).toBeDefined();
    const mutations = world.github.requests.filter((r) => r.route === 'graphql:createCommitOnBranch');
    expect(mutations.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a request that must be refused writes nothing', () => {
  it('tells a second issue for an already-published version, with identical content, "already published (issue #N)" and closes it', async () => {
    const pkg = freshPackage();
    await seedPackage(world, pkg);
    const first = openIssue(world, requestBody(pkg));
    expect((await runAction(world, first.event)).code).toBe(0);

    const before = await snapshot(world);
    const second = openIssue(world, requestBody(pkg));
    const run = await runAction(world, second.event);
    expect(run.code).not.toBe(0);
    expect(await snapshot(world)).toEqual(before);
    const conversation = thread(second.issue);
    expect(conversation.comments.at(-1)!.body).toContain(`already published (issue #${first.issue})`);
    expect(conversation.state).toBe('closed');
    expect(conversation.state_reason).toBe('not_planned');
  });

  const cases: { what: string; body: (pkg: PackageSource) => string; seed?: Partial<PackageSource>; says: RegExp }[] = [
    { what: 'not JSON', body: () => '{ name: left-pad, version: 1.0.0 }', says: /JSON/ },
    { what: 'missing fields', body: (p) => `\`\`\`json\n${JSON.stringify({ name: p.name, version: p.version })}\n\`\`\``, says: /ref[\s\S]*location|location[\s\S]*ref/ },
    { what: 'a bad version', body: (p) => requestBody(p, { version: 'v1.0' }), says: /MAJOR\.MINOR\.PATCH/ },
    { what: 'an unknown tag', body: (p) => requestBody(p, { ref: 'v9.9.9' }), says: /tag `v9\.9\.9` does not exist/ },
    { what: 'a manifest that does not match', body: (p) => requestBody(p), seed: { files: { 'package.json': '{"name":"something-else","version":"1.0.0","license":"MIT"}\n' } }, says: /name/ },
    { what: 'a license that is not SPDX', body: (p) => requestBody(p), seed: { license: 'Do What You Want' }, says: /SPDX/ },
  ];
  it.each(cases)('answers $what with what is wrong and what to do, leaves the issue open', async ({ body, seed, says }) => {
    const pkg = freshPackage(seed);
    await seedPackage(world, pkg);
    const before = await snapshot(world);
    const { issue, event } = openIssue(world, body(pkg));

    const run = await runAction(world, event);
    expect(run.code).not.toBe(0);
    expect(await snapshot(world)).toEqual(before);
    const conversation = thread(issue);
    expect(conversation.state).toBe('open');
    expect(conversation.comments).toHaveLength(1);
    const comment = conversation.comments[0]!.body;
    expect(comment).toMatch(says);
    expect(comment).toContain('Nothing was written');
    expect(comment).toMatch(/What to do|corrected request/);
  });
});

describe('events that are not requests', () => {
  it('ignores an issue opened by a bot', async () => {
    const before = await snapshot(world);
    const { issue, event } = openIssue(world, requestBody(freshPackage()), { id: 41898282, login: 'github-actions[bot]', type: 'Bot' });
    const run = await runAction(world, event);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to do');
    expect(await snapshot(world)).toEqual(before);
    expect(thread(issue).comments).toHaveLength(0);
  });

  it('ignores an ordinary issue (a bug report holds no request): no answer, nothing written, the run succeeds', async () => {
    const before = await snapshot(world);
    const { issue, event } = openIssue(world, 'The download page shows a 404 for left-pad.\n\n```\ncurl -I https://example.test/left-pad\n```\n', undefined, 'Bug');
    const run = await runAction(world, event);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('ignored');
    expect(run.stdout).toContain('holds no publish request');
    expect(await snapshot(world)).toEqual(before);
    expect(thread(issue).comments).toHaveLength(0);
    expect(thread(issue).state).toBe('open');
  });
});
