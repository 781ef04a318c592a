// Package metadata files: their sharded paths, strict reading, canonical bytes, and transitions that never mutate.
import { describe, expect, it } from '@jest/globals';
import { RegistrarError } from '../../src/errors.js';
import {
  addPublished,
  historyLost,
  markRollbackCleaned,
  metadataPath,
  parseMetadata,
  pendingRollback,
  removeForRollback,
  serializeMetadata,
} from '../../src/core/metadata.js';
import type { PackageMetadata, PublishedVersion, PublishRequest } from '../../src/core/types.js';

const sri = (c: string) => `sha256-${c.repeat(42)}A=`;
const commit = 'c'.repeat(40);

const entry = (version: string, issue: number, hash = sri('A')): PublishedVersion => ({
  sha256: hash,
  bytes: 1234,
  ref: `v${version}`,
  commit,
  publishedTime: '2024-05-01T12:00:00.000Z',
  issue,
});

const request = (version: string, owner = 'acme', repo = 'left-pad'): PublishRequest => ({
  name: 'left-pad',
  version,
  ref: `v${version}`,
  location: { githubOwner: owner, githubRepo: repo },
});

const sample: PackageMetadata = {
  name: 'left-pad',
  location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 123 },
  published: { '1.10.0': entry('1.10.0', 44), '1.2.0': entry('1.2.0', 42), '1.9.0': entry('1.9.0', 43) },
  rolledBack: [
    { version: '1.1.0', sha256: sri('B'), by: { id: 7, login: 'trustee' }, at: '2024-04-01T00:00:00Z', reason: 'bad build', issue: 40, commentId: 99, cleaned: true },
  ],
};

function thrown(run: () => unknown): RegistrarError {
  try {
    run();
  } catch (error) {
    if (error instanceof RegistrarError) return error;
    throw error;
  }
  throw new Error('expected a RegistrarError');
}

describe('metadataPath', () => {
  it.each([
    ['a', 'metadata/1/a.json'],
    ['ab', 'metadata/2/ab.json'],
    ['abc', 'metadata/3/a/abc.json'],
    ['abcd', 'metadata/ab/cd/abcd.json'],
    ['left-pad', 'metadata/le/ft/left-pad.json'],
    ['ab-c', 'metadata/ab/-c/ab-c.json'],
  ])('%j → %j', (name, path) => {
    expect(metadataPath(name)).toBe(path);
  });

  it('refuses names that are not valid', () => {
    expect(() => metadataPath('../x')).toThrow(TypeError);
    expect(() => metadataPath('')).toThrow(TypeError);
  });
});

describe('serializeMetadata', () => {
  it('writes fixed key order, semver order, 2-space JSON and a trailing newline', () => {
    const text = serializeMetadata(sample);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text).published)).toEqual(['1.2.0', '1.9.0', '1.10.0']);
    expect(text.split('\n').slice(0, 7)).toEqual([
      '{',
      '  "name": "left-pad",',
      '  "location": {',
      '    "githubOwner": "acme",',
      '    "githubRepo": "left-pad",',
      '    "repositoryId": 123',
      '  },',
    ]);
  });

  it('gives the same bytes for the same data built in any insertion order', () => {
    const e = entry('1.2.0', 42);
    const shuffled: PackageMetadata = {
      rolledBack: sample.rolledBack.map((r) => ({ cleaned: r.cleaned, commentId: r.commentId, issue: r.issue, reason: r.reason, at: r.at, by: { login: r.by.login, id: r.by.id }, sha256: r.sha256, version: r.version })),
      published: {
        '1.9.0': entry('1.9.0', 43),
        '1.2.0': { issue: e.issue, publishedTime: e.publishedTime, commit: e.commit, ref: e.ref, bytes: e.bytes, sha256: e.sha256 },
        '1.10.0': entry('1.10.0', 44),
      },
      location: { repositoryId: 123, githubRepo: 'left-pad', githubOwner: 'acme' },
      name: 'left-pad',
    };
    expect(serializeMetadata(shuffled)).toBe(serializeMetadata(sample));
  });

  it('round-trips through parseMetadata', () => {
    const text = serializeMetadata(sample);
    const parsed = parseMetadata(text, 'left-pad');
    expect(parsed).toEqual(sample);
    expect(serializeMetadata(parsed)).toBe(text);
  });

  it('omits an absent commentId rather than writing null', () => {
    const [record] = sample.rolledBack;
    const withoutComment = { ...sample, rolledBack: [{ ...record!, commentId: undefined }] };
    expect(serializeMetadata(withoutComment)).not.toMatch(/commentId/);
  });

  it('never writes metadata it would refuse to read', () => {
    expect(() => serializeMetadata({ ...sample, published: { 'v1.0.0': entry('1.0.0', 1) } })).toThrow(TypeError);
    expect(() => serializeMetadata({ ...sample, location: { ...sample.location, repositoryId: 0 } })).toThrow(TypeError);
    expect(() => serializeMetadata({ ...sample, published: { '1.0.0': { ...entry('1.0.0', 1), sha256: 'abc' } } })).toThrow(TypeError);
  });
});

describe('parseMetadata', () => {
  const good = serializeMetadata(sample);

  it.each([
    ['not JSON', 'not json', /not valid JSON/],
    ['a duplicate key', good.replace('"name": "left-pad",', '"name": "left-pad", "name": "left-pad",'), /appears more than once/],
    ['an unknown field', good.replace('"name": "left-pad",', '"name": "left-pad", "extra": 1,'), /extra/],
    ['another package', good.replace('"name": "left-pad"', '"name": "right-pad"'), /names the package `right-pad`, not `left-pad`/],
    ['a bad version key', good.replace('"1.9.0": {', '"1.09.0": {'), /published/],
    ['a bad hash', good.replace(sri('A'), 'sha256-xyz'), /sha256/],
    ['a missing field', good.replace('"rolledBack"', '"rolledback"'), /rolledBack|rolledback/],
    ['a __proto__ key', good.replace('"published": {', '"published": { "__proto__": {},'), /__proto__/],
  ])('refuses %s as a conflict naming the path', (_label, text, why) => {
    const error = thrown(() => parseMetadata(text, 'left-pad'));
    expect(error.kind).toBe('conflict');
    expect(error.message).toMatch(/^The registry file metadata\/le\/ft\/left-pad.json is corrupt: /);
    expect(error.message).toMatch(why);
    expect(error.hint).toMatch(/will not overwrite/);
  });
});

describe('addPublished', () => {
  it('creates the file on the first publish, binding the repository id', () => {
    const meta = addPublished(undefined, { request: request('1.0.0'), repositoryId: 123, entry: entry('1.0.0', 1) });
    expect(meta).toEqual({
      name: 'left-pad',
      location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 123 },
      published: { '1.0.0': entry('1.0.0', 1) },
      rolledBack: [],
    });
  });

  it('adds a version without mutating the input, and follows a rename of the bound repository', () => {
    const before = structuredClone(sample);
    const meta = addPublished(sample, { request: request('2.0.0', 'acme-labs', 'pad'), repositoryId: 123, entry: entry('2.0.0', 50) });
    expect(sample).toEqual(before);
    expect(meta.location).toEqual({ githubOwner: 'acme-labs', githubRepo: 'pad', repositoryId: 123 });
    expect(Object.keys(meta.published)).toEqual(['1.2.0', '1.9.0', '1.10.0', '2.0.0']);
    expect(meta.rolledBack).toEqual(sample.rolledBack);
    expect(meta.rolledBack).not.toBe(sample.rolledBack);
  });

  it('refuses another repository id and an existing version, even if the plan was skipped', () => {
    expect(thrown(() => addPublished(sample, { request: request('2.0.0'), repositoryId: 999, entry: entry('2.0.0', 50) })).kind).toBe('refused');
    expect(thrown(() => addPublished(sample, { request: request('1.2.0'), repositoryId: 123, entry: entry('1.2.0', 42) })).kind).toBe('conflict');
  });
});

describe('rollback transitions', () => {
  const by = { id: 7, login: 'trustee' };

  it('removes the version and records the removed hash, uncleaned; then marks it cleaned', () => {
    const before = structuredClone(sample);
    const removed = removeForRollback(sample, { version: '1.9.0', by, at: '2024-06-01T00:00:00Z', reason: 'leaked key', issue: 60, commentId: 5 });
    expect(sample).toEqual(before);
    expect(Object.keys(removed.published)).toEqual(['1.2.0', '1.10.0']);
    expect(pendingRollback(removed, '1.9.0')).toEqual({
      version: '1.9.0', sha256: sri('A'), by, at: '2024-06-01T00:00:00Z', reason: 'leaked key', issue: 60, commentId: 5, cleaned: false,
    });
    const cleaned = markRollbackCleaned(removed, '1.9.0');
    expect(pendingRollback(cleaned, '1.9.0')).toBeUndefined();
    expect(cleaned.rolledBack.map((r) => r.cleaned)).toEqual([true, true]);
    expect(removed.rolledBack[1]?.cleaned).toBe(false);
    expect(parseMetadata(serializeMetadata(cleaned), 'left-pad')).toEqual(cleaned);
  });

  it('refuses to roll back a version that is not published, or to clean one with no pending rollback', () => {
    expect(thrown(() => removeForRollback(sample, { version: '3.0.0', by, at: '2024-06-01T00:00:00Z', reason: 'x', issue: 1 })).kind).toBe('refused');
    expect(thrown(() => markRollbackCleaned(sample, '1.1.0')).kind).toBe('conflict');
  });
});

describe('historyLost: what a commit would lose (rule 11)', () => {
  const by = { id: 7, login: 'trustee' };
  const fresh = addPublished(undefined, { request: request('2.0.0'), repositoryId: 123, entry: entry('2.0.0', 50) });

  it('a publish that adds a version to what was read loses nothing', () => {
    const next = addPublished(sample, { request: request('2.0.0'), repositoryId: 123, entry: entry('2.0.0', 50) });
    expect(historyLost(sample, next)).toEqual([]);
    expect(historyLost(undefined, fresh)).toEqual([]);
  });

  it('metadata planned as if the package were new drops every committed version and the rollback record', () => {
    // What a 404 read as "never published" used to commit.
    expect(historyLost(sample, fresh)).toEqual([
      'left-pad@1.10.0 would disappear without a rollback record',
      'left-pad@1.2.0 would disappear without a rollback record',
      'left-pad@1.9.0 would disappear without a rollback record',
      'the rollback record of left-pad@1.1.0 would disappear',
    ]);
  });

  it('changed bytes and a rebound repository are losses too', () => {
    const changed = { ...sample, published: { ...sample.published, '1.2.0': entry('1.2.0', 42, sri('C')) } };
    expect(historyLost(sample, changed)).toEqual(['left-pad@1.2.0 would change its sha256']);
    const rebound = { ...sample, location: { ...sample.location, repositoryId: 999 } };
    expect(historyLost(sample, rebound)).toEqual(['left-pad would be bound to another repository']);
  });

  it('a rollback may remove exactly its version, and only with a record of exactly those bytes', () => {
    const next = removeForRollback(sample, { version: '1.9.0', by, at: '2024-06-01T00:00:00Z', reason: 'r', issue: 43 });
    expect(historyLost(sample, next, '1.9.0')).toEqual([]);
    expect(historyLost(sample, next)).toEqual(['left-pad@1.9.0 would disappear without a rollback record']);
    expect(historyLost(sample, next, '1.2.0')).toEqual(['left-pad@1.9.0 would disappear without a rollback record']);
    const unrecorded = { ...next, rolledBack: sample.rolledBack };
    expect(historyLost(sample, unrecorded, '1.9.0')).toEqual(['left-pad@1.9.0 would disappear without a rollback record']);
  });
});
