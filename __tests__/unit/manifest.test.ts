import { describe, it, expect } from '@jest/globals';
import { checkManifest, MANIFEST_MAX_BYTES } from '../../src/core/manifest.js';

const expected = { name: 'left-pad', version: '1.2.0', manifestFile: 'package.json' };
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const good = { name: 'left-pad', version: '1.2.0', license: 'MIT', description: 'pads' };

function problemsOf(input: Uint8Array | undefined): string {
  const result = checkManifest(input, expected);
  if (result.ok) throw new Error('expected problems');
  return result.problems.join('\n');
}

describe('checkManifest', () => {
  it('accepts a matching manifest and returns its license', () => {
    expect(checkManifest(bytes(good), expected)).toEqual({ ok: true, license: 'MIT' });
  });

  it('accepts an SPDX expression with OR, and a byte-order mark', () => {
    expect(checkManifest(bytes({ ...good, license: 'MIT OR Apache-2.0' }), expected)).toEqual({
      ok: true,
      license: 'MIT OR Apache-2.0',
    });
    expect(checkManifest(bytes('\uFEFF' + JSON.stringify(good)), expected).ok).toBe(true);
    expect(checkManifest(bytes({ ...good, license: '(MIT AND BSD-3-Clause) OR GPL-2.0-or-later' }), expected).ok).toBe(true);
  });

  it('refuses a missing manifest, naming the file', () => {
    expect(problemsOf(undefined)).toMatch(/no `package.json` at its root/);
    const other = checkManifest(undefined, { ...expected, manifestFile: 'purs.json' });
    expect(other.ok ? '' : other.problems[0]).toMatch(/`purs.json`/);
  });

  it('refuses text that is not JSON, or not UTF-8', () => {
    expect(problemsOf(bytes('{"name": "left-pad",'))).toMatch(/`package.json` is not valid JSON/);
    expect(problemsOf(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatch(/not valid UTF-8/);
  });

  it('refuses JSON that is not an object', () => {
    for (const value of ['[]', 'null', '"left-pad"', '42']) {
      expect(problemsOf(bytes(value))).toMatch(/must contain a JSON object/);
    }
  });

  it('refuses a name mismatch, saying both names', () => {
    expect(problemsOf(bytes({ ...good, name: 'right-pad' }))).toMatch(
      /has `name` `right-pad`, but the publish request is for `left-pad`/
    );
    expect(problemsOf(bytes({ version: '1.2.0', license: 'MIT' }))).toMatch(/has no `name` field; it must be `left-pad`/);
  });

  it('refuses a version mismatch', () => {
    expect(problemsOf(bytes({ ...good, version: '1.1.0' }))).toMatch(
      /has `version` `1.1.0`, but the publish request is for `1.2.0`/
    );
    expect(problemsOf(bytes({ ...good, version: 120 }))).toMatch(/has `version` `120`/);
  });

  it('refuses a missing or non-string license', () => {
    const { license: _omitted, ...unlicensed } = good;
    expect(problemsOf(bytes(unlicensed))).toMatch(/has no `license` field; add an SPDX license expression/);
    expect(problemsOf(bytes({ ...good, license: { type: 'MIT' } }))).toMatch(/not a string/);
  });

  it('refuses an invalid SPDX expression', () => {
    for (const license of ['mit', 'MIT OR', 'Apache 2.0', 'My Own License', '']) {
      expect(problemsOf(bytes({ ...good, license }))).toMatch(/not a valid SPDX expression/);
    }
  });

  it('refuses UNLICENSED and SEE LICENSE IN, explaining why', () => {
    expect(problemsOf(bytes({ ...good, license: 'UNLICENSED' }))).toMatch(/UNLICENSED \(no one may use it\). A public registry/);
    expect(problemsOf(bytes({ ...good, license: 'SEE LICENSE IN LICENSE.md' }))).toMatch(/custom license file/);
  });

  it('reports every problem at once', () => {
    const result = checkManifest(bytes({ name: 'x', version: '9.9.9', license: 'UNLICENSED' }), expected);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toHaveLength(3);
  });

  it('refuses keys that reach JavaScript prototypes', () => {
    expect(problemsOf(bytes('{"__proto__": {"name": "left-pad"}, "version": "1.2.0", "license": "MIT"}'))).toMatch(
      /is not valid JSON \(at `__proto__`: the key `__proto__` is not allowed\)/,
    );
  });

  it('refuses duplicate keys: tools disagree on which one counts, so the manifest could name two packages', () => {
    expect(problemsOf(bytes('{"name": "left-pad", "name": "hostile-pkg", "version": "1.2.0", "license": "MIT"}'))).toMatch(
      /is not valid JSON \(at `name`: the key `name` appears more than once/,
    );
    expect(problemsOf(bytes('{"name": "left-pad", "version": "1.2.0", "license": "MIT"'))).toMatch(/is not valid JSON \(expected/);
  });
});

describe('checkManifest bounds the work a stranger\'s manifest can cause', () => {
  it('refuses a license expression longer than the SPDX check is given, before parsing it', () => {
    const license = 'MIT OR '.repeat(100_000) + 'MIT';
    expect(problemsOf(bytes({ ...good, license }))).toMatch(/has a `license` of 700003 characters; an SPDX expression is at most 256/);
  });

  it('refuses a manifest over 1 MiB without reading it', () => {
    const padding = 'x'.repeat(MANIFEST_MAX_BYTES);
    expect(problemsOf(bytes({ ...good, description: padding }))).toMatch(/is \d+ bytes; the limit is 1048576/);
  });
});
