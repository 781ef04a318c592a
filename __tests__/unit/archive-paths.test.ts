import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { collisionKey, collisionProblems, MAX_PATH_CHARS, pathProblems, quotePath, withinPathLimits } from '../../src/core/archive-paths.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';

describe('pathProblems', () => {
  it.each([
    'package.json',
    'src/index.js',
    'a/b/c/d.e.f',
    '.github/workflows/ci.yml',
    'café/naïve.txt',
    'console.txt', // "con" only as a whole stem is reserved
    'com0',
    'lpt10.txt',
    'auxiliary/x',
    '日本語/ファイル.md',
    'x'.repeat(255),
  ])('accepts %j', (path) => {
    expect(pathProblems(path, DEFAULT_LIMITS)).toEqual([]);
  });

  it.each([
    ['', /empty path/],
    ['/etc/passwd', /is absolute/],
    ['C:/windows', /drive letter/],
    ['c:foo', /drive letter/],
    ['a/../b', /contains a "\.\." segment/],
    ['..', /contains a "\.\." segment/],
    ['./a', /contains a "\." segment/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a\\b', /backslash/],
    ['tab\there', /control character/],
    ['nul\u0000byte', /control character/],
    ['del\u007f', /control character/],
    ['c1\u0085', /control character/],
    ['bad\uFFFD.txt', /not valid UTF-8/],
    ['lone\uD800', /not valid UTF-8/],
    ['cafe\u0301', /not in Unicode NFC form/],
    ['file.', /ending in a dot or a space/],
    ['dir./x', /ending in a dot or a space/],
    ['file ', /ending in a dot or a space/],
    ['CON', /reserved device name/],
    ['con.txt', /reserved device name/],
    ['lib/Aux.tar.gz', /reserved device name/],
    ['nul/x', /reserved device name/],
    ['prn', /reserved device name/],
    ['COM1.log', /reserved device name/],
    ['lpt9', /reserved device name/],
    ['com¹', /reserved device name/],
    ['con .txt', /reserved device name/],
  ])('refuses %j', (path, pattern) => {
    const problems = pathProblems(path, DEFAULT_LIMITS);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(pattern);
  });

  it('names the path in every message, as a code span it cannot break out of', () => {
    const [problem] = pathProblems('evil\u001b[31m"name', DEFAULT_LIMITS);
    expect(problem).toBe('The path `evil\\u{001B}[31m"name` contains a control character.');
    // Backticks in the path get a fence longer than their longest run, so the path cannot close the span.
    const [fenced] = pathProblems('x``y\u0007', DEFAULT_LIMITS);
    expect(fenced).toBe('The path ```x``y\\u{0007}``` contains a control character.');
    expect(quotePath('`a`')).toBe('`` `a` ``');
  });

  it('applies length (in characters) and depth limits only when given', () => {
    const limits = { pathLength: 10, pathDepth: 2 };
    expect(pathProblems('ééééééééé/x', limits)).toEqual([
      'The path `ééééééééé/x` is 11 characters long; the limit is 10.',
    ]);
    expect(pathProblems('ééééééééé', limits)).toEqual([]); // 9 characters, 18 UTF-8 bytes
    expect(pathProblems('a/b/c', limits)).toEqual(['The path `a/b/c` is 3 levels deep; the limit is 2.']);
    expect(pathProblems('a/b/c/'.repeat(40) + 'x')).toEqual([]);
  });

  it('reports each rule once per path', () => {
    expect(pathProblems('a/../../b', DEFAULT_LIMITS)).toEqual(['The path `a/../../b` contains a ".." segment.']);
  });

  it('shortens very long paths in messages', () => {
    const quoted = quotePath('y'.repeat(500));
    expect(quoted.length).toBeLessThan(130);
    expect(quoted.endsWith('…`')).toBe(true);
  });
});

describe('hostile paths: refused on their length before any other rule runs', () => {
  const K64 = 64 * 1024;
  // Each of these made a regex or a copy cost time quadratic in the path's length (or would have); time is measured
  // by `npm run caps`, never asserted here. What the tests hold: each is refused, with a message that names the
  // rule and shows the path shortened, and only that message.
  it.each([
    ['a run of spaces before a non-dot (the old `/ +(?=\\.|$)/` stem regex)', ' '.repeat(K64 - 1) + 'x'],
    ['a run of slashes', '/'.repeat(K64 - 1) + 'x'],
    ['32,768 segments', 'a/'.repeat(K64 / 2)],
    ['a reserved name followed by spaces', 'con' + ' '.repeat(K64 - 4) + 'x'],
    ['combining accents', 'e' + '\u0301'.repeat(K64 - 1)],
    ['dots and spaces', '. '.repeat(K64 / 2)],
  ])('refuses 64 KiB of %s with one length message, with or without limits', (_name, path) => {
    const length = [...path].length;
    expect(pathProblems(path, DEFAULT_LIMITS)).toEqual([
      `The path ${quotePath(path)} is ${length} characters long; the limit is ${DEFAULT_LIMITS.pathLength}.`,
    ]);
    expect(pathProblems(path)).toEqual([`The path ${quotePath(path)} is ${length} characters long; the limit is ${MAX_PATH_CHARS}.`]);
    expect(withinPathLimits(path, DEFAULT_LIMITS)).toBe(false);
  });

  it('counts characters, not UTF-16 units: 255 emoji are within the limit, 256 are not', () => {
    expect(pathProblems('\u{1F600}'.repeat(255), DEFAULT_LIMITS)).toEqual([]);
    expect(pathProblems('\u{1F600}'.repeat(256), DEFAULT_LIMITS)).toEqual([
      expect.stringMatching(/ is 256 characters long; the limit is 255\.$/),
    ]);
    // A lone surrogate is one character (and not UTF-8).
    expect(pathProblems('\uD800'.repeat(256), DEFAULT_LIMITS)).toEqual([expect.stringMatching(/ is 256 characters long/)]);
  });

  it('judges a path at exactly the limit by every rule', () => {
    const path = 'con' + ' '.repeat(251) + '.';
    expect(path.length).toBe(255);
    const problems = pathProblems(path, DEFAULT_LIMITS).join('\n');
    expect(problems).toMatch(/ending in a dot or a space/);
    expect(problems).toMatch(/reserved device name/);
  });

  it('withinPathLimits checks length and depth', () => {
    expect(withinPathLimits('a/b/c', { pathLength: 5, pathDepth: 3 })).toBe(true);
    expect(withinPathLimits('a/b/c', { pathLength: 4, pathDepth: 3 })).toBe(false);
    expect(withinPathLimits('a/b/c', { pathLength: 5, pathDepth: 2 })).toBe(false);
  });

  it('quotes a 64 KiB path as its first 120 characters', () => {
    const quoted = quotePath('\u{1F600}'.repeat(K64));
    expect(quoted).toBe(`\`${'\u{1F600}'.repeat(120)}…\``);
  });

  it('finds reserved names behind spaces exactly as the regex it replaced did', () => {
    // The old rule: drop the first run of spaces that stands before a dot or at the end, then match the name.
    const reserved = /^(con|prn|aux|nul|conin\$|conout\$|com[1-9¹²³]|lpt[1-9¹²³])(\.[^]*)?$/i;
    const oldRule = (segment: string) => reserved.test(segment.replace(/ +(?=\.|$)/, ''));
    const segment = fc.stringMatching(/^[con. xA1]{1,10}$/);
    fc.assert(
      fc.property(segment, (name) => {
        const flagged = pathProblems(name).some((p) => p.includes('reserved device name'));
        expect(flagged).toBe(oldRule(name));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('collisions', () => {
  it('folds case and normalisation to one key', () => {
    expect(collisionKey('A/B.txt')).toBe(collisionKey('a/b.TXT'));
    expect(collisionKey('cafe\u0301')).toBe(collisionKey('caf\u00e9'));
    expect(collisionKey('Straße')).toBe(collisionKey('STRASSE'));
    expect(collisionKey('a/b')).not.toBe(collisionKey('a/c'));
  });

  it('reports each colliding group, naming its members', () => {
    expect(collisionProblems(['a/B.txt', 'a/b.txt', 'README', 'readme', 'other'])).toEqual([
      'The paths `a/B.txt` and `a/b.txt` differ only in letter case or Unicode normalisation; they would be the same file on macOS and Windows.',
      'The paths `README` and `readme` differ only in letter case or Unicode normalisation; they would be the same file on macOS and Windows.',
    ]);
  });

  it('catches NFC/NFD twins and ignores exact repeats', () => {
    expect(collisionProblems(['caf\u00e9', 'cafe\u0301'])).toHaveLength(1);
    expect(collisionProblems(['same', 'same'])).toEqual([]);
    expect(collisionProblems([])).toEqual([]);
  });
});
