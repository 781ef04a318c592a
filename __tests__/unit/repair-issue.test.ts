// The repair issue's markdown: each item that needs a person has where it is, what was found and the exact fix, and nothing from storage or metadata can format the page or mention anyone.
import { describe, expect, it } from '@jest/globals';
import type { RepairItem, RepairReport } from '../../src/core/outcomes.js';
import { codeSpanSegments } from '../../src/report/render.js';
import { renderRepairIssue, renderRepairResolved, repairIssueTitle } from '../../src/report/repair-issue.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';
const SRI = `sha256-${Buffer.alloc(32, 7).toString('base64')}`;
const context = { registry: 'acme/registry', runUrl: 'https://github.com/acme/registry/actions/runs/42' };
const report = (needsHuman: RepairItem[]): RepairReport => ({ head: HEAD, dryRun: false, actions: [], needsHuman, left: [] });
const prose = (markdown: string) => codeSpanSegments(markdown).filter((s) => !s.code).map((s) => s.text).join('');

describe('the repair issue', () => {
  it('counts the items in its title and numbers them in its body, each with where, what and the fix', () => {
    const body = renderRepairIssue(report([
      { kind: 'final-mismatch', backend: 'primary', key: 'left-pad/1.2.0.tar.gz', name: 'left-pad', version: '1.2.0', sha256: SRI, detail: '9 bytes, but committed as 12' },
      { kind: 'rollback-failed', name: 'left-pad', version: '1.1.0', sha256: SRI, detail: 'could not finish the rollback of left-pad@1.1.0' },
    ]), context);
    expect(repairIssueTitle(report([{ kind: 'failed', detail: 'x' }]))).toBe('Registrar reconcile: 1 registry item needs a person');
    expect(body).toContain('#### 1. A final object holds other bytes than the registry records');
    expect(body).toContain('#### 2. A rollback could not be finished');
    expect(body).toContain('- **Where:** package `left-pad@1.2.0`, backend `primary`, key `left-pad/1.2.0.tar.gz`');
    // The exact commands, copyable: the trustee's comment and the CLI line, naming the registry from the settings.
    expect(body).toContain('`/rollback left-pad@1.2.0 <reason>`');
    expect(body).toContain("`registrar rollback --registry-repository acme/registry --backends '<the backends JSON>' left-pad@1.2.0 --reason '<reason>'`");
    expect(body).toContain('`/rollback left-pad@1.1.0 <reason>`');
    expect(body).toContain('[this workflow run](https://github.com/acme/registry/actions/runs/42)');
    expect(body).toContain('`0123456789ab`');
  });

  it.each<[RepairItem['kind'], RegExp]>([
    ['final-without-metadata', /No committed version refers to `ghost\/1\.0\.0\.tar\.gz` in backend `primary`.*then delete it/],
    ['unreadable-metadata', /Repair the package's metadata file .* with a commit to `acme\/registry`/],
    ['promote-failed', /the author comments `\/retry` on the version's publish issue/],
    ['failed', /The next reconcile tries again/],
  ])('names the fix for %s', (kind, fix) => {
    const body = renderRepairIssue(report([{ kind, backend: 'primary', key: 'ghost/1.0.0.tar.gz', name: 'ghost', version: '1.0.0', detail: 'found' }]), context);
    expect(body).toMatch(fix);
  });

  it('shows what storage and metadata hold only inside code spans', () => {
    const hostile = '@everyone <img src=x onerror=alert(1)> [click](https://evil.example) acme/registry#1 \u202Egnp.exe';
    const body = renderRepairIssue(report([
      { kind: 'unreadable-metadata', name: hostile, detail: `The registry path metadata/x.json is bad: ${hostile}` },
      { kind: 'final-without-metadata', backend: hostile, key: `${hostile}/1.0.0.tar.gz`, detail: hostile },
    ]), context);
    expect(body).toContain('@everyone');
    for (const live of ['@everyone', '<img', 'evil.example', 'registry#1', '\u202E']) expect(prose(body)).not.toContain(live);
    expect(repairIssueTitle(report([{ kind: 'failed', detail: hostile }]))).not.toContain('@');
  });

  it('closes with a comment saying the newest run found nothing, and what it did', () => {
    const text = renderRepairResolved({ ...report([]), actions: [{ kind: 'promoted', detail: 'x' }] }, { ...context, runUrl: undefined });
    expect(text).toContain('Nothing needs a person any more');
    expect(text).toContain('1 repair(s) done');
    expect(text).not.toContain('workflow run');
  });
});
