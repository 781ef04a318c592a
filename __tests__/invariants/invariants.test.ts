// Proves the independent invariant checker sees each kind of broken state — built by hand in git and s3rver, no Registrar code — and stays quiet on a clean one.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { removeRoot } from '../../test-support/github/emulator.js';
import {
  assertInvariants, checkInvariants, hexToSri, keptVersions, metadataPath, registryState, sriToHex, storageState,
  type Expectation, type Violation,
} from '../../test-support/invariants.js';
import { AUTHOR, REGISTRY, startWorld, type World } from '../../test-support/world.js';

const PRIMARY = 'registry-primary';
const MIRROR = 'registry-mirror';

let world: World;
let s3: S3Client;

beforeEach(async () => {
  world = await startWorld({ buckets: [PRIMARY, MIRROR] });
  s3 = new S3Client({
    endpoint: world.s3.endpoint, region: world.s3.region, credentials: world.s3.credentials, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterEach(async () => {
  s3.destroy();
  await world.close();
  await removeRoot(world.github);
});

// ---------- building states by hand ----------

const tarball = (label: string) => Buffer.from(`not really a tarball: ${label}\n`);
const hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sri = (bytes: Buffer) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

interface Version { version: string; bytes: Buffer; issue: number; publishedTime?: string }
interface RollbackRecord { version: string; bytes: Buffer; issue: number; cleaned?: boolean }

function metadata(name: string, published: Version[], rolledBack: RollbackRecord[] = []): string {
  return JSON.stringify({
    name,
    location: { githubOwner: 'acme', githubRepo: name, repositoryId: 123 },
    published: Object.fromEntries(published.map((v) => [v.version, {
      sha256: sri(v.bytes), bytes: v.bytes.length, ref: `v${v.version}`, commit: 'c'.repeat(40),
      publishedTime: v.publishedTime ?? '2024-01-02T03:04:05.000Z', issue: v.issue,
    }])),
    rolledBack: rolledBack.map((r) => ({
      version: r.version, sha256: sri(r.bytes), by: { id: 7, login: 'trustee' }, at: '2024-02-01T00:00:00.000Z',
      reason: 'test', issue: r.issue, cleaned: r.cleaned ?? true,
    })),
  }, null, 2) + '\n';
}

function trailers(issue: number, run = '9001', attempt = 1): string {
  return `Registrar-Issue: ${issue}\nRegistrar-Run: ${run}\nRegistrar-Attempt: ${attempt}\n`;
}
const publishMessage = (id: string, issue: number, run?: string) => `Publish ${id} (#${issue})\n\n${trailers(issue, run)}`;

async function commit(files: Record<string, string | null>, message: string): Promise<string> {
  return world.github.commitFiles({ owner: REGISTRY.owner, repo: REGISTRY.repo, branch: 'main', files, message });
}

async function put(bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function remove(bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

function openIssue(title = 'Publish request'): number {
  return world.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title, body: '```json\n{}\n```', user: AUTHOR.login }).number;
}

function botSays(issue: number, body: string) {
  return world.github.addComment({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue, body, user: world.github.botUser });
}

function close(issue: number, reason: 'completed' | 'not_planned' = 'completed'): void {
  const live = world.github.issue(REGISTRY.owner, REGISTRY.repo, issue);
  live.state = 'closed';
  live.state_reason = reason;
}

let runs = 9000;
const statusComment = (id: string, run: number, headline = `### ✅ Published \`${id}\``) =>
  `<!-- registrar:status run=${run} attempt=1 -->\n${headline}\n\n| version | … |`;

/** What a successful publish leaves: one commit, the final object in the given buckets, a status comment, the issue closed. */
async function publishCleanly(options: { name: string; path: string; version?: string; buckets?: string[]; earlier?: Version[] }) {
  const version = options.version ?? '1.0.0';
  const id = `${options.name}@${version}`;
  const issue = openIssue();
  const bytes = tarball(id);
  const run = ++runs;
  const entry: Version = { version, bytes, issue };
  await commit({ [options.path]: metadata(options.name, [...(options.earlier ?? []), entry]) }, publishMessage(id, issue, String(run)));
  for (const bucket of options.buckets ?? [PRIMARY, MIRROR]) await put(bucket, `${options.name}/${version}.tar.gz`, bytes);
  botSays(issue, statusComment(id, run));
  close(issue);
  const expectation: Expectation = { name: options.name, version, issue, outcome: 'published' };
  return { issue, bytes, entry, expectation };
}

const invariantsOf = (violations: Violation[]) => [...new Set(violations.map((v) => v.invariant))];
const LEFT_PAD = 'metadata/le/ft/left-pad.json';

// ---------- the re-implemented formats ----------

describe('the formats the checker re-implements from DESIGN.md', () => {
  it('shards metadata paths by name length', () => {
    expect(metadataPath('a')).toBe('metadata/1/a.json');
    expect(metadataPath('ab')).toBe('metadata/2/ab.json');
    expect(metadataPath('abc')).toBe('metadata/3/a/abc.json');
    expect(metadataPath('left-pad')).toBe('metadata/le/ft/left-pad.json');
    expect(metadataPath('demo')).toBe('metadata/de/mo/demo.json');
  });

  it('converts between sha256-<base64> and hex, and rejects what is neither', () => {
    const bytes = tarball('x');
    expect(sriToHex(sri(bytes))).toBe(hex(bytes));
    expect(hexToSri(hex(bytes))).toBe(sri(bytes));
    expect(sriToHex(hex(bytes).toUpperCase())).toBe(hex(bytes));
    expect(sriToHex('sha256-abc=')).toBeUndefined();
    expect(sriToHex(`sha512-${createHash('sha512').update(bytes).digest('base64')}`)).toBeUndefined();
    expect(sriToHex(42)).toBeUndefined();
  });
});

// ---------- a clean world ----------

describe('a clean state', () => {
  it('has no violations: every shard form, a second version of a package, an absent version, a refused issue', async () => {
    const published = [
      (await publishCleanly({ name: 'a', path: 'metadata/1/a.json' })).expectation,
      (await publishCleanly({ name: 'ab', path: 'metadata/2/ab.json' })).expectation,
      (await publishCleanly({ name: 'abc', path: 'metadata/3/a/abc.json' })).expectation,
    ];
    const first = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const second = await publishCleanly({ name: 'left-pad', path: LEFT_PAD, version: '1.1.0', earlier: [first.entry] });
    // A refused request: nothing written, one status comment, the issue closed as not planned.
    const refused = openIssue();
    botSays(refused, statusComment('right-pad@1.0.0', ++runs, '### ❌ Could not publish `right-pad@1.0.0`\n\nThe tag does not exist.'));
    // A person quoting the bot's marker is not the bot repeating itself.
    world.github.addComment({ owner: REGISTRY.owner, repo: REGISTRY.repo, issue: refused, user: AUTHOR.login, body: statusComment('right-pad@1.0.0', runs) });

    const expectations: Expectation[] = [...published, first.expectation, second.expectation,
      { name: 'right-pad', version: '1.0.0', issue: refused, outcome: 'absent' }];
    expect(await checkInvariants(world, { expect: expectations })).toEqual([]);
    await expect(assertInvariants(world, { expect: expectations, branch: 'main', registry: REGISTRY })).resolves.toBeUndefined();
  });

  it('accepts a rollback that records the version and sha256 it removed', async () => {
    const { issue, bytes, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await commit({ [LEFT_PAD]: metadata('left-pad', [], [{ version: '1.0.0', bytes, issue }]) },
      `Rollback left-pad@1.0.0: a trustee asked\n\nRemoved sha256 ${sri(bytes)}.\n\n${trailers(issue, '9500')}`);
    for (const bucket of [PRIMARY, MIRROR]) await remove(bucket, 'left-pad/1.0.0.tar.gz');
    expect(await checkInvariants(world, { expect: [{ ...expectation, outcome: 'absent' }] })).toEqual([]);
  });
});

// ---------- each invariant, broken on purpose ----------

describe('invariant 1: immutable versions', () => {
  it('catches a version whose sha256 changed in a later commit', async () => {
    const { issue } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await commit({ [LEFT_PAD]: metadata('left-pad', [{ version: '1.0.0', bytes: tarball('rebuilt'), issue }]) },
      `Rebuild left-pad 1.0.0\n\n${trailers(issue)}`);
    const violations = await checkInvariants(world, { expect: [] });
    expect(violations).toContainEqual({ invariant: 1, message: expect.stringContaining('left-pad@1.0.0 was committed with sha256') });
  });

  it('catches a version that disappears without a rollback record, or with one for another hash', async () => {
    const { issue } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await commit({ [LEFT_PAD]: metadata('left-pad', [], [{ version: '1.0.0', bytes: tarball('some other build'), issue }]) },
      `Rollback left-pad@1.0.0\n\n${trailers(issue)}`);
    for (const bucket of [PRIMARY, MIRROR]) await remove(bucket, 'left-pad/1.0.0.tar.gz');
    const violations = await checkInvariants(world, { expect: [] });
    expect(violations).toEqual([{ invariant: 1, message: expect.stringContaining('left-pad@1.0.0 disappeared') }]);
  });
});

describe('invariant 2: no uncommitted final objects', () => {
  it('catches a final object whose bytes differ from the committed entry', async () => {
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await put(MIRROR, 'left-pad/1.0.0.tar.gz', tarball('something else entirely'));
    const violations = await checkInvariants(world, { expect: [expectation] });
    expect(violations).toContainEqual({ invariant: 2, message: expect.stringContaining(`${MIRROR}/left-pad/1.0.0.tar.gz holds`) });
    expect(violations.filter((v) => v.message.includes(PRIMARY))).toEqual([]);
  });

  it('catches a final object that no metadata lists', async () => {
    await put(PRIMARY, 'ghost/1.0.0.tar.gz', tarball('ghost'));
    const violations = await checkInvariants(world, { expect: [] });
    expect(violations).toEqual([{ invariant: 2, message: expect.stringContaining(`${PRIMARY}/ghost/1.0.0.tar.gz exists but ghost@1.0.0 is not`) }]);
  });

  it('catches a final object with the right hash but another size in the metadata', async () => {
    const issue = openIssue();
    const bytes = tarball('sized');
    const text = JSON.parse(metadata('left-pad', [{ version: '1.0.0', bytes, issue }]));
    text.published['1.0.0'].bytes = bytes.length + 1;
    await commit({ [LEFT_PAD]: JSON.stringify(text) }, publishMessage('left-pad@1.0.0', issue));
    await put(PRIMARY, 'left-pad/1.0.0.tar.gz', bytes);
    expect(invariantsOf(await checkInvariants(world, { expect: [{ name: 'left-pad', version: '1.0.0', issue, outcome: 'kept' }] }))).toEqual([2]);
  });
});

describe('invariant 3: convergence', () => {
  it('catches a version promoted to only one of two buckets', async () => {
    const other = await publishCleanly({ name: 'right-pad', path: 'metadata/ri/gh/right-pad.json' });
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD, buckets: [PRIMARY] });
    const violations = await checkInvariants(world, { expect: [other.expectation, expectation] });
    expect(violations).toEqual([{ invariant: 3, message: `left-pad@1.0.0 should be published but ${MIRROR}/left-pad/1.0.0.tar.gz does not exist` }]);
  });

  it('catches an empty bucket where a version is expected published, once per bucket, not as a vacuous pass', async () => {
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD, buckets: [PRIMARY] });
    expect(await checkInvariants(world, { expect: [expectation] })).toEqual([{ invariant: 3,
      message: `bucket ${MIRROR} is empty (its raw listing has no object at all), but 1 version(s) are expected published there: left-pad@1.0.0` }]);
    // The control: once the mirror holds the object, the same expectation passes.
    await put(MIRROR, 'left-pad/1.0.0.tar.gz', tarball('left-pad@1.0.0'));
    expect(await checkInvariants(world, { expect: [expectation] })).toEqual([]);
  });

  it('catches an expected publish when the registry has no metadata file at all and no bucket holds anything', async () => {
    const issue = openIssue();
    const violations = await checkInvariants(world, { expect: [{ name: 'left-pad', version: '1.0.0', issue, outcome: 'published' }] });
    const head = (await registryState(world)).head.slice(0, 12);
    expect(violations.filter((v) => v.invariant === 3)).toEqual([
      { invariant: 3, message: `bucket ${PRIMARY} is empty (its raw listing has no object at all), but 1 version(s) are expected published there: left-pad@1.0.0` },
      { invariant: 3, message: `bucket ${MIRROR} is empty (its raw listing has no object at all), but 1 version(s) are expected published there: left-pad@1.0.0` },
      { invariant: 3, message: `the registry head ${head} has no metadata file at all (nothing under metadata/), but 1 version(s) are expected published: left-pad@1.0.0` },
    ]);
    // Nothing published, nothing expected: an empty world is clean.
    expect(await checkInvariants(world, { expect: [{ name: 'left-pad', version: '1.0.0', issue, outcome: 'absent' }] })).toEqual([]);
  });

  it('catches an expected publish in a world with no bucket to list', async () => {
    const bare = await startWorld({ buckets: [] });
    try {
      const issue = bare.github.createIssue({ owner: REGISTRY.owner, repo: REGISTRY.repo, title: 'Publish request', body: '{}', user: AUTHOR.login }).number;
      const violations = await checkInvariants(bare, { expect: [{ name: 'left-pad', version: '1.0.0', issue, outcome: 'published' }] });
      expect(violations).toContainEqual({ invariant: 3, message: 'there is no bucket to list, but 1 version(s) are expected published: left-pad@1.0.0' });
    } finally {
      await bare.close();
      await removeRoot(bare.github);
    }
  });

  it('catches a version that was never committed, and one recorded under another issue', async () => {
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const violations = await checkInvariants(world, { expect: [
      { ...expectation, issue: expectation.issue + 100 },
      { name: 'right-pad', version: '2.0.0', issue: expectation.issue, outcome: 'published' },
    ] });
    expect(violations).toContainEqual({ invariant: 3, message: expect.stringContaining('recorded with issue') });
    expect(violations).toContainEqual({ invariant: 3, message: expect.stringContaining('right-pad@2.0.0 (issue') });
    expect(violations).toContainEqual({ invariant: 3, message: expect.stringContaining(`${PRIMARY}/right-pad/2.0.0.tar.gz does not exist`) });
  });

  it('catches a version expected absent that is committed', async () => {
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const violations = await checkInvariants(world, { expect: [{ ...expectation, outcome: 'absent' }] });
    expect(violations).toContainEqual({ invariant: 3, message: expect.stringContaining('should be absent but the registry head') });
    expect(violations).toContainEqual({ invariant: 3, message: `left-pad@1.0.0 should be absent but ${MIRROR}/left-pad/1.0.0.tar.gz exists` });
  });
});

describe('invariant 5: no garbage', () => {
  it('catches a staging object left behind after a publish', async () => {
    const { bytes, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const key = `staging/left-pad/1.0.0/${hex(bytes)}.tar.gz`;
    await put(MIRROR, key, bytes);
    const violations = await checkInvariants(world, { expect: [expectation] });
    expect(violations).toEqual([{ invariant: 5, message: `staging object ${MIRROR}/${key} of left-pad@1.0.0 was left behind` }]);
  });

  it('catches staging objects of any package and version, expected or not, and keys of no known form', async () => {
    const { bytes, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    // Clean first: the control.
    expect(await checkInvariants(world, { expect: [expectation] })).toEqual([]);
    const sibling = `staging/left-pad/1.0.01/${hex(bytes)}.tar.gz`;
    const stranger = `staging/never-committed/2.0.0/${hex(bytes)}.tar.gz`;
    const odd = 'staging/notes.txt';
    await put(PRIMARY, sibling, bytes);
    await put(MIRROR, stranger, bytes);
    await put(MIRROR, odd, Buffer.from('?'));
    expect(await checkInvariants(world, { expect: [expectation] })).toEqual([
      { invariant: 5, message: `staging object ${PRIMARY}/${sibling} of left-pad@1.0.01 was left behind` },
      { invariant: 5, message: `staging object ${MIRROR}/${stranger} of never-committed@2.0.0 was left behind` },
      { invariant: 5, message: `staging object ${MIRROR}/${odd} was left behind (not of the form staging/<name>/<version>/<sha256>.tar.gz)` },
    ]);
  });
});

describe('invariant 6: every committed version is accounted for', () => {
  it('catches a committed version that no expectation publishes or keeps, of another package or another version', async () => {
    const first = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const second = await publishCleanly({ name: 'left-pad', path: LEFT_PAD, version: '1.1.0', earlier: [first.entry] });
    const other = await publishCleanly({ name: 'right-pad', path: 'metadata/ri/gh/right-pad.json' });
    expect(await checkInvariants(world, { expect: [first.expectation] })).toEqual([
      { invariant: 6, message: `left-pad@1.1.0 is committed at the registry head (${LEFT_PAD}, issue ${second.issue}) but no expectation publishes or keeps it` },
      { invariant: 6, message: `right-pad@1.0.0 is committed at the registry head (metadata/ri/gh/right-pad.json, issue ${other.issue}) but no expectation publishes or keeps it` },
    ]);
    // The control: declared, as published or as kept from before the scenario, they pass.
    expect(await checkInvariants(world, { expect: [first.expectation, second.expectation, { ...other.expectation, outcome: 'kept' }] })).toEqual([]);
  });

  it('takes the versions committed before a scenario as kept, and holds them to it', async () => {
    const seeded = await publishCleanly({ name: 'right-pad', path: 'metadata/ri/gh/right-pad.json' });
    const kept = await keptVersions(world);
    expect(kept).toEqual([{ name: 'right-pad', version: '1.0.0', issue: seeded.issue, outcome: 'kept' }]);
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    expect(await checkInvariants(world, { expect: [...kept, expectation] })).toEqual([]);

    // A kept version recorded under another issue, and one the scenario removed (with a record, so 1's history check is quiet).
    const wrongIssue = { ...kept[0]!, issue: seeded.issue + 1 };
    expect(await checkInvariants(world, { expect: [wrongIssue, expectation] })).toEqual([{ invariant: 1,
      message: `right-pad@1.0.0 was committed before the scenario with issue #${seeded.issue + 1}, but the head records issue ${seeded.issue}` }]);
    await commit({ 'metadata/ri/gh/right-pad.json': metadata('right-pad', [], [{ version: '1.0.0', bytes: seeded.bytes, issue: seeded.issue }]) },
      `Rollback right-pad@1.0.0: a trustee asked\n\n${trailers(seeded.issue, '9600')}`);
    for (const bucket of [PRIMARY, MIRROR]) await remove(bucket, 'right-pad/1.0.0.tar.gz');
    expect(await checkInvariants(world, { expect: [...kept, expectation] })).toEqual([{ invariant: 1,
      message: `right-pad@1.0.0 (issue #${seeded.issue}) was committed before the scenario and should have been kept, but the registry head's metadata no longer lists it` }]);
  });
});

describe('invariant 7: auditable', () => {
  it('catches a metadata commit without trailers', async () => {
    const issue = openIssue();
    const bytes = tarball('untrailed');
    await commit({ [LEFT_PAD]: metadata('left-pad', [{ version: '1.0.0', bytes, issue }]) }, `Publish left-pad@1.0.0 (#${issue})\n`);
    for (const bucket of [PRIMARY, MIRROR]) await put(bucket, 'left-pad/1.0.0.tar.gz', bytes);
    const violations = await checkInvariants(world, { expect: [{ name: 'left-pad', version: '1.0.0', issue, outcome: 'kept' }] });
    expect(invariantsOf(violations)).toEqual([7]);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringContaining('"Registrar-Issue" trailer'),
      expect.stringContaining('"Registrar-Run" trailer'),
      expect.stringContaining('"Registrar-Attempt" trailer'),
    ]);
  });

  it('catches two commits adding the same version (a retry that committed twice)', async () => {
    const { issue, entry, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await commit({ [LEFT_PAD]: metadata('left-pad', [{ ...entry, publishedTime: '2024-01-02T03:09:00.000Z' }]) },
      `Publish left-pad@1.0.0 (#${issue})\n\n${trailers(issue, '9999', 2)}`);
    const violations = await checkInvariants(world, { expect: [expectation] });
    expect(violations).toEqual([{ invariant: 7, message: expect.stringContaining('publishes left-pad@1.0.0 again') }]);
  });

  it('catches a version removed without a record and added again by a second commit', async () => {
    const { issue, entry } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    await commit({ [LEFT_PAD]: metadata('left-pad', []) }, `Rollback left-pad@1.0.0\n\n${trailers(issue)}`);
    await commit({ [LEFT_PAD]: metadata('left-pad', [entry]) }, publishMessage('left-pad@1.0.0', issue));
    const violations = await checkInvariants(world, { expect: [] });
    expect(violations).toContainEqual({ invariant: 1, message: expect.stringContaining('disappeared') });
    expect(violations).toContainEqual({ invariant: 7, message: expect.stringContaining('left-pad@1.0.0 is added by two commits') });
  });

  it('catches a headline or entry naming the wrong issue, an unnamed version, an unknown headline, a misplaced file', async () => {
    const issue = openIssue();
    const bytes = tarball('wrong issue');
    await commit({ [LEFT_PAD]: metadata('left-pad', [{ version: '1.0.0', bytes, issue: issue + 1 }, { version: '1.0.1', bytes, issue }]) },
      `Publish left-pad@1.0.0 (#${issue + 5})\n\n${trailers(issue)}`);
    await commit({ 'metadata/ri/right-pad.json': metadata('right-pad', []) }, `Tidy up\n\n${trailers(issue)}`);
    const messages = (await checkInvariants(world, { expect: [] })).map((v) => `${v.invariant} ${v.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/^7 .*says #\d+ in its first line but Registrar-Issue/),
      expect.stringMatching(/^7 .*adds left-pad@1\.0\.0 recording issue/),
      expect.stringMatching(/^7 .*adds left-pad@1\.0\.1, which its first line does not name/),
      expect.stringMatching(/^7 .*changes metadata\/ but its first line is "Tidy up"/),
      expect.stringMatching(/^7 right-pad's metadata is at metadata\/ri\/right-pad\.json, not where its name shards to \(metadata\/ri\/gh\/right-pad\.json\)/),
    ]));
  });

  it('catches unreadable metadata', async () => {
    const issue = openIssue();
    await commit({ [LEFT_PAD]: '{"name": "left-pad", "published": {"1.0.0": {"sha256": "md5-xyz"}}}' }, publishMessage('left-pad@1.0.0', issue));
    await commit({ 'metadata/no/pe/nope.json': 'not json' }, `Publish nope@1.0.0 (#${issue})\n\n${trailers(issue)}`);
    const messages = (await checkInvariants(world, { expect: [] })).map((v) => `${v.invariant} ${v.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/^7 metadata\/le\/ft\/left-pad\.json: 1\.0\.0 has no valid sha256/),
      expect.stringMatching(/^7 metadata\/no\/pe\/nope\.json is not JSON/),
    ]));
  });
});

describe("the issue's comments", () => {
  it('catch two bot comments with the same marker (a lost POST repeated)', async () => {
    const { issue, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    // The status comment's POST was applied but its answer lost, so the same attempt posted it again.
    botSays(issue, world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).comments[0]!.body);
    const violations = await checkInvariants(world, { expect: [expectation] });
    expect(violations).toEqual([{ invariant: 'comments', message: expect.stringContaining(`issue #${issue}: 2 bot comments`) }]);
  });

  it('catch "already exists", "already published" by its own issue, an open issue and a newest comment that is not success', async () => {
    const { issue, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    botSays(issue, statusComment('left-pad@1.0.0', ++runs, 'left-pad/1.0.0.tar.gz already exists in storage'));
    // Registrar writes mentions in prose with a zero-width space after the @.
    botSays(issue, statusComment('left-pad@1.0.0', ++runs, `### ❌ Could not publish \`left-pad@1.0.0\`\n\nleft-pad@\u200b1.0.0 is already published (issue #${issue}).`));
    world.github.issue(REGISTRY.owner, REGISTRY.repo, issue).state = 'open';
    const messages = (await checkInvariants(world, { expect: [expectation] })).map((v) => `${v.invariant} ${v.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^comments .* says "already exists"/),
      expect.stringMatching(/^comments .*refuses the issue's own version/),
      expect.stringMatching(/^comments .*newest bot comment does not say left-pad@1\.0\.0 was published/),
      expect.stringMatching(/^comments .*is still open/),
    ]);
  });

  it('do not count "already published" that names another issue', async () => {
    const { issue: first, expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const second = openIssue();
    botSays(second, statusComment('left-pad@1.0.0', ++runs, `### ❌ Could not publish \`left-pad@1.0.0\`\n\nleft-pad@1.0.0 is already published (issue #${first}).`));
    close(second, 'not_planned');
    expect(await checkInvariants(world, { expect: [expectation, { ...expectation, issue: second, outcome: 'published' }] }))
      .toEqual([
        { invariant: 3, message: expect.stringContaining('recorded with issue') },
        { invariant: 'comments', message: expect.stringContaining(`issue #${second}: the newest bot comment`) },
      ]);
  });
});

describe('assertInvariants', () => {
  it('throws one error listing every violation', async () => {
    const { expectation } = await publishCleanly({ name: 'left-pad', path: LEFT_PAD, buckets: [PRIMARY] });
    await put(PRIMARY, 'ghost/1.0.0.tar.gz', tarball('ghost'));
    await put(PRIMARY, 'staging/left-pad/1.0.0/x.tar.gz', tarball('left'));
    const error = await assertInvariants(world, { expect: [expectation] })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/^3 invariant violation\(s\):\n- \[invariant 2\] .*ghost.*\n- \[invariant 3\] .*registry-mirror.*\n- \[invariant 5\] .*staging/);
  });
});

describe('registryState and storageState', () => {
  it('give snapshots that stay equal when nothing is written and differ when anything is', async () => {
    await publishCleanly({ name: 'left-pad', path: LEFT_PAD });
    const registry = await registryState(world);
    const storage = await storageState(world);
    expect(registry.head).toBe(await world.github.head(REGISTRY.owner, REGISTRY.repo, 'main'));
    expect(registry.packages).toEqual({ [LEFT_PAD]: expect.objectContaining({ name: 'left-pad' }) });
    expect(Object.keys(storage)).toEqual([PRIMARY, MIRROR]);
    expect(storage[PRIMARY]).toEqual([{ key: 'left-pad/1.0.0.tar.gz', bytes: tarball('left-pad@1.0.0').length, sha256: hex(tarball('left-pad@1.0.0')) }]);
    expect(await registryState(world)).toEqual(registry);
    expect(await storageState(world)).toEqual(storage);

    await put(MIRROR, 'staging/right-pad/1.0.0/x.tar.gz', tarball('staged'));
    expect(await storageState(world)).not.toEqual(storage);
    await commit({ 'metadata/ri/gh/right-pad.json': metadata('right-pad', []) }, 'unrelated');
    const after = await registryState(world);
    expect(after.head).not.toBe(registry.head);
    expect(Object.keys(after.packages).sort()).toEqual([LEFT_PAD, 'metadata/ri/gh/right-pad.json']);
  });
});
