// Every comment the bot writes says what happened and names the next step: publish results, each failure kind, refusals, denials, commands, rollbacks.
import { describe, expect, it } from '@jest/globals';
import { COMMANDS, entryFor } from '../../src/commands/table.js';
import type { Invocation } from '../../src/commands/table.js';
import { attemptFromComment, stateMarker, statusMarker } from '../../src/core/markers.js';
import type { DryRunOutcome, PublishOutcome, RollbackOutcome } from '../../src/core/outcomes.js';
import { stepTimer, type Durations, type Step } from '../../src/core/outcomes.js';
import { RegistrarError, conflict, transient } from '../../src/errors.js';
import { renderDryRun } from '../../src/report/dry-run.js';
import { renderDenied, renderHelp, renderUnknown } from '../../src/report/help.js';
import { renderPackageStatus } from '../../src/report/package-status.js';
import { renderRollback } from '../../src/report/rollback.js';
import { formatDuration, renderPublishStatus } from '../../src/report/status.js';

const request = { name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } };
const context = { registry: { commitUrl: (sha: string) => `https://github.com/reg/reg/commit/${sha}` },
  run: { id: '77', attempt: 2, url: 'https://github.com/reg/reg/actions/runs/77' } };
const entry = { sha256: 'sha256-abc=', bytes: 10, ref: 'v1.2.0', commit: 'c'.repeat(40), publishedTime: '2026-01-01T00:00:00Z', issue: 4 };
const ALL: Step[] = ['prepared', 'staged', 'committed', 'promoted', 'cleaned'];
/** The next step, as every comment states it. */
const NEXT = /\*\*What to do:\*\*|Comment `\/(retry|rollback|help|dry-run)`|`\/retry`|Nothing else to do/;

const failed = (error: RegistrarError, steps: Step[], commitInDoubt = false): PublishOutcome =>
  ({ status: 'failed', request, error, steps, ...(commitInDoubt ? { commitInDoubt } : {}) });

describe('publish status comments', () => {
  const cases: [string, PublishOutcome, RegExp][] = [
    ['published', { status: 'published', request, entry, commit: { sha: 'd'.repeat(40), url: '' }, resumed: false,
      locations: [{ backend: 'primary', key: 'left-pad/1.2.0.tar.gz', url: 'https://dl.example/left-pad/1.2.0.tar.gz' }], steps: ALL },
      /\*\*What to do:\*\* nothing; the version is live/],
    ['transient failure', failed(transient('S3 went away'), ['prepared']), /Nothing was committed.*\*\*What to do:\*\* Comment `\/retry`/s],
    ['conflict', failed(conflict('The branch moved too often.'), ['prepared', 'staged']), /\*\*What to do:\*\* Comment `\/retry` on this issue/],
    ['refused by a service', failed(new RegistrarError('refused', 'GitHub answered 403.', "Check the workflow token's permissions.", { reason: 'permission' }), ['prepared', 'staged']),
      /tell the registry's maintainers, and comment `\/retry` once they have fixed it/],
    ['commit in doubt', failed(transient('no answer'), ['prepared', 'staged'], true), /answer was lost.*`\/retry` finds out/s],
    ['committed, not promoted', failed(transient('copy failed'), ['prepared', 'staged', 'committed']), /The version is committed.*`\/retry` finishes promoting it/s],
    ['refusal', { status: 'refused', request, message: 'The tag does not exist.', hint: 'Push the tag.', problems: [], final: false, steps: [] },
      /\*\*What to do:\*\* Push the tag\..*Comment a corrected request/s],
  ];
  it.each(cases)('%s: says what happened and names the next step', (_what, outcome, next) => {
    const body = renderPublishStatus(outcome, context);
    expect(body).toMatch(next);
    expect(body).toMatch(NEXT);
    // The workflow run it came from, and a state /status can read back.
    expect(body).toContain('[workflow run 77, attempt 2](https://github.com/reg/reg/actions/runs/77)');
    expect(attemptFromComment(`${statusMarker({ id: '77', attempt: 2 })}\n${body}`)).toEqual({ run: '77', attempt: 2, state: outcome.status });
  });

  it('shows each done step with its duration', () => {
    const durations: Durations = { prepared: 1530, staged: 42 };
    const body = renderPublishStatus({ ...failed(transient('x'), ['prepared', 'staged']), durations }, context);
    expect(body).toContain('✅ prepared (1.5 s) · ✅ staged (42 ms) · ⬜ committed · ⬜ promoted · ⬜ cleaned');
    expect(formatDuration(0.4)).toBe('0 ms');
  });

  it('stepTimer records how long each step took since the one before', () => {
    let now = 100;
    const steps: Step[] = [];
    const durations: Durations = {};
    const done = stepTimer(steps, durations, () => now);
    now = 350; done('prepared');
    now = 400; done('staged');
    expect(steps).toEqual(['prepared', 'staged']);
    expect(durations).toEqual({ prepared: 250, staged: 50 });
  });
});

describe('rollback comments', () => {
  const cases: [string, RollbackOutcome, RegExp][] = [
    ['rolled back', { status: 'rolled-back', name: 'left-pad', version: '1.2.0', sha256: 'sha256-abc=', deleted: ['primary: left-pad/1.2.0.tar.gz'], already: false, steps: ['removed', 'deleted', 'cleaned'] },
      /open a new publish issue/],
    ['cleaned leftovers', { status: 'cleaned-leftovers', name: 'left-pad', version: '1.2.0', deleted: ['primary: staging/x'], steps: ['deleted'] }, /Nothing else to do/],
    ['refused with a hint', { status: 'refused', name: 'left-pad', version: '1.2.0', message: 'Not published.', hint: 'Check the package name and version.', steps: [] },
      /\*\*What to do:\*\* Check the package name/],
    ['refused without a hint', { status: 'refused', name: '', version: '', message: 'No target.', hint: undefined, steps: [] },
      /\*\*What to do:\*\* Comment a corrected `\/rollback name@version reason`/],
    ['failed before the removal', { status: 'failed', name: 'left-pad', version: '1.2.0', error: transient('x'), steps: [] }, /Nothing was committed\. Comment `\/rollback` again/],
    ['failed in doubt', { status: 'failed', name: 'left-pad', version: '1.2.0', error: transient('x'), steps: [], removalInDoubt: true }, /Comment `\/rollback` again: it finishes a removal that landed/],
    ['failed after the removal', { status: 'failed', name: 'left-pad', version: '1.2.0', error: transient('x'), steps: ['removed'] }, /Comment `\/rollback` again to finish it/],
  ];
  it.each(cases)('%s: names the next step', (_what, outcome, next) => {
    const body = renderRollback(outcome, { run: context.run });
    expect(body).toMatch(next);
    expect(body).toContain('workflow run 77, attempt 2');
  });
});

describe('answers to commands', () => {
  const author = { author: true, trustee: false };
  it('/help lists exactly what the asker may use, from the table', () => {
    const forAuthor = renderHelp(COMMANDS, author);
    const forStranger = renderHelp(COMMANDS, { author: false, trustee: false });
    const forTrustee = renderHelp(COMMANDS, { author: false, trustee: true });
    for (const c of COMMANDS) {
      expect(forTrustee).toContain(`| ${c.usage} | ${c.help} |`);
      expect(forAuthor.includes(`| ${c.usage} |`)).toBe(c.who !== 'trustee');
      expect(forStranger.includes(`| ${c.usage} |`)).toBe(c.who === 'anyone');
    }
    expect(forStranger).toContain('open a new issue with its request');
  });

  it('an unknown command points to /help, its name inert and capped', () => {
    const body = renderUnknown(`frob${'x'.repeat(100)}`);
    expect(body).toContain('Comment `/help`');
    expect(body).toContain('…` is not a Registrar command');
    expect(renderUnknown('x`y')).toContain('``/x`y`` is not');
  });

  it('the denied answer says who may do what (from the table) and what to do instead', () => {
    const body = renderDenied(COMMANDS, 'a `/retry`', 9);
    expect(body).toContain('Only the author of this issue or a registry trustee can use a corrected request');
    expect(body).toContain('`/retry`, `/dry-run`');
    expect(body).toContain('Only a registry trustee can roll back a version: `/rollback name@version reason`');
    expect(body).toContain('open a new issue with its request. Comment `/help`');
    expect(body).toContain('a `/retry` from user id 9, not run. Nothing was changed.');
  });

  const metadata = {
    name: 'left-pad', location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 1 },
    published: { '1.2.0': entry, '1.1.0': { ...entry, issue: 3, publishedTime: '2025-12-01T00:00:00Z' } },
    rolledBack: [{ version: '1.0.0', sha256: 'sha256-old=', by: { id: 1, login: 'tess' }, at: '2026-01-02T00:00:00Z', reason: 'leaked @everyone key', issue: 2, cleaned: false }],
  };
  it.each([
    ['published', /Nothing to do: the version is published/],
    ['failed', /read its comment, then comment `\/retry`/],
    ['refused', /comment a corrected request/],
    ['working', /if its workflow run stopped, comment `\/retry`/],
  ] as const)('/status after a %s attempt names the next step', (state, next) => {
    const body = renderPackageStatus({ name: 'left-pad', head: 'f'.repeat(40), metadata, issue: 4,
      attempts: [{ run: '5', attempt: 1, state, commentId: 12 }] });
    expect(body).toMatch(next);
    expect(body).toContain('| `1.2.0` | `2026-01-01T00:00:00Z` | `sha256-abc=` | this issue |');
    expect(body).toContain('| `1.1.0` |');
    expect(body).toContain('issue #3');
    expect(body).toContain('`leaked @everyone key` — **still being cleaned**: comment `/rollback` again');
    expect(body).toContain('[run 5, attempt 1](#issuecomment-12)');
  });

  it('/status on an issue with no readable request, or a package never published, says so and what to do', () => {
    expect(renderPackageStatus({ name: undefined, head: undefined, metadata: undefined, issue: 1, attempts: [] }))
      .toContain('Comment a request');
    const none = renderPackageStatus({ name: 'left-pad', head: 'a'.repeat(40), metadata: undefined, issue: 1, attempts: [] });
    expect(none).toContain('has no version of this package yet');
    expect(none).toContain('none reported yet');
  });

  const tarball = { sha256: 'sha256-abc=', bytes: 10, files: Array.from({ length: 60 }, (_, i) => `f${String(i).padStart(2, '0')}.js`), commit: 'c'.repeat(40) };
  it.each([
    ['fresh', { status: 'planned', plan: 'fresh', request, tarball, head: 'h'.repeat(40) }, /would commit this version fresh.*comment `\/retry`/s],
    ['resume', { status: 'planned', plan: 'resume', request, tarball, head: 'h'.repeat(40) }, /resume at promote.*comment `\/retry` to finish it/s],
    ['refuse', { status: 'planned', plan: 'refuse', request, tarball, head: 'h'.repeat(40), reason: 'Already published (issue #3).', hint: 'Publish a new version.' },
      /would be refused:\*\* Already published.*\*\*What to do:\*\* Publish a new version/s],
    ['refused request', { status: 'refused', request: undefined, message: 'The publish request is not valid.', hint: undefined, problems: [{ field: 'version', message: 'not semver' }] },
      /\*\*What to do:\*\* Fix the request.*`\/dry-run` again/s],
    ['failure', { status: 'failed', request, error: transient('GitHub went away') }, /\*\*What to do:\*\* Comment `\/dry-run` on the issue/],
  ] as [string, DryRunOutcome, RegExp][])('/dry-run %s: says it wrote nothing and names the next step', (_what, outcome, next) => {
    const body = renderDryRun(outcome);
    expect(body).toContain('Nothing was written: no storage object, no registry commit.');
    expect(body).toMatch(next);
    if (outcome.status === 'planned') {
      expect(body).toContain('**Files** (60)');
      expect(body).toContain('- `f49.js`');
      expect(body).not.toContain('f50.js');
      expect(body).toContain('- … and 10 more.');
    }
  });
});

describe('the command table', () => {
  const base = { issue: 1, issueAuthor: { id: 1, login: 'a' }, issueBody: '', trigger: { actor: { id: 1, login: 'a' }, at: '' } };
  const slash = (name: string): Invocation => ({ kind: 'slash', name, args: '', ...base });
  it('declares each command once, with who may use it and its help', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(['request', 'retry', 'dry-run', 'status', 'help', 'rollback']);
    expect(Object.fromEntries(COMMANDS.map((c) => [c.name, c.who]))).toEqual({
      request: 'author', retry: 'author', 'dry-run': 'author', status: 'anyone', help: 'anyone', rollback: 'trustee' });
    for (const c of COMMANDS) expect(c.help.length).toBeGreaterThan(10);
  });

  it('finds the entry each command runs as; an unknown /word (even /request, or a case variant) has none', () => {
    expect(entryFor({ kind: 'retry', ...base })?.name).toBe('retry');
    expect(entryFor({ kind: 'publish', request: '{}', ...base })?.name).toBe('request');
    expect(entryFor({ kind: 'malformed', command: 'rollback', problem: 'x', ...base })?.name).toBe('rollback');
    for (const name of ['help', 'status', 'dry-run']) expect(entryFor(slash(name))?.name).toBe(name);
    for (const name of ['request', 'retry', 'rollback', 'Help', 'frobnicate']) expect(entryFor(slash(name))).toBeUndefined();
  });
});

describe('attempt markers', () => {
  it('reads only the exact shapes Registrar writes', () => {
    expect(attemptFromComment(`${statusMarker({ id: '9', attempt: 1 })}\nx\n${stateMarker('failed')}`)).toEqual({ run: '9', attempt: 1, state: 'failed' });
    expect(attemptFromComment(`x ${statusMarker({ id: '9', attempt: 1 })}`)).toBeUndefined();
    expect(attemptFromComment('<!-- registrar:status run=9 attempt=1 -->\n<!-- registrar:state pwned -->')).toEqual({ run: '9', attempt: 1, state: undefined });
  });
});
