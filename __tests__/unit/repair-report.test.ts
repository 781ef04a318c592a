// The markdown of reconcile's and audit's reports: every section says what happened, and untrusted keys can neither format the page nor mention anyone.
import { describe, expect, it } from '@jest/globals';
import type { AuditReport, RepairReport } from '../../src/core/outcomes.js';
import { renderAuditReport, renderRepairReport } from '../../src/report/repair.js';

const HEAD = '0123456789abcdef0123456789abcdef01234567';
const SRI = `sha256-${Buffer.alloc(32, 7).toString('base64')}`;

describe('the repair report', () => {
  const report: RepairReport = {
    head: HEAD,
    dryRun: false,
    actions: [{ kind: 'promoted', name: 'left-pad', version: '1.2.0', sha256: SRI, key: 'left-pad/1.2.0.tar.gz', detail: 'promoted left-pad@1.2.0 to two' }],
    needsHuman: [{ kind: 'final-without-metadata', backend: 'primary', key: 'x/1.0.0.tar.gz', name: 'x', version: '1.0.0', detail: '5 bytes at a final key' }],
    left: [{ kind: 'unknown-key', backend: 'primary', key: 'notes/<script>`.txt', detail: 'left as it is' }],
  };

  it('has a verdict line and one section each for done, needs a person, and left on purpose', () => {
    const markdown = renderRepairReport(report);
    expect(markdown).toContain('At registry commit `0123456789ab`: 1 repair(s), 1 item(s) need a person, 1 left on purpose.');
    expect(markdown).toContain('#### Done (1)');
    expect(markdown).toContain(`- **promoted** — \`left-pad@1.2.0\` key \`left-pad/1.2.0.tar.gz\` sha256 \`${SRI}\`: promoted \`left-pad@1.2.0\` to two`);
    expect(markdown).toContain('#### Needs a person (1)');
    expect(markdown).toContain('- **final object without metadata** — `x@1.0.0` in `primary` key `x/1.0.0.tar.gz`: 5 bytes at a final key');
    expect(markdown).toContain('- **unknown key** — in `primary` key ``notes/<script>`.txt``: left as it is');
  });

  it('says so when nothing needs a person, and marks a dry run', () => {
    const markdown = renderRepairReport({ ...report, dryRun: true, needsHuman: [] });
    expect(markdown).toContain('(dry run: nothing was written)');
    expect(markdown).toContain('#### Would do (1)');
    expect(markdown).toContain('nothing needs a person');
  });
});

describe('the audit report', () => {
  const base: AuditReport = { head: HEAD, checked: { commits: 3, packages: 2, objects: 4, hashed: 4 }, violations: [] };

  it('says what was covered and that nothing was found', () => {
    const markdown = renderAuditReport(base);
    expect(markdown).toContain('3 commit(s) walked, 2 package(s), 4 object(s) listed, 4 read and hashed.');
    expect(markdown).toContain('No violations of invariants 1, 2 or 5.');
  });

  it('groups violations by invariant, naming the place', () => {
    const markdown = renderAuditReport({ ...base, violations: [
      { invariant: 1, name: 'a-pkg', version: '1.0.0', commit: HEAD, message: 'a-pkg@1.0.0 changes' },
      { invariant: 5, backend: 'two', key: 'staging/a-pkg/1.0.0/x.tar.gz', name: 'a-pkg', version: '1.0.0', message: 'old' },
    ] });
    expect(markdown).toContain('**2 violation(s).**');
    expect(markdown).toContain('#### Invariant 1: Immutable versions (1)');
    expect(markdown).toContain('- `a-pkg@1.0.0` at commit `0123456789ab`: `a-pkg@1.0.0` changes');
    expect(markdown).toContain('#### Invariant 5: No garbage (1)');
    expect(markdown).not.toContain('Invariant 2');
  });
});
