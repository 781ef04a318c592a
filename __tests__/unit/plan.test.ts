// The publish plan: given the registry's record and a built tarball, commit fresh, resume, or refuse with nothing written.
import { describe, expect, it } from '@jest/globals';
import { planPublish, type PlanPublishArgs, type PublishPlan } from '../../src/core/plan.js';
import { serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata, PublishedVersion } from '../../src/core/types.js';

const HASH_A = `sha256-${'A'.repeat(43)}=`;
const HASH_B = `sha256-${'B'.repeat(42)}A=`;
const COMMIT_1 = '1'.repeat(40);
const COMMIT_2 = '2'.repeat(40);
const NOW = '2024-06-01T00:00:00.000Z';

const committed = (issue: number, sha256 = HASH_A): PublishedVersion => ({
  sha256, bytes: 100, ref: 'v1.2.0', commit: COMMIT_1, publishedTime: '2024-05-01T00:00:00.000Z', issue,
});

const registry = (over: Partial<PackageMetadata> = {}): PackageMetadata => ({
  name: 'left-pad',
  location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 123 },
  published: { '1.0.0': committed(10) },
  rolledBack: [],
  ...over,
});

function args(over: Partial<PlanPublishArgs> = {}): PlanPublishArgs {
  return {
    request: { name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } },
    issue: 42,
    repositoryId: 123,
    built: { sha256: HASH_A, bytes: 100, commit: COMMIT_1 },
    current: registry(),
    now: NOW,
    ...over,
  };
}

function refusal(plan: PublishPlan) {
  if (plan.kind !== 'refuse') throw new Error(`expected a refusal, got ${plan.kind}`);
  return plan;
}

describe('planPublish', () => {
  it('fresh on the first publish: creates the metadata and binds the repository id', () => {
    const plan = planPublish(args({ current: undefined }));
    const entry = { sha256: HASH_A, bytes: 100, ref: 'v1.2.0', commit: COMMIT_1, publishedTime: NOW, issue: 42 };
    expect(plan).toEqual({
      kind: 'fresh',
      entry,
      metadata: { name: 'left-pad', location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 123 }, published: { '1.2.0': entry }, rolledBack: [] },
    });
    if (plan.kind === 'fresh') expect(() => serializeMetadata(plan.metadata)).not.toThrow();
  });

  it('fresh for a new version of a bound package, keeping the other versions and not touching the input', () => {
    const current = registry();
    const before = structuredClone(current);
    const plan = planPublish(args({ current }));
    expect(plan.kind).toBe('fresh');
    expect(current).toEqual(before);
    if (plan.kind === 'fresh') expect(Object.keys(plan.metadata.published)).toEqual(['1.0.0', '1.2.0']);
  });

  it('fresh from a renamed repository (same id), recording the new names', () => {
    const plan = planPublish(args({ request: { ...args().request, location: { githubOwner: 'acme-labs', githubRepo: 'pad' } } }));
    expect(plan.kind === 'fresh' && plan.metadata.location).toEqual({ githubOwner: 'acme-labs', githubRepo: 'pad', repositoryId: 123 });
  });

  it.each([
    ['a fork or look-alike', 456],
    ['a deleted and re-created owner/repo', 124],
  ])('refuses %s: the name is bound to another repository id', (_label, repositoryId) => {
    const plan = refusal(planPublish(args({ repositoryId })));
    expect(plan.reason).toBe('`left-pad` is published from repository id 123 (`acme/left-pad`); requests from other repositories are refused.');
    expect(plan.hint).toMatch(/acme\/left-pad/);
  });

  it('refuses a version another issue committed, even with identical bytes', () => {
    const plan = refusal(planPublish(args({ current: registry({ published: { '1.2.0': committed(41) } }) })));
    expect(plan.reason).toBe('`left-pad@1.2.0` is already published (issue #41).');
    expect(plan.final).toBe(true);
  });

  it('resumes a version this issue committed with the same sha256', () => {
    const entry = committed(42);
    expect(planPublish(args({ current: registry({ published: { '1.2.0': entry } }), now: '2030-01-01T00:00:00Z' }))).toEqual({ kind: 'resume', entry });
  });

  it('resumes from the recorded commit when this issue committed the version but the tag now gives other bytes', () => {
    const entry = committed(42, HASH_B);
    const plan = planPublish(args({
      current: registry({ published: { '1.2.0': entry } }),
      built: { sha256: HASH_A, bytes: 100, commit: COMMIT_2 },
    }));
    expect(plan).toEqual({ kind: 'resume', entry, rebuildFrom: entry.commit });
  });

  const rollback = (cleaned: boolean, at = '2024-05-20T00:00:00Z') => ({
    version: '1.2.0', sha256: HASH_A, by: { id: 7, login: 'trustee' }, at, reason: 'bad', issue: 30, commentId: 9, cleaned,
  });

  it('refuses while a rollback of the version is not cleaned', () => {
    const plan = refusal(planPublish(args({ current: registry({ rolledBack: [rollback(false)] }) })));
    expect(plan.reason).toMatch(/^`left-pad@1.2.0` was rolled back by trustee at .* rollback is still in progress/);
  });

  it('refuses a request made before a (cleaned) rollback of the version, even with other bytes', () => {
    const plan = refusal(planPublish(args({ built: { sha256: HASH_B, bytes: 100, commit: COMMIT_2 },
      current: registry({ rolledBack: [rollback(true)] }), triggeredAt: '2024-05-19T00:00:00Z' })));
    expect(plan.reason).toMatch(/after this request was made/);
  });

  it('allows the version number again after a cleaned rollback, only with other bytes, for a request made after it', () => {
    const other = { built: { sha256: HASH_B, bytes: 100, commit: COMMIT_2 } };
    expect(planPublish(args({ ...other, current: registry({ rolledBack: [rollback(true)] }), triggeredAt: '2024-05-21T00:00:00Z' })).kind).toBe('fresh');
    expect(planPublish(args({ ...other, current: registry({ rolledBack: [rollback(true)] }) })).kind).toBe('fresh');
  });

  it('never publishes rolled-back bytes again, whoever asks, whenever, under any version number (rule 8)', () => {
    const later = refusal(planPublish(args({ current: registry({ rolledBack: [rollback(true)] }), triggeredAt: '2024-05-21T00:00:00Z' })));
    expect(later).toMatchObject({ final: true });
    expect(later.reason).toMatch(/are those of `left-pad@1.2.0`, which trustee rolled back .* can never be published again for `left-pad`/);
    const anotherVersion = args({ request: { ...args().request, version: '1.2.1', ref: 'v1.2.1' }, current: registry({ rolledBack: [rollback(true)] }) });
    expect(refusal(planPublish(anotherVersion)).reason).toMatch(/can never be published again/);
    const anotherIssue = args({ issue: 99, current: registry({ rolledBack: [rollback(true)] }) });
    expect(refusal(planPublish(anotherIssue)).reason).toMatch(/can never be published again/);
  });

  it('ignores rollbacks of other versions with other bytes', () => {
    const other = { ...rollback(false), version: '1.1.0', sha256: HASH_B };
    expect(planPublish(args({ current: registry({ rolledBack: [other] }), triggeredAt: '2024-01-01T00:00:00Z' })).kind).toBe('fresh');
  });

  it('checks the binding before anything else', () => {
    const current = registry({ published: { '1.2.0': committed(42) }, rolledBack: [rollback(false)] });
    expect(refusal(planPublish(args({ current, repositoryId: 999 }))).reason).toMatch(/repository id 123/);
  });
});
