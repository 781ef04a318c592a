// Every preset's storage keys and metadata paths stay in their place: hostile names are refused with a message, and every accepted name reads back exactly.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ECOSYSTEM_IDS, ecosystemFor, type Ecosystem } from '../../src/core/ecosystem.js';
import { finalKey, parseFinalKey, parseStagingKey, stagingKey, stagingPrefix } from '../../src/core/keys.js';
import { packageMarker, packageFromMarker } from '../../src/core/markers.js';
import { metadataPath, packageOfPath, parseMetadata, serializeMetadata } from '../../src/core/metadata.js';
import type { PackageMetadata, PublishedVersion } from '../../src/core/types.js';
import { registryCommitMessage } from '../../src/core/commit-message.js';
import { parseRollback } from '../../src/commands/intake.js';

const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

const HOSTILE: string[] = [
  '..', '.', '%2e%2e', 'a/../b', '@scope/../x', '@/x', '@a//b', 'a\\b', '..\\x', 'nul\u0000', 'tab\there', 'line\nbreak',
  'bidi\u202eevil', 'zero\u200bwidth', '\ufeffbom', '\uff20scope/name', 'p\u0430ckage' /* Cyrillic а */, '\u0441rate' /* Cyrillic с */,
  'staging', 'metadata', 'x'.repeat(10_000), '__proto__', '/abs', 'trailing/', '',
];

/** `constructor` is a valid name under the default preset's unchanged rule (and safe there); every other preset refuses it. */
const hostileFor = (id: string) => (id === 'default' ? HOSTILE : [...HOSTILE, 'constructor', 'prototype']);

const segmentsOk = (path: string) => path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

function inPlace(ecosystem: Ecosystem, name: string, version: string): void {
  const final = finalKey(name, version, ecosystem);
  expect(final).toBe(`${name}/${version}.tar.gz`);
  expect(final.startsWith('staging/')).toBe(false);
  expect(segmentsOk(final)).toBe(true);
  expect(parseFinalKey(final, ecosystem)).toEqual({ name, version });
  expect(parseStagingKey(final, ecosystem)).toBeUndefined();

  const staging = stagingKey(name, version, hex, ecosystem);
  expect(staging).toBe(`staging/${name}/${version}/${hex}.tar.gz`);
  expect(staging.startsWith(stagingPrefix(name, version, ecosystem))).toBe(true);
  expect(segmentsOk(staging)).toBe(true);
  expect(parseStagingKey(staging, ecosystem)).toEqual({ name, version, sha256Hex: hex });
  expect(parseFinalKey(staging, ecosystem)).toBeUndefined();

  const path = metadataPath(name, ecosystem);
  expect(path).toMatch(/^metadata\/[^/]+\/(?:[^/]+\/)?[^/]+\.json$/);
  expect(segmentsOk(path)).toBe(true);
  expect(packageOfPath(path, ecosystem)).toBe(ecosystem.canonicalName(name));

  expect(packageFromMarker(`x\n${packageMarker(name, version)}\n`, ecosystem)).toEqual({ name, version });
  const parsed = parseRollback(`${name}@${version} it leaked`, ecosystem);
  expect(parsed).toEqual({ ok: true, target: { kind: 'named', name, version }, reason: 'it leaked' });
  expect(registryCommitMessage({ action: 'Publish', name, version, issue: 1, run: '1', attempt: 1 }, ecosystem).headline)
    .toBe(`Publish ${name}@${version} (#1)`);
}

/** Names drawn so that each preset accepts a good share: its own alphabet, scoped or not. */
const nameArbitrary: Record<string, fc.Arbitrary<string>> = {
  default: fc.stringMatching(/^[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,5}){0,3}$/),
  purescript: fc.stringMatching(/^[a-z0-9]{1,8}(?:-[a-z0-9]{1,5}){0,3}$/),
  npm: fc.oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9._~!*()'-]{0,12}$/),
    fc.tuple(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,8}$/)).map(([s, n]) => `@${s}/${n}`),
  ),
  crates: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/),
};
const versionArbitrary: Record<string, fc.Arbitrary<string>> = {
  default: fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)).map((p) => p.join('.')),
  purescript: fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)).map((p) => p.join('.')),
  npm: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(fc.stringMatching(/^(?:0|[1-9][0-9]{0,2}|[a-z][a-z0-9-]{0,5})(?:\.(?:0|[1-9][0-9]{0,2}|[a-z][a-z0-9-]{0,5})){0,2}$/)))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`),
  crates: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(fc.stringMatching(/^[a-z][a-z0-9]{0,5}(?:\.[0-9]{1,2})?$/)))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`),
};

describe.each(ECOSYSTEM_IDS)('the %s preset', (id) => {
  const ecosystem = ecosystemFor(id);

  it.each(hostileFor(id).map((name) => [JSON.stringify(name).slice(0, 40), name]))('refuses the hostile name %s with a message', (_shown, name) => {
    const problem = ecosystem.checkName(name);
    expect(problem).toMatch(/package name/);
    // The message quotes at most a short, inert excerpt: never the 10,000 characters, never a raw control or bidi character.
    expect((problem ?? '').length).toBeLessThan(400);
    expect(problem).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e\u200b\ufeff]/u);
    expect(() => finalKey(name, '1.0.0', ecosystem)).toThrow(TypeError);
    expect(() => metadataPath(name, ecosystem)).toThrow(TypeError);
    expect(parseRollback(`${name}@1.0.0 reason`, ecosystem).ok).toBe(false);
  });

  it('gives every name it accepts keys and paths inside their place, read back exactly (property)', () => {
    let accepted = 0;
    fc.assert(fc.property(nameArbitrary[id]!, versionArbitrary[id]!, (name, version) => {
      if (ecosystem.checkName(name) !== undefined || ecosystem.checkVersion(version) !== undefined) return;
      accepted += 1;
      inPlace(ecosystem, name, version);
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(500);
  });

  it('reads no other preset-shaped key or path as its own unless that name is valid here', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (key) => {
      const final = parseFinalKey(key, ecosystem);
      if (final) expect(finalKey(final.name, final.version, ecosystem)).toBe(key);
      const staging = parseStagingKey(key, ecosystem);
      if (staging) expect(stagingKey(staging.name, staging.version, staging.sha256Hex, ecosystem)).toBe(key);
      const name = packageOfPath(key, ecosystem);
      if (name !== undefined) expect(metadataPath(name, ecosystem)).toBe(key);
    }), { numRuns: 2000 });
  });
});

describe('scoped npm names', () => {
  const npm = ecosystemFor('npm');

  it('keep the scope in storage keys and read back unambiguously', () => {
    expect(finalKey('@scope/name', '1.0.0', npm)).toBe('@scope/name/1.0.0.tar.gz');
    expect(stagingKey('@scope/name', '3.0.0-canary.1', hex, npm)).toBe(`staging/@scope/name/3.0.0-canary.1/${hex}.tar.gz`);
    expect(parseFinalKey('@scope/name/1.0.0.tar.gz', npm)).toEqual({ name: '@scope/name', version: '1.0.0' });
    expect(parseStagingKey(`staging/@scope/name/1.0.0/${hex}.tar.gz`, npm)).toEqual({ name: '@scope/name', version: '1.0.0', sha256Hex: hex });
    // A scope directory is not a package: `@scope/1.0.0.tar.gz` names no valid package.
    expect(parseFinalKey('@scope/1.0.0.tar.gz', npm)).toBeUndefined();
    expect(parseFinalKey('a/b/1.0.0.tar.gz', npm)).toBeUndefined();
  });

  it('are one file each in the registry, spelled as npm spells them in URLs', () => {
    expect(metadataPath('@scope/name', npm)).toBe('metadata/sc/op/@scope%2fname.json');
    expect(metadataPath('@a/b', npm)).toBe('metadata/3/a/@a%2fb.json');
    expect(metadataPath('lodash.debounce', npm)).toBe('metadata/lo/da/lodash.debounce.json');
    expect(metadataPath('ab..c', npm)).toBe('metadata/ab/__/ab..c.json');
    expect(packageOfPath('metadata/sc/op/@scope%2fname.json', npm)).toBe('@scope/name');
    expect(packageOfPath('metadata/sc/op/@scope/name.json', npm)).toBeUndefined();
  });

  it('are read from markers and /rollback targets at the right "@"', () => {
    expect(packageFromMarker(packageMarker('@scope/name', '3.0.0-canary.1'), npm)).toEqual({ name: '@scope/name', version: '3.0.0-canary.1' });
    expect(parseRollback('@scope/name@1.0.0 leaked', npm)).toEqual({ ok: true, target: { kind: 'named', name: '@scope/name', version: '1.0.0' }, reason: 'leaked' });
    for (const bad of ['@scope/name leaked', '@scope/name@@1.0.0 leaked', '@scope@1.0.0 leaked', '@scope/name@1.0.0+b leaked', '\uff20scope/name@1.0.0 x']) {
      expect(parseRollback(bad, npm).ok).toBe(false);
    }
    // The default preset still refuses a scoped target exactly as before.
    expect(parseRollback('@scope/name@1.0.0 leaked').ok).toBe(false);
  });
});

describe('crates names', () => {
  const crates = ecosystemFor('crates');

  it('share one metadata file whatever their case and "-"/"_" spelling', () => {
    expect(metadataPath('Serde', crates)).toBe('metadata/se/rd/serde.json');
    expect(metadataPath('serde', crates)).toBe('metadata/se/rd/serde.json');
    expect(metadataPath('serde_json', crates)).toBe(metadataPath('Serde-JSON', crates));
    expect(packageOfPath('metadata/se/rd/Serde.json', crates)).toBeUndefined();
  });

  it('keep their own spelling in storage keys', () => {
    expect(finalKey('Serde_json', '1.0.0-rc.1', crates)).toBe('Serde_json/1.0.0-rc.1.tar.gz');
  });

  it('refuse crates.io reserved names and build metadata', () => {
    expect(crates.checkName('std')).toMatch(/reserved by crates\.io/);
    expect(crates.checkName('Proc_Macro')).toMatch(/reserved by crates\.io/);
    expect(crates.checkName('1abc')).toMatch(/start with an ASCII letter/);
    expect(crates.checkName('x'.repeat(65))).toMatch(/limit is 64/);
    expect(crates.checkVersion('1.0.0+meta')).toMatch(/build metadata.*Cargo ignores it/);
    expect(crates.checkVersion('1.0.0-alpha.1')).toBeUndefined();
  });
});

describe('the default preset', () => {
  const fallback = ecosystemFor('default');

  it('keeps today\'s paths, keys and top directory', () => {
    expect(metadataPath('left-pad', fallback)).toBe('metadata/le/ft/left-pad.json');
    expect(metadataPath('ab', fallback)).toBe('metadata/2/ab.json');
    expect(metadataPath('abc', fallback)).toBe('metadata/3/a/abc.json');
    expect(finalKey('left-pad', '1.2.0', fallback)).toBe('left-pad/1.2.0.tar.gz');
    expect(fallback.topDirectory('left-pad', '1.2.0')).toBe('left-pad-1.2.0');
    expect(fallback.checkName('lodash.debounce')).toBeDefined();
    expect(fallback.checkVersion('3.0.0-canary.1')).toBeDefined();
  });

  it('gives the same paths as every call that names no ecosystem', () => {
    fc.assert(fc.property(nameArbitrary.default!, (name) => {
      if (fallback.checkName(name) !== undefined) return;
      expect(metadataPath(name, fallback)).toBe(metadataPath(name));
    }));
  });
});

describe('the purescript preset', () => {
  const purescript = ecosystemFor('purescript');

  it('follows the PureScript registry\'s name and version rules', () => {
    expect(purescript.checkName('prelude')).toBeUndefined();
    expect(purescript.checkName('0x')).toBeUndefined();
    expect(purescript.checkName('purescript-prelude')).toMatch(/must not start with `purescript-`.*request `prelude`/);
    expect(purescript.checkName('purescript-compiler-backend-utilities')).toBeUndefined();
    expect(purescript.checkName('a--b')).toMatch(/"--"/);
    expect(purescript.checkName('x'.repeat(151))).toMatch(/limit is 150/);
    expect(purescript.checkVersion('6.0.1')).toBeUndefined();
    expect(purescript.checkVersion('v6.0.1')).toMatch(/leading "v"/);
    expect(purescript.checkVersion('1.0.0-rc.1')).toMatch(/no prerelease/);
    expect(purescript.checkVersion('2147483648.0.0')).toMatch(/at most 2147483647/);
  });
});

describe('metadata files per preset', () => {
  const entry = (issue: number): PublishedVersion => ({ sha256: `sha256-${Buffer.alloc(32, issue).toString('base64')}`, bytes: 10, ref: 'v1',
    commit: 'c'.repeat(40), publishedTime: '2026-01-01T00:00:00.000Z', issue });
  const metadata = (name: string, versions: string[]): PackageMetadata => ({
    name, location: { githubOwner: 'acme', githubRepo: 'lib', repositoryId: 9 },
    published: Object.fromEntries(versions.map((v, i) => [v, entry(i + 1)])), rolledBack: [],
  });

  it('round-trip a scoped npm package with prerelease versions, in SemVer order', () => {
    const npm = ecosystemFor('npm');
    const text = serializeMetadata(metadata('@scope/name', ['1.0.0', '1.0.0-rc.1', '0.9.0']), npm);
    expect(Object.keys(JSON.parse(text).published)).toEqual(['0.9.0', '1.0.0-rc.1', '1.0.0']);
    expect(parseMetadata(text, '@scope/name', npm).name).toBe('@scope/name');
    // Under the default preset the same file is not valid metadata: its name and versions break today's rules.
    expect(() => serializeMetadata(metadata('@scope/name', ['1.0.0']))).toThrow(TypeError);
  });

  it('read a crate\'s file under any spelling of its name, and no other crate\'s', () => {
    const crates = ecosystemFor('crates');
    const text = serializeMetadata(metadata('serde_json', ['1.0.0']), crates);
    expect(parseMetadata(text, 'Serde-JSON', crates).name).toBe('serde_json');
    expect(() => parseMetadata(text, 'serde', crates)).toThrow(/names the package `serde_json`, not `serde`/);
  });
});
