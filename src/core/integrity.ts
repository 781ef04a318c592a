// Hashes of canonical tarballs, in the two spellings the registry uses: hex for storage keys and object metadata, SRI (`sha256-<base64>`) in package metadata.
import { createHash } from 'node:crypto';

const HEX = /^[0-9a-f]{64}$/;
// 32 bytes are 43 base64 characters plus one "="; the last character carries 2 padding bits,
// which must be zero (one of A E I M Q U Y c g k o s w 0 4 8) for the spelling to be canonical.
const SRI = /^sha256-[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Lower-case hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The SRI form of `bytes`' sha256, as package metadata records it. */
export function sha256Sri(bytes: Uint8Array): string {
  return `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
}

/** True for exactly 64 lower-case hex digits (upper case is refused so one hash has one spelling). */
export function isSha256Hex(value: string): boolean {
  return HEX.test(value);
}

/** True for a canonical `sha256-<base64>` of 32 bytes. */
export function isSri(value: string): boolean {
  return SRI.test(value);
}

/** Hex → SRI. Throws a TypeError on anything but 64 lower-case hex digits: callers pass hashes they computed. */
export function hexToSri(hex: string): string {
  if (!isSha256Hex(hex)) throw new TypeError(`not a sha256 in lower-case hex: ${JSON.stringify(hex.slice(0, 80))}`);
  return `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;
}

/** SRI → hex. Throws a TypeError unless `sri` is a canonical `sha256-<base64>` of 32 bytes. */
export function sriToHex(sri: string): string {
  if (!isSri(sri)) throw new TypeError(`not a sha256 in SRI form (sha256-<base64>): ${JSON.stringify(sri.slice(0, 80))}`);
  return Buffer.from(sri.slice('sha256-'.length), 'base64').toString('hex');
}
