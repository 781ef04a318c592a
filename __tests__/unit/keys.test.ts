// Storage keys: built from validated names only, and parsed back exactly for reconcile.
import { describe, expect, it } from '@jest/globals';
import { finalKey, parseFinalKey, parseStagingKey, stagingKey, stagingPrefix } from '../../src/core/keys.js';

const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('storage keys', () => {
  it('builds the final, staging prefix and staging keys of DESIGN.md', () => {
    expect(finalKey('left-pad', '1.2.0')).toBe('left-pad/1.2.0.tar.gz');
    expect(stagingPrefix('left-pad', '1.2.0')).toBe('staging/left-pad/1.2.0/');
    expect(stagingKey('left-pad', '1.2.0', hex)).toBe(`staging/left-pad/1.2.0/${hex}.tar.gz`);
    expect(stagingKey('left-pad', '1.2.0', hex).startsWith(stagingPrefix('left-pad', '1.2.0'))).toBe(true);
  });

  it.each([
    ['../x', '1.2.0'],
    ['staging', '1.2.0'],
    ['left-pad', '1.2.0/../../x'],
    ['left-pad', 'v1.2.0'],
  ])('refuses to build a key from %j and %j', (name, version) => {
    expect(() => finalKey(name, version)).toThrow(TypeError);
    expect(() => stagingPrefix(name, version)).toThrow(TypeError);
    expect(() => stagingKey(name, version, hex)).toThrow(TypeError);
  });

  it('refuses a staging key from a hash that is not lower-case hex', () => {
    expect(() => stagingKey('left-pad', '1.2.0', hex.toUpperCase())).toThrow(TypeError);
    expect(() => stagingKey('left-pad', '1.2.0', 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')).toThrow(TypeError);
  });

  it('parses the keys it builds', () => {
    expect(parseFinalKey(finalKey('a', '0.0.1'))).toEqual({ name: 'a', version: '0.0.1' });
    expect(parseStagingKey(stagingKey('left-pad', '10.0.3', hex))).toEqual({ name: 'left-pad', version: '10.0.3', sha256Hex: hex });
  });

  it.each([
    'left-pad/1.2.0.tgz',
    'left-pad/1.2.0.tar.gz.part',
    'Left-pad/1.2.0.tar.gz',
    'left-pad/v1.2.0.tar.gz',
    'x/left-pad/1.2.0.tar.gz',
    '/left-pad/1.2.0.tar.gz',
    `staging/left-pad/1.2.0.tar.gz`,
    `staging/left-pad/1.2.0/${hex}.tar.gz`,
  ])('parseFinalKey ignores %j', (key) => {
    expect(parseFinalKey(key)).toBeUndefined();
  });

  it.each([
    `staging/left-pad/1.2.0/${hex.toUpperCase()}.tar.gz`,
    `staging/left-pad/1.2.0/${hex.slice(1)}.tar.gz`,
    `staging/left-pad/1.2.0/${hex}.tar.gz/x`,
    `staging/left-pad/01.2.0/${hex}.tar.gz`,
    `staging/Left/1.2.0/${hex}.tar.gz`,
    `staging/left-pad/1.2.0/x/${hex}.tar.gz`,
    `staging/left-pad/1.2.0/`,
    `left-pad/1.2.0.tar.gz`,
  ])('parseStagingKey ignores %j', (key) => {
    expect(parseStagingKey(key)).toBeUndefined();
  });
});
