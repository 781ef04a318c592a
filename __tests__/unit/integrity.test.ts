// Hashes in their two spellings, hex and SRI, and the conversions between them.
import { describe, expect, it } from '@jest/globals';
import { hexToSri, isSha256Hex, isSri, sha256Hex, sha256Sri, sriToHex } from '../../src/core/integrity.js';

// sha256("abc") from FIPS 180-2, appendix B.1.
const ABC_HEX = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_SRI = 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=';
const abc = new TextEncoder().encode('abc');

describe('integrity', () => {
  it('hashes bytes to hex and to SRI', () => {
    expect(sha256Hex(abc)).toBe(ABC_HEX);
    expect(sha256Sri(abc)).toBe(ABC_SRI);
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('converts both ways', () => {
    expect(hexToSri(ABC_HEX)).toBe(ABC_SRI);
    expect(sriToHex(ABC_SRI)).toBe(ABC_HEX);
    for (const hex of ['0'.repeat(64), 'f'.repeat(64)]) expect(sriToHex(hexToSri(hex))).toBe(hex);
  });

  it.each([
    ['upper case', ABC_HEX.toUpperCase()],
    ['too short', ABC_HEX.slice(1)],
    ['too long', `${ABC_HEX}0`],
    ['not hex', `${ABC_HEX.slice(1)}g`],
    ['empty', ''],
  ])('refuses hex that is %s', (_label, hex) => {
    expect(isSha256Hex(hex)).toBe(false);
    expect(() => hexToSri(hex)).toThrow(TypeError);
  });

  it.each([
    ['another algorithm', ABC_SRI.replace('sha256-', 'sha512-')],
    ['no prefix', ABC_SRI.slice('sha256-'.length)],
    ['no padding', ABC_SRI.slice(0, -1)],
    ['base64url', ABC_SRI.replace('+', '-')],
    // Same bytes when decoded leniently, but not the canonical spelling: the padding bits are not zero.
    ['non-canonical padding bits', ABC_SRI.replace('Fa0=', 'Fa1=')],
    ['the wrong length', 'sha256-YWJj'],
    ['trailing text', `${ABC_SRI} `],
  ])('refuses SRI with %s', (_label, sri) => {
    expect(isSri(sri)).toBe(false);
    expect(() => sriToHex(sri)).toThrow(TypeError);
  });

  it('accepts every canonical SRI it produces', () => {
    for (let i = 0; i < 64; i++) expect(isSri(sha256Sri(new Uint8Array([i])))).toBe(true);
  });
});
