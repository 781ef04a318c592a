// Progress on long work is one line per interval however many items pass, and what reaches the terminal cannot drive it.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TerminalTracker } from '../../src/adapters/local/terminal-tracker.js';
import { forTerminal } from '../../src/adapters/local/terminal-text.js';
import { Progress } from '../../src/cli/progress.js';
import { printJson } from '../../src/cli/output.js';

describe('progress', () => {
  beforeEach(() => { jest.useFakeTimers({ now: 0 }); });
  afterEach(() => { jest.useRealTimers(); });

  it('shows a line every interval, not one per item, and a last line when the work ends', () => {
    const lines: string[] = [];
    const progress = new Progress('audit', (line) => lines.push(line), 2000);
    for (let i = 0; i < 5000; i++) progress.add('objects hashed');
    expect(lines).toEqual([]);
    jest.advanceTimersByTime(2000);
    expect(lines).toEqual(['audit: 5000 objects hashed (2 s)\n']);
    for (let i = 0; i < 3000; i++) progress.add('metadata files read');
    jest.advanceTimersByTime(1999);
    expect(lines).toHaveLength(1);
    jest.advanceTimersByTime(1);
    progress.stop();
    expect(lines).toEqual(['audit: 5000 objects hashed (2 s)\n', 'audit: 5000 objects hashed, 3000 metadata files read (4 s)\n',
      'audit: 5000 objects hashed, 3000 metadata files read (4 s)\n']);
    progress.stop();
    expect(lines).toHaveLength(3);
  });

  it('says nothing for work that counted nothing', () => {
    const lines: string[] = [];
    new Progress('reconcile', (line) => lines.push(line), 10).stop();
    jest.advanceTimersByTime(100);
    expect(lines).toEqual([]);
  });
});

describe('text for the terminal', () => {
  const hostile = 'left-pad\u001b[2J\u001b]0;owned\u0007\r\u009b31m\u202eevil';

  it('shows escape sequences, carriage returns, C1 controls and bidi overrides as escapes, keeping lines and tabs', () => {
    expect(forTerminal(hostile)).toBe('left-pad\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{d}\\u{9b}31m\\u{202e}evil');
    expect(forTerminal('a\n\tb')).toBe('a\n\tb');
  });

  it('the terminal tracker shows a comment\'s headline only, made safe', async () => {
    const shown: string[] = [];
    const tracker = new TerminalTracker((text) => shown.push(text));
    const id = await tracker.upsertComment(0, '<!-- registrar:status -->', `<!-- registrar:status -->\n### ✅ Published \`${hostile}\`\n\n| table |`);
    expect(shown).toEqual([`✅ Published \`${forTerminal(hostile)}\`\n`]);
    expect(await tracker.upsertComment(0, 'm', `### ✅ Published \`${hostile}\`\n\nother details`, id)).toBe(id);
    expect(shown).toHaveLength(1);
    await tracker.upsertComment(0, 'm', 'again', id);
    expect(shown).toEqual([`✅ Published \`${forTerminal(hostile)}\`\n`, 'again\n']);
  });

  it('JSON output is one line of ASCII that parses back to the same value', () => {
    let out = '';
    const value = { name: hostile, note: 'naïve — ✅' };
    printJson({ out: (t) => { out += t; }, err: () => {} }, value);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trimEnd()).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(out)).toEqual(value);
  });
});
