// The npm preset against npm's own rules: validate-npm-package-name (validForNewPackages, less its core-module warning) for names, semver for versions.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import semver from 'semver';
import validate from 'validate-npm-package-name';
import { ecosystemFor } from '../../src/core/ecosystem.js';
import { parsePublishRequest } from '../../src/core/request.js';

const npm = ecosystemFor('npm');
/**
 * npm's rule for new packages, less one warning: Node's core module names, which real packages carry (`string_decoder`,
 * `events`, `buffer`) and a registry, being no module resolution, has no reason to refuse.
 */
function npmAccepts(name: string): boolean {
  const verdict = validate(name);
  if (verdict.validForNewPackages) return true;
  return (verdict.errors ?? []).length === 0 && (verdict.warnings ?? []).length === 1 && verdict.warnings?.[0] === `${name} is a core module name`;
}
/** npm's own semantics: a valid version that is exactly what semver prints (no `v`, no `=`, no build metadata it ignores). */
const semverAccepts = (version: string) => semver.valid(version) === version;

/**
 * Where Registrar is deliberately stricter than npm, and why: names become storage directories and registry files on
 * any system, and must never read as the registry's own places or as JavaScript's object properties.
 */
function stricterBecause(name: string): string | undefined {
  const parts = name.startsWith('@') ? name.slice(1).split('/') : [name];
  if (['staging', 'metadata', 'constructor', 'prototype'].includes(name)) return 'a registry-reserved name';
  if (parts.some((p) => /^(?:con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i.test(p))) return 'a Windows device name as a path segment';
  if (parts.some((p) => p.endsWith('.') || p === '.' || p === '..')) return 'a path segment that is "." or ".." or ends with "."';
  if (parts.length === 2 && /[~'!()*]/.test(parts[0] ?? '')) return 'a glob or shell character in the scope';
  return undefined;
}

describe('npm names agree with validate-npm-package-name (validForNewPackages, core module names accepted)', () => {
  // The names of the issue (real packages Registrar refused), and the edges of npm's rule.
  const table: Array<[string, boolean]> = [
    ['lodash.debounce', true],
    ['@scope/name', true],
    ['@babel/core', true],
    ['snake_case_pkg', true],
    ['left-pad', true],
    ['a', true],
    ['123abc', true],
    ['x'.repeat(214), true],
    ['@s/' + 'x'.repeat(211), true],
    ['@s/-leading-hyphen-in-name', true],
    ['@s/_leading-underscore-in-name', true],
    ['string_decoder', true], // a Node core module's name, and a real npm package the issue names
    ['events', true],
    ['buffer', true],
    ['punycode', true],
    ['util', true],
    ['http', true],
    ['fs/promises', false], // a core module, but "/" makes it no npm name
    ['node:test', false],
    ['node_modules', false],
    ['favicon.ico', false],
    ['x'.repeat(215), false],
    ['Uppercase', false],
    ['.hidden', false],
    ['_private', false],
    ['-leading', false],
    ['has space', false],
    [' padded', false],
    ['with~tilde', false],
    ["it's", false],
    ['bang!', false],
    ['paren(s)', false],
    ['star*', false],
    ['@scope/.dot', false],
    ['@/x', false],
    ['@a//b', false],
    ['@scope/../x', false],
    ['a/b', false],
    ['%2e%2e', false],
    ['back\\slash', false],
    ['nul\u0000', false],
    ['caf\u00e9', false],
    ['\uff20scope/name', false],
    ['', false],
  ];

  it.each(table)('%j: npm says %s, and so does the preset', (name, accepted) => {
    expect(npmAccepts(name)).toBe(accepted);
    expect(npm.checkName(name) === undefined).toBe(accepted);
  });

  it('accepts every core module name npm\'s validator lists that is otherwise a valid name, and only those', () => {
    const builtins = createRequire(import.meta.url)('validate-npm-package-name/lib/builtin-modules.json') as string[];
    expect(builtins.length).toBeGreaterThan(50);
    const accepted = builtins.filter((name) => npm.checkName(name) === undefined);
    expect(accepted).toEqual(expect.arrayContaining(['string_decoder', 'events', 'buffer', 'punycode', 'util', 'http', 'zlib']));
    for (const name of builtins) {
      expect(validate(name).validForNewPackages).toBe(false);
      expect(npm.checkName(name) === undefined).toBe(npmAccepts(name));
    }
    // The ones with "/" or ":" stay refused, for that reason and not for being Node's.
    expect(npm.checkName('fs/promises')).toMatch(/only a scoped name/);
    expect(npm.checkName('node:test')).toMatch(/not URL-safe/);
  });

  it('is deliberately stricter only in the listed cases, each for a stated reason', () => {
    const stricter: Array<[string, string]> = [
      ['staging', 'a registry-reserved name'],
      ['metadata', 'a registry-reserved name'],
      ['constructor', 'a registry-reserved name'],
      ['con', 'a Windows device name as a path segment'],
      ['aux.js', 'a Windows device name as a path segment'],
      ['@scope/nul', 'a Windows device name as a path segment'],
      ['trailing.', 'a path segment that is "." or ".." or ends with "."'],
      ['@../x', 'a path segment that is "." or ".." or ends with "."'],
      ['@a*b/c', 'a glob or shell character in the scope'],
    ];
    for (const [name, why] of stricter) {
      expect(npmAccepts(name)).toBe(true);
      expect(npm.checkName(name)).toBeDefined();
      expect(stricterBecause(name)).toBe(why);
    }
  });

  // Names drawn from npm's own alphabet (and a few characters it refuses), scoped or not, so both verdicts are common.
  const alphabet = fc.constantFrom(...'abcxyz019-_.~!*()\'A %/@\u00e9\\'.split(''));
  const part = fc.array(alphabet, { minLength: 0, maxLength: 12 }).map((cs) => cs.join(''));
  const names = fc.oneof(part, fc.tuple(part, part).map(([scope, name]) => `@${scope}/${name}`), fc.constantFrom('http', 'string_decoder', 'node_modules'));

  it('agrees with npm on generated names, except where it is stricter for a listed reason', () => {
    fc.assert(fc.property(names, (name) => {
      const ours = npm.checkName(name) === undefined;
      const theirs = npmAccepts(name);
      if (ours) expect(theirs).toBe(true);
      if (theirs && !ours) expect(stricterBecause(name)).toBeDefined();
      if (theirs && stricterBecause(name) === undefined) expect(ours).toBe(true);
    }), { numRuns: 5000 });
  });
});

describe('npm versions agree with semver (build metadata refused with the reason)', () => {
  it.each([
    ['3.0.0-canary.1', true],
    ['1.2.0', true],
    ['0.0.0', true],
    ['1.0.0-rc.1.x-y', true],
    ['1.0.0-0', true],
    ['9007199254740991.0.0', true],
    ['9007199254740992.0.0', false],
    ['1.0.0+build.5', false],
    ['v1.0.0', false],
    ['=1.0.0', false],
    ['01.0.0', false],
    ['1.0.0-01', false],
    ['1.0', false],
    ['1.0.0-', false],
    ['1.0.0-a..b', false],
    [' 1.0.0', false],
    ['1.0.0/../x', false],
  ])('%j: accepted %s', (version, accepted) => {
    expect(semverAccepts(version)).toBe(accepted);
    expect(npm.checkVersion(version) === undefined).toBe(accepted);
  });

  it('says why build metadata is refused', () => {
    expect(npm.checkVersion('1.0.0+build.5')).toMatch(/build metadata.*npm ignores it when comparing versions/);
  });

  const versionChars = fc.constantFrom(...'0123456789.-+abAZ'.split(''));
  const versions = fc.oneof(
    fc.array(versionChars, { minLength: 1, maxLength: 20 }).map((cs) => cs.join('')),
    fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.option(fc.array(fc.constantFrom('alpha', 'beta', '0', '1', '07', 'x-y', ''), { minLength: 1, maxLength: 3 })))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre.join('.')}` : ''}`),
  );

  it('agrees with semver on generated versions', () => {
    fc.assert(fc.property(versions, (version) => {
      expect(npm.checkVersion(version) === undefined).toBe(semverAccepts(version));
    }), { numRuns: 5000 });
  });
});

describe('an npm publish request', () => {
  const request = (name: string, version: string) => JSON.stringify({ name, version, ref: `v${version}`, location: { githubOwner: 'acme', githubRepo: 'lib' } });

  it('accepts the names and versions the default preset refuses', () => {
    for (const [name, version] of [['@scope/name', '1.0.0'], ['lodash.debounce', '4.0.8'], ['snake_case_pkg', '1.0.0'], ['next', '3.0.0-canary.1']] as const) {
      expect(parsePublishRequest(request(name, version)).ok).toBe(false);
      expect(parsePublishRequest(request(name, version), npm)).toMatchObject({ ok: true, request: { name, version } });
    }
  });

  it('refuses a name npm refuses, naming the field', () => {
    const parsed = parsePublishRequest(request('Bad Name', '1.0.0'), npm);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toEqual([expect.objectContaining({ field: 'name' })]);
  });
});

describe('the example request a refusal shows', () => {
  it('uses a name of the registry\'s ecosystem', () => {
    const parsed = parsePublishRequest('```json\n```', npm);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems[0]?.message).toContain('"name": "@scope/left-pad"');
  });
});
