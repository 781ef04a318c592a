// The renderer between Registrar's messages and a comment: what a forgotten quote, a credential or a stranger's markdown becomes.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { message, outsideCodeSpans, redact } from '../../src/report/render.js';
import { inertProblems } from '../../test-support/attacks/checker.js';

/** The text GitHub would render live: everything outside code spans. */
function live(markdown: string): string {
  let prose = '';
  outsideCodeSpans(markdown, (part) => { prose += `${part}\n`; return part; });
  return prose;
}

describe('message', () => {
  it('turns every word markdown could make live into a code span, and leaves plain words alone', () => {
    const rendered = message('see <img src=x> and *bold* [link](http://x) ![i](https://e/p.png) @team acme/repo#12 www.evil.example a\u202eb');
    expect(live(rendered)).not.toMatch(/[<>*[\]!@\u202e]|https?:|www\.|repo#/);
    expect(rendered).toContain('see ');
    expect(rendered).toContain('`@team`');
    expect(rendered).toContain('`acme/repo#12`');
    expect(rendered).toContain('a\\u{202E}b');
  });

  it('keeps Registrar\'s own code spans and issue references as they are', () => {
    expect(message('Comment `/retry` on this issue (issue #42).')).toBe('Comment `/retry` on this issue (issue #42).');
    expect(message('left-pad 1.0.0 stays as it is')).toBe('left-pad 1.0.0 stays as it is');
  });

  it('keeps one paragraph: every line break the renderer knows becomes a space', () => {
    expect(message('two\nlines\r\nand\u2028more\u0085end')).toBe('two lines and more end');
  });
});

describe('outsideCodeSpans', () => {
  it('matches a backtick run only with a run of the same length, as CommonMark does', () => {
    expect(live('a ``x ` y`` b `c` d ` e')).toBe('a \n b \n d ` e\n');
  });
});

describe('redact', () => {
  it.each([
    ['https://bucket.s3.example/k?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA/2026', ['abcdef0123']],
    ['x-amz-security-token: FwoGZXIvYXdzEJr//////////wEaDE', ['FwoGZXIvYXdzEJr']],
    ['Signature=0123456789abcdef rejected', ['0123456789abcdef']],
    ['the key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked', ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']],
  ])('cuts the credential from %j', (text, secrets) => {
    for (const secret of secrets) expect(redact(text)).not.toContain(secret);
  });

  it('keeps git SHAs and SRI hashes, which look random but are not secrets', () => {
    const text = 'commit 0123456789abcdef0123456789abcdef01234567 sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
    expect(redact(text)).toBe(text);
  });
});

describe('message against an independent reader', () => {
  // The attack suite's own checker (a CommonMark code-span reader of its own): what it finds live, GitHub would render live.
  const pieces = ['`', '``', '```', '@e', 'ada@example.com', ' ', '<b>', '"', 'a', '[x](https://e.example)', '![i](x)', '#1', 'issue ',
    'left-pad@1.0.0', 'acme/repo#2', 'GH-3', '\u202e', '\u200b', '\ufeff', '\n', '*', '_'];
  it('leaves nothing live outside code, whatever a message forgot to quote', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
      const rendered = message(parts.join(''));
      expect(inertProblems(rendered)).toEqual([]);
    }), { numRuns: 20_000 });
  });

  it.each([
    ['a stray backtick before a mention', '` @evil'],
    ['a mention touching a code span', '``a``@evil'],
    ['an email autolink', 'write to ada@evil.example'],
    ['a bare issue reference', 'see #12'],
  ])('keeps %s inert', (_what, text) => {
    expect(inertProblems(message(text))).toEqual([]);
  });
});
