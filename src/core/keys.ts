// Storage keys of the canonical tarballs, built only from validated names, and read back for reconcile.
import { isSha256Hex } from './integrity.js';
import { checkPackageName, checkVersion } from './names.js';

const TARBALL = '.tar.gz';
const STAGING = 'staging';

/**
 * Keys are built only from a valid name and version, which are plain ASCII with no "/" or "..",
 * so no encoding is needed and no key can escape its place. Anything else is a bug upstream.
 */
function assertNameAndVersion(name: string, version: string): void {
  const problem = checkPackageName(name) ?? checkVersion(version);
  if (problem !== undefined) throw new TypeError(`storage key from an unvalidated value: ${problem}`);
}

/** Where a committed version's tarball lives: `<name>/<version>.tar.gz`. */
export function finalKey(name: string, version: string): string {
  assertNameAndVersion(name, version);
  return `${name}/${version}${TARBALL}`;
}

/** The prefix holding every staged tarball of one version: `staging/<name>/<version>/`. */
export function stagingPrefix(name: string, version: string): string {
  assertNameAndVersion(name, version);
  return `${STAGING}/${name}/${version}/`;
}

/** A staged tarball, addressed by its content: `staging/<name>/<version>/<sha256-hex>.tar.gz`. */
export function stagingKey(name: string, version: string, sha256Hex: string): string {
  if (!isSha256Hex(sha256Hex)) throw new TypeError(`staging key from a value that is not lower-case sha256 hex: ${JSON.stringify(sha256Hex.slice(0, 80))}`);
  return `${stagingPrefix(name, version)}${sha256Hex}${TARBALL}`;
}

export interface FinalKeyParts {
  name: string;
  version: string;
}

export interface StagingKeyParts {
  name: string;
  version: string;
  sha256Hex: string;
}

/** The parts of a final key, or undefined for any key Registrar would not have written there. */
export function parseFinalKey(key: string): FinalKeyParts | undefined {
  const match = /^([^/]+)\/([^/]+)\.tar\.gz$/.exec(key);
  if (!match) return undefined;
  const [, name = '', version = ''] = match;
  // "staging" is a reserved package name, so no staging key ever parses as a final one.
  if (checkPackageName(name) !== undefined || checkVersion(version) !== undefined) return undefined;
  return { name, version };
}

/** The parts of a staging key, or undefined for any key Registrar would not have written there. */
export function parseStagingKey(key: string): StagingKeyParts | undefined {
  const match = /^staging\/([^/]+)\/([^/]+)\/([0-9a-f]{64})\.tar\.gz$/.exec(key);
  if (!match) return undefined;
  const [, name = '', version = '', sha256Hex = ''] = match;
  if (checkPackageName(name) !== undefined || checkVersion(version) !== undefined) return undefined;
  return { name, version, sha256Hex };
}
