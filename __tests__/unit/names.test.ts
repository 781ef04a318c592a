// The validators for every name an author writes: what they accept, what they refuse, and what they say.
import { describe, expect, it } from '@jest/globals';
import {
  checkGithubOwner,
  checkGithubRepo,
  checkPackageName,
  checkSubdir,
  checkTag,
  checkVersion,
  isRawCommitSha,
  quote,
} from '../../src/core/names.js';

const hex40 = 'a'.repeat(40);
const hex64 = '0123456789abcdef'.repeat(4);

describe('checkPackageName', () => {
  it.each(['a', 'ab', 'left-pad', 'a1', 'x-1-y', 'abc123', 'a'.repeat(64), 'com10', 'console', 'stagingx'])('accepts %j', (name) => {
    expect(checkPackageName(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['A', /uppercase/],
    ['Left-pad', /uppercase/],
    ['-a', /does not start with a letter/],
    ['1a', /does not start with a letter/],
    ['a--b', /"--"/],
    ['a-', /ends with "-"/],
    ['a_b', /other than a-z/],
    ['a.b', /other than a-z/],
    ['a b', /other than a-z/],
    ['naïve', /other than a-z/],
    ['a'.repeat(65), /65 characters long; the limit is 64/],
    ['registrar', /reserved/],
    ['staging', /reserved/],
    ['metadata', /reserved/],
    ['favicon', /reserved/],
    ['con', /reserved/],
    ['nul', /reserved/],
    ['aux', /reserved/],
    ['prn', /reserved/],
    ['com1', /reserved/],
    ['com9', /reserved/],
    ['lpt1', /reserved/],
    ['lpt9', /reserved/],
  ])('refuses %j', (name, why) => {
    expect(checkPackageName(name)).toMatch(why);
  });

  it('quotes the name and states the expected form', () => {
    expect(checkPackageName('Foo')).toBe(
      'package name `Foo` must be lowercase ASCII letters and digits in words joined by single "-", starting with a letter, like "left-pad": it has uppercase letters',
    );
  });
});

describe('checkVersion', () => {
  it.each(['0.0.0', '1.2.3', '10.20.30', '999999999.0.1', '0.0.999999999'])('accepts %j', (version) => {
    expect(checkVersion(version)).toBeUndefined();
  });

  it.each([
    ['v1.2.3', /without the leading "v"/],
    ['V1.2.3', /without the leading "v"/],
    ['1.2.3-beta', /prerelease and build suffixes/],
    ['1.2.3+build.1', /prerelease and build suffixes/],
    ['1.2.03', /no leading zeros/],
    ['01.2.3', /no leading zeros/],
    ['1.00.3', /no leading zeros/],
    ['1234567890.0.0', /at most 9 digits/],
    ['0.0.1234567890', /at most 9 digits/],
    ['1.2', /must be MAJOR.MINOR.PATCH, like 1.2.0$/],
    ['1.2.3.4', /must be MAJOR.MINOR.PATCH/],
    ['1..3', /must be MAJOR.MINOR.PATCH/],
    ['', /must be MAJOR.MINOR.PATCH/],
    [' 1.2.3', /must be MAJOR.MINOR.PATCH/],
    ['1.2.3\n', /must be MAJOR.MINOR.PATCH/],
    ['１.2.3', /must be MAJOR.MINOR.PATCH/],
  ])('refuses %j', (version, why) => {
    expect(checkVersion(version)).toMatch(why);
  });

  it('says what is wrong and the expected form', () => {
    expect(checkVersion('v1.2')).toBe('version `v1.2` must be MAJOR.MINOR.PATCH, like 1.2.0 (without the leading "v")');
  });
});

describe('checkTag', () => {
  it.each(['v1.2.0', '1.2.0', 'release/1.2.0', 'pkg@1.2.0', 'a.b', 'x'.repeat(200), 'v1-rc_2', 'été', 'a'.repeat(39), 'g'.repeat(40), `${hex40}x`])(
    'accepts %j',
    (tag) => {
      expect(checkTag(tag)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty/],
    ['-x', /must not start with "-"/],
    ['a..b', /".."/],
    ['a.lock', /ends with ".lock"/],
    ['a.lock/b', /ends with ".lock"/],
    ['x@{y', /"@{"/],
    ['@', /it is "@"/],
    [hex40, /commit SHA/],
    [hex40.toUpperCase(), /commit SHA/],
    [hex64, /commit SHA/],
    ['a~1', /: it has `~`$/],
    ['a^', /: it has `\^`$/],
    ['a:b', /: it has `:`$/],
    ['a?', /: it has `\?`$/],
    ['a*', /: it has `\*`$/],
    ['a[b', /: it has `\[`$/],
    ['a\\b', /: it has `\\`$/],
    ['a\tb', /control characters/],
    ['a\u0000b', /control characters/],
    ['a\u007fb', /control characters/],
    ['v1\u202e0.2', /control characters/],
    ['/a', /starts with "\/"/],
    ['a/', /ends with "\/"/],
    ['a//b', /"\/\/"/],
    ['a.', /ends with "."/],
    ['.a', /starts with "."/],
    ['a/.b', /starts with "."/],
    ['a\ud800', /not valid Unicode/],
    ['x'.repeat(201), /201 characters long; the limit is 200/],
  ])('refuses %j', (tag, why) => {
    expect(checkTag(tag)).toMatch(why);
  });

  // The one space shown as one space: an all-space code span is not trimmed.
  it('refuses "a b" naming the one space it has', () => {
    expect(checkTag('a b')).toBe('tag `a b` is not a valid git tag name: it has ` `');
  });

  it('recognises raw SHAs of both lengths, in any case, and nothing else', () => {
    expect(isRawCommitSha(hex40)).toBe(true);
    expect(isRawCommitSha(hex64.toUpperCase())).toBe(true);
    expect(isRawCommitSha(hex40.slice(1))).toBe(false);
    expect(isRawCommitSha(`${hex40}0`)).toBe(false);
  });
});

describe('checkGithubOwner', () => {
  it.each(['a', 'acme', 'Acme-Corp', 'a1-b2-c3', 'x'.repeat(39)])('accepts %j', (owner) => {
    expect(checkGithubOwner(owner)).toBeUndefined();
  });
  it.each(['', '-acme', 'acme-', 'ac--me', 'ac_me', 'ac.me', 'x'.repeat(40), 'https://github.com/acme', 'acme/repo'])('refuses %j', (owner) => {
    expect(checkGithubOwner(owner)).toMatch(/GitHub owner/);
  });
});

describe('checkGithubRepo', () => {
  it.each(['left-pad', 'a', 'A.b_c-d', '.github', '..a', 'x'.repeat(100), 'git'])('accepts %j', (repo) => {
    expect(checkGithubRepo(repo)).toBeUndefined();
  });
  it.each([
    ['', /empty/],
    ['.', /not a repository name/],
    ['..', /not a repository name/],
    ['left-pad.git', /must not end with ".git"/],
    ['left-pad.GIT', /must not end with ".git"/],
    ['a/b', /must be 1 to 100/],
    ['a b', /must be 1 to 100/],
    ['x'.repeat(101), /must be 1 to 100/],
    ['repo?x=1', /must be 1 to 100/],
  ])('refuses %j', (repo, why) => {
    expect(checkGithubRepo(repo)).toMatch(why);
  });
});

describe('checkSubdir', () => {
  it.each(['pkg', 'packages/left-pad', 'a/b/c', 'é', '.config', 'a.b/c', Array.from({ length: 16 }, () => 'a').join('/'), 'nul-x', 'console'])(
    'accepts %j',
    (subdir) => {
      expect(checkSubdir(subdir)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty; leave it out/],
    ['../x', /: it has a `\.\.` segment$/],
    ['a/../b', /: it has a `\.\.` segment$/],
    ['a/./b', /: it has a `\.` segment$/],
    ['.', /: it has a `\.` segment$/],
    ['/abs', /starts with "\/"/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['C:x', /drive letter/],
    ['c:/x', /drive letter/],
    ['ab:c', /: it has `:`$/],
    ['a\\b', /backslash/],
    ['a\nb', /control characters/],
    ['a\u0085b', /control characters/],
    ['pkg\u2066x', /control characters/],
    ['nul', /reserved name on Windows/],
    ['a/NUL.txt', /reserved name on Windows/],
    ['com1', /reserved name on Windows/],
    ['Lpt9/x', /reserved name on Windows/],
    ['a./b', /ends with "." or a space/],
    ['a /b', /ends with "." or a space/],
    ['e\u0301', /normal form C/],
    ['a\udc00', /not valid Unicode/],
    ['a|b', /: it has `\|`$/],
    ['x'.repeat(256), /256 characters long; the limit is 255/],
    [Array.from({ length: 17 }, () => 'a').join('/'), /17 segments; the limit is 16/],
  ])('refuses %j', (subdir, why) => {
    expect(checkSubdir(subdir)).toMatch(why);
  });
});

describe('quote', () => {
  it('escapes line breaks and control characters and cuts long values', () => {
    expect(quote('a\nb\u0000')).toBe('`a\\u{000A}b\\u{0000}`');
    expect(quote('x'.repeat(100))).toBe(`\`${'x'.repeat(80)}…\``);
  });
});
