// What a publish or rollback made from the CLI records (no issue, a rollback by login only), how a repeated CLI publish is planned, and how the CLI reads its target and request flags.
import { describe, expect, it } from '@jest/globals';
import { nameAtVersion, UsageError } from '../../src/cli/options.js';
import { requestFromFlags } from '../../src/cli/publish.js';
import { parseTrailers, registryCommitMessage } from '../../src/core/commit-message.js';
import { parseMetadata, removeForRollback, serializeMetadata } from '../../src/core/metadata.js';
import { planPublish } from '../../src/core/plan.js';
import type { PackageMetadata, PublishRequest } from '../../src/core/types.js';

const SRI = `sha256-${Buffer.alloc(32, 3).toString('base64')}`;
const OTHER = `sha256-${Buffer.alloc(32, 4).toString('base64')}`;
const request: PublishRequest = { name: 'left-pad', version: '1.0.0', ref: 'v1.0.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } };
const built = { sha256: SRI, bytes: 10, commit: 'c'.repeat(40) };
const now = '2026-01-01T00:00:00.000Z';

function committedBy(issue: number | undefined): PackageMetadata {
  const plan = planPublish({ request, issue, repositoryId: 42, built, current: undefined, now });
  if (plan.kind !== 'fresh') throw new Error('expected a fresh plan');
  return plan.metadata;
}

describe('a version published from the CLI', () => {
  it('records no issue, and its file reads back as written', () => {
    const metadata = committedBy(undefined);
    expect(metadata.published['1.0.0']).not.toHaveProperty('issue');
    const text = serializeMetadata(metadata);
    expect(text).not.toContain('"issue"');
    expect(parseMetadata(text, 'left-pad')).toEqual(metadata);
  });

  it('is resumed by the CLI (the same command again converges) and by no issue', () => {
    const current = committedBy(undefined);
    expect(planPublish({ request, issue: undefined, repositoryId: 42, built, current, now })).toMatchObject({ kind: 'resume' });
    expect(planPublish({ request, issue: 7, repositoryId: 42, built, current, now }))
      .toMatchObject({ kind: 'refuse', final: true, reason: expect.stringContaining('already published (from the command line)') });
  });

  it('an issue\'s version is not resumed by the CLI', () => {
    const current = committedBy(7);
    expect(planPublish({ request, issue: undefined, repositoryId: 42, built, current, now }))
      .toMatchObject({ kind: 'refuse', reason: expect.stringContaining('already published (issue #7)') });
  });

  it('a CLI rollback records who by login, with no id and no issue, and the bytes stay blocked', () => {
    const rolled = removeForRollback(committedBy(undefined), { version: '1.0.0', by: { login: 'trustee-tom' }, at: now, reason: 'broken' });
    const text = serializeMetadata(rolled);
    expect(JSON.parse(text).rolledBack).toEqual([{ version: '1.0.0', sha256: SRI, by: { login: 'trustee-tom' }, at: now, reason: 'broken', cleaned: false }]);
    expect(parseMetadata(text, 'left-pad')).toEqual(rolled);
    const cleaned = { ...rolled, rolledBack: rolled.rolledBack.map((r) => ({ ...r, cleaned: true })) };
    expect(planPublish({ request, issue: undefined, repositoryId: 42, built, current: cleaned, now })).toMatchObject({ kind: 'refuse', final: true });
    expect(planPublish({ request, issue: undefined, repositoryId: 42, built: { ...built, sha256: OTHER }, current: cleaned, now })).toMatchObject({ kind: 'fresh' });
  });

  it('commits with a headline naming no issue and no issue trailer', () => {
    const message = registryCommitMessage({ action: 'Rollback', note: 'storage cleaned', name: 'left-pad', version: '1.0.0', issue: undefined, run: 'cli', attempt: 1 });
    expect(message.full).toBe('Rollback left-pad@1.0.0: storage cleaned\n\nRegistrar-Run: cli\nRegistrar-Attempt: 1\n');
    expect(parseTrailers(message.full)).toEqual({ run: 'cli', attempt: 1 });
  });
});

describe('the CLI\'s target and request flags', () => {
  it('splits <name>@<version> at the last @, so a scoped name keeps its own', () => {
    expect(nameAtVersion(['left-pad@1.2.0'], 'publish')).toEqual({ name: 'left-pad', version: '1.2.0' });
    expect(nameAtVersion(['@scope/pkg@1.0.0-rc.1'], 'publish')).toEqual({ name: '@scope/pkg', version: '1.0.0-rc.1' });
    for (const bad of [['left-pad'], ['@1.0.0'], ['left-pad@'], ['a@1.0.0', 'b@1.0.0']]) expect(() => nameAtVersion(bad, 'publish')).toThrow(UsageError);
  });

  it('checks the request by the issue\'s rules, and a bad field names its flag and value', () => {
    const at = { owner: 'acme', repo: 'left-pad' };
    expect(requestFromFlags({ name: 'left-pad', version: '1.2.0' }, 'v1.2.0', 'pkg', at))
      .toEqual({ name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad', subdir: 'pkg' } });
    expect(() => requestFromFlags({ name: 'Left_Pad', version: '1.2.0' }, 'v1', undefined, at)).toThrow(/^<name> is "Left_Pad": /);
    expect(() => requestFromFlags({ name: 'left-pad', version: '01.2.0' }, 'v1', undefined, at)).toThrow(/^<version> is "01\.2\.0": /);
    expect(() => requestFromFlags({ name: 'left-pad', version: '1.2.0' }, '-rf', undefined, at)).toThrow(/^--ref is "-rf": /);
    expect(() => requestFromFlags({ name: 'left-pad', version: '1.2.0' }, 'v1', '../up', at)).toThrow(/^--subdir is "\.\.\/up": /);
    expect(() => requestFromFlags({ name: 'left-pad', version: '1.2.0' }, undefined, undefined, at)).toThrow(/--ref TAG is required/);
  });
});
