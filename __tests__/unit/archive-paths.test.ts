import { describe, it, expect } from '@jest/globals';
import { collisionKey, collisionProblems, pathProblems, quotePath } from '../../src/core/archive-paths.js';
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

  it('names the path in every message, escaped so it cannot break the comment', () => {
    const [problem] = pathProblems('evil\u001b[31m"name', DEFAULT_LIMITS);
    expect(problem).toBe('The path "evil\\u001b[31m\\"name" contains a control character.');
  });

  it('applies length (in characters) and depth limits only when given', () => {
    const limits = { pathLength: 10, pathDepth: 2 };
    expect(pathProblems('ééééééééé/x', limits)).toEqual([
      'The path "ééééééééé/x" is 11 characters long; the limit is 10.',
    ]);
    expect(pathProblems('ééééééééé', limits)).toEqual([]); // 9 characters, 18 UTF-8 bytes
    expect(pathProblems('a/b/c', limits)).toEqual(['The path "a/b/c" is 3 levels deep; the limit is 2.']);
    expect(pathProblems('a/b/c/'.repeat(40) + 'x')).toEqual([]);
  });

  it('reports each rule once per path', () => {
    expect(pathProblems('a/../../b', DEFAULT_LIMITS)).toEqual(['The path "a/../../b" contains a ".." segment.']);
  });

  it('shortens very long paths in messages', () => {
    const quoted = quotePath('y'.repeat(500));
    expect(quoted.length).toBeLessThan(130);
    expect(quoted.endsWith('…"')).toBe(true);
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
      'The paths "a/B.txt" and "a/b.txt" differ only in letter case or Unicode normalisation; they would be the same file on macOS and Windows.',
      'The paths "README" and "readme" differ only in letter case or Unicode normalisation; they would be the same file on macOS and Windows.',
    ]);
  });

  it('catches NFC/NFD twins and ignores exact repeats', () => {
    expect(collisionProblems(['caf\u00e9', 'cafe\u0301'])).toHaveLength(1);
    expect(collisionProblems(['same', 'same'])).toEqual([]);
    expect(collisionProblems([])).toEqual([]);
  });
});
