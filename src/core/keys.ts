// Storage keys of the canonical tarballs, built only from validated names, and read back for reconcile.
import { DEFAULT_ECOSYSTEM, type Ecosystem } from './ecosystem.js';
import { isSha256Hex } from './integrity.js';

const TARBALL = '.tar.gz';
const STAGING = 'staging';

/**
 * Keys are built only from a name and version valid in the registry's ecosystem: plain ASCII whose every
 * `/`-separated part is a safe path segment (a scoped npm name is two parts, `@scope/name`), so no encoding is
 * needed and no key can escape its place. Anything else is a bug upstream.
 */
function assertNameAndVersion(name: string, version: string, ecosystem: Ecosystem): void {
  const problem = ecosystem.checkName(name) ?? ecosystem.checkVersion(version);
  if (problem !== undefined) throw new TypeError(`storage key from an unvalidated value: ${problem}`);
}

/** Where a committed version's tarball lives: `<name>/<version>.tar.gz` (`@scope/name/<version>.tar.gz` for a scoped name). */
export function finalKey(name: string, version: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string {
  assertNameAndVersion(name, version, ecosystem);
  return `${name}/${version}${TARBALL}`;
}

/** The prefix holding every staged tarball of one version: `staging/<name>/<version>/`. */
export function stagingPrefix(name: string, version: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string {
  assertNameAndVersion(name, version, ecosystem);
  return `${STAGING}/${name}/${version}/`;
}

/** A staged tarball, addressed by its content: `staging/<name>/<version>/<sha256-hex>.tar.gz`. */
export function stagingKey(name: string, version: string, sha256Hex: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string {
  if (!isSha256Hex(sha256Hex)) throw new TypeError(`staging key from a value that is not lower-case sha256 hex: ${JSON.stringify(sha256Hex.slice(0, 80))}`);
  return `${stagingPrefix(name, version, ecosystem)}${sha256Hex}${TARBALL}`;
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

// A name is one segment, or two when it is scoped (`@scope/name`): the `@` decides, so every key reads one way only.
const NAME = '((?:@[^/]+/)?[^/]+)';
const FINAL_KEY = new RegExp(`^${NAME}/([^/]+)\\.tar\\.gz$`);
const STAGING_KEY = new RegExp(`^staging/${NAME}/([^/]+)/([0-9a-f]{64})\\.tar\\.gz$`);

/** The parts of a final key, or undefined for any key Registrar would not have written there. */
export function parseFinalKey(key: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): FinalKeyParts | undefined {
  const match = FINAL_KEY.exec(key);
  if (!match) return undefined;
  const [, name = '', version = ''] = match;
  // "staging" is a reserved package name in every ecosystem, so no staging key ever parses as a final one.
  if (ecosystem.checkName(name) !== undefined || ecosystem.checkVersion(version) !== undefined) return undefined;
  return { name, version };
}

/** The parts of a staging key, or undefined for any key Registrar would not have written there. */
export function parseStagingKey(key: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): StagingKeyParts | undefined {
  const match = STAGING_KEY.exec(key);
  if (!match) return undefined;
  const [, name = '', version = '', sha256Hex = ''] = match;
  if (ecosystem.checkName(name) !== undefined || ecosystem.checkVersion(version) !== undefined) return undefined;
  return { name, version, sha256Hex };
}
