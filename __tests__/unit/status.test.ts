// The status comment says where an attempt got to and what a retry will do, and untrusted text cannot break out of it.
import { describe, expect, it } from '@jest/globals';
import { statusMarker } from '../../src/core/markers.js';
import { renderPublishStatus } from '../../src/report/status.js';
import { outsideCodeSpans, redact } from '../../src/report/render.js';
import type { PublishOutcome } from '../../src/core/outcomes.js';
import { RegistrarError, transient } from '../../src/errors.js';

const request = { name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } };
const registry = { commitUrl: (sha: string) => `https://github.com/reg/reg/commit/${sha}` };

describe('renderPublishStatus', () => {
  it('shows the ledger, ticking exactly the steps done', () => {
    const body = renderPublishStatus({ status: 'working', request, steps: ['prepared', 'staged'] }, { registry });
    expect(body).toContain('✅ prepared · ✅ staged · ⬜ committed · ⬜ promoted · ⬜ cleaned');
    expect(body).toContain('nothing is committed yet');
  });

  it('tells the author a failure after the commit only needs promoting, and one before it starts over', () => {
    const after: PublishOutcome = { status: 'failed', request, error: transient('S3 went away'), steps: ['prepared', 'staged', 'committed'] };
    const before: PublishOutcome = { status: 'failed', request, error: transient('S3 went away'), steps: ['prepared'] };
    expect(renderPublishStatus(after, { registry })).toMatch(/The version is committed.*`\/retry` finishes promoting it/s);
    expect(renderPublishStatus(before, { registry })).toMatch(/Nothing was committed.*`\/retry` publishes from scratch/s);
  });

  it('says a version is published when only a step after promote failed, and never that kept work was taken back', () => {
    const limited = new RegistrarError('transient', 'GitHub answered 403 ("You have exceeded a secondary rate limit")', 'GitHub is rate-limiting this token; comment `/retry` after 60 s.', { reason: 'rate-limited' });
    const body = renderPublishStatus({ status: 'failed', request, error: limited, steps: ['prepared', 'staged', 'committed', 'promoted', 'cleaned'] }, { registry });
    expect(body).toContain('**The version is published:** committed to the registry and its tarball promoted to every backend.');
    expect(body).toContain('after 60 s');
    expect(body).not.toMatch(/taken back|Nothing was committed|not yet everywhere/);
  });

  it('says a commit whose answer was lost may have landed, instead of "nothing was committed"', () => {
    const body = renderPublishStatus({ status: 'failed', request, error: transient('no answer'), steps: ['prepared', 'staged'], commitInDoubt: true }, { registry });
    expect(body).toContain('its answer was lost');
    expect(body).not.toContain('Nothing was committed');
  });

  it('says staging was taken back only for a refusal before the commit, and says nothing of the kind after one', () => {
    const refusal = (steps: PublishOutcome['steps']): PublishOutcome => ({ status: 'refused', request, message: 'no', hint: undefined, problems: [], final: true, steps });
    expect(renderPublishStatus(refusal(['prepared']), { registry })).toContain('Nothing was written to the registry or to storage.');
    expect(renderPublishStatus(refusal(['prepared', 'staged']), { registry })).toContain('what this attempt staged has been taken back');
    const rolledBack = renderPublishStatus(refusal(['prepared', 'staged', 'committed', 'promoted', 'cleaned']), { registry });
    expect(rolledBack).not.toMatch(/taken back|Nothing was/);
  });

  it('keeps untrusted text from closing code spans, injecting HTML or mentioning people', () => {
    const outcome: PublishOutcome = { status: 'refused', request: undefined, message: 'bad `x` <script>alert(1)</script> @everyone',
      hint: undefined, problems: [{ field: 'name`<b>', message: 'ping @org/team' }], final: false, steps: [] };
    const body = renderPublishStatus(outcome, { registry });
    // Outside code spans (where GitHub renders nothing live) no HTML and no mention is left.
    let live = '';
    outsideCodeSpans(body, (prose) => { live += `${prose} `; return prose; });
    expect(live).not.toMatch(/<script>|<b>|@everyone|@org/);
    expect(body).toContain('`<script>alert(1)</script>`');
    expect(body).toContain('Nothing was written');
  });
});

describe('statusMarker', () => {
  it('names the run and attempt, so each attempt updates only its own comment', () => {
    expect(statusMarker({ id: '42', attempt: 2 })).toBe('<!-- registrar:status run=42 attempt=2 -->');
    expect(statusMarker({ id: '42', attempt: 2 })).not.toBe(statusMarker({ id: '43', attempt: 2 }));
  });
});

describe('redact', () => {
  it.each([
    ['Could not fetch https://codeload.example/acme/x/tar.gz?token=SECRETSECRET: reset', 'SECRETSECRET'],
    ['GET https://user:hunter2@host.example/path failed', 'hunter2'],
    ['Authorization: Bearer abcdefghijklmnop rejected', 'abcdefghijklmnop'],
    ['token ghp_0123456789abcdefghijABCDEFGHIJ leaked', 'ghp_0123456789abcdefghijABCDEFGHIJ'],
    ['key AKIAABCDEFGHIJKLMNOP in a message', 'AKIAABCDEFGHIJKLMNOP'],
  ])('removes the secret from %j', (text, secret) => {
    expect(redact(text)).not.toContain(secret);
  });

  it('never lets a failed run post a signed URL in the status comment', () => {
    const body = renderPublishStatus({ status: 'failed', request, steps: ['prepared'],
      error: transient('Unexpected failure: fetch https://s3.example/b/k?X-Amz-Signature=deadbeefdeadbeef failed') }, { registry });
    expect(body).not.toContain('deadbeefdeadbeef');
    expect(body).toContain('https://s3.example/b/k?…');
  });

  it('leaves ordinary text alone', () => {
    expect(redact('left-pad@1.2.0 is already published (issue #4).')).toBe('left-pad@1.2.0 is already published (issue #4).');
  });
});
