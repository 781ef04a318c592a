// Ecosystem presets: the rules that differ between registries (names, versions, which manifest is read, the tarball's top directory), one object per registry kind.
import {
  checkBowerJson, checkCargoManifest, checkManifest, checkPursJson, checkSpagoYaml, PURESCRIPT_PREFIX, type ManifestCheck, type ManifestRequest,
} from './manifest.js';
import { checkPackageName, checkVersion, pathSegmentProblem, quote } from './names.js';

export type EcosystemId = 'default' | 'purescript' | 'npm' | 'crates';

export const ECOSYSTEM_IDS: readonly EcosystemId[] = ['default', 'purescript', 'npm', 'crates'];

export interface Ecosystem {
  readonly id: EcosystemId;
  /** The manifest files read at the package root, in the order of precedence: the first one present is the one checked. */
  readonly manifestFiles: readonly string[];
  /** Why `name` is not a package name here (a message for people), or undefined. */
  checkName(name: string): string | undefined;
  /** Why `version` is not a version here, or undefined. */
  checkVersion(version: string): string | undefined;
  /**
   * The form two names share when the registry holds them to be one package: the metadata file is named by it,
   * so a second spelling finds the first one's file at the same snapshot. The identity where only equal names collide.
   */
  canonicalName(name: string): string;
  /** The rule canonicalName applies, said for people (a refusal quotes it); undefined where it is the identity. */
  readonly sameNameRule: string | undefined;
  /** The canonical tarball's one top directory. */
  topDirectory(name: string, version: string): string;
  /** Checks the package's manifest (the first of manifestFiles the package holds) against the request. */
  checkManifest(manifests: ReadonlyMap<string, Uint8Array>, expected: ManifestRequest): ManifestCheck & { file: string };
  /** An example name and version, for help texts. */
  readonly example: { name: string; version: string };
}

// =============================================================================================
// What every preset but the default refuses before its own rule runs: the length cap first (a name of
// 10,000 characters costs nothing more), then anything a reader cannot see for what it is.

// Controls, the bidirectional overrides and isolates, and zero-width characters: a name must read as what it is.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

function screen(name: string, max: number, form: string): string | undefined {
  const shown = `package name ${quote(name)}`;
  if (name.length === 0) return `package name is empty; it must be ${form}`;
  if (name.length > max) return `${shown} is ${name.length} characters long; the limit is ${max}`;
  if (INVISIBLE.test(name)) return `${shown} has control or invisible characters (shown as \\u{…}); type the name again rather than copying it`;
  // Look-alikes (a fullwidth ＠, Cyrillic letters) pass for the ASCII ones: only ASCII names are unambiguous.
  if (/[^\u0020-\u007e]/u.test(name)) return `${shown} has characters outside ASCII (such as look-alike letters); it must be ${form}`;
  if (/\s/.test(name)) return `${shown} has spaces; it must be ${form}`;
  return undefined;
}

/**
 * Names every preset refuses: the registry's own places (`staging/` beside the final keys, `metadata/` in the
 * registry repository), and the properties of every JavaScript object, which code keyed by package name could
 * read instead of a package. Compared in canonical form.
 */
const REGISTRY_RESERVED: ReadonlySet<string> = new Set(['staging', 'metadata', '__proto__', 'constructor', 'prototype']);

/**
 * A name (or each part of a scoped one) becomes a directory in storage and a file in the registry's checkout, on
 * any system: no `.` or `..`, no trailing dot, no Windows device name.
 */
function segmentsProblem(name: string): string | undefined {
  for (const segment of name.split('/')) {
    const why = pathSegmentProblem(segment);
    if (why !== undefined) return `package name ${quote(name)} cannot name a directory in storage: ${why}`;
  }
  return undefined;
}

function reservedProblem(name: string, canonical: string): string | undefined {
  if (REGISTRY_RESERVED.has(canonical)) return `package name ${quote(name)} is reserved by the registry; choose another name`;
  return undefined;
}

// =============================================================================================
// Versions: SemVer 2.0 with prerelease (npm, crates), or MAJOR.MINOR.PATCH (purescript).

/** semver's own cap on a version's length (npm's `semver` package refuses longer ones). */
const SEMVER_MAX_LENGTH = 256;
const NUMBER = '0|[1-9][0-9]*';
const PRERELEASE_ID = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(`^(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`);

function checkSemver(version: string, tool: string): string | undefined {
  const base = `version ${quote(version)} must be a SemVer version, like 1.2.0 or 3.0.0-canary.1`;
  if (version.length === 0) return `version is empty; give a SemVer version like 1.2.0`;
  if (version.length > SEMVER_MAX_LENGTH) return `version is ${version.length} characters long; the limit is ${SEMVER_MAX_LENGTH}`;
  const match = SEMVER.exec(version);
  if (!match) {
    if (/^[vV=]/.test(version)) return `${base} (without the leading ${quote(version[0] ?? '')})`;
    if (/(?:^|[.-])0[0-9]/.test(version.split('+', 1)[0] ?? '')) return `${base} (numbers have no leading zeros)`;
    return base;
  }
  // Past 2^53 the numbers are no longer exact: semver refuses them, and so do the registries.
  if (match.slice(1, 4).some((part) => Number(part) > Number.MAX_SAFE_INTEGER)) return `${base} (a number is larger than ${Number.MAX_SAFE_INTEGER})`;
  if (match[5] !== undefined) {
    return `version ${quote(version)} has build metadata ("+${match[5].slice(0, 40)}"), which is not accepted: ${tool} ignores it when comparing versions, `
      + `so 1.0.0+a and 1.0.0+b would be two different uploads of one version. Publish ${quote(version.split('+', 1)[0] ?? '')} (or a prerelease such as 1.0.0-build.1)`;
  }
  return undefined;
}

/** The PureScript registry's versions: MAJOR.MINOR.PATCH, no leading zeros, each a 32-bit integer. */
function checkPurescriptVersion(version: string): string | undefined {
  const base = `version ${quote(version)} must be MAJOR.MINOR.PATCH, like 6.0.1`;
  if (version.length > 32) return `${base} (it is ${version.length} characters long)`;
  const match = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(version);
  if (match) {
    return match.slice(1).some((part) => Number(part) > 2 ** 31 - 1) ? `${base} (each number is at most ${2 ** 31 - 1})` : undefined;
  }
  if (/^[vV]/.test(version)) return `${base} (without the leading "v")`;
  if (/[-+]/.test(version)) return `${base} (the PureScript registry has no prerelease or build versions)`;
  if (/(?:^|\.)0[0-9]/.test(version)) return `${base} (numbers have no leading zeros)`;
  return base;
}

// =============================================================================================
// Names

const NPM_MAX = 214;
const NPM_FORM = 'an npm package name: lowercase, URL-safe, like "left-pad", "lodash.debounce" or "@scope/name"';

// What encodeURIComponent leaves alone, lowercase: npm's "URL-friendly characters".
const NPM_PART = /^[a-z0-9\-_.!~*'()]+$/;
// npm refuses these in a package's own name for new packages; Registrar refuses them in a scope too (below).
const NPM_SPECIAL = /[~'!()*]/;

/**
 * npm's rule for new packages (validate-npm-package-name's validForNewPackages), less its core-module warning: npm
 * keeps new packages from Node's module names, but real packages carry them (`string_decoder`, `events`, `buffer`), and
 * a registry is no module resolution, so a name like Node's is accepted. Registrar is deliberately stricter
 * in three places, all about names becoming paths: `~'!()*` in a scope (npm refuses them in the name part only;
 * `*` is no file name on Windows and these glob in shells), a part that is a Windows device name or ends in "."
 * (`con`, `aux.js`, `x.`), and the registry's reserved names (`staging`, `metadata`, `constructor`, `prototype`).
 */
function checkNpmName(name: string): string | undefined {
  const shown = `package name ${quote(name)}`;
  const screened = screen(name, NPM_MAX, NPM_FORM);
  if (screened !== undefined) return screened;
  if (name.toLowerCase() !== name) return `${shown} has uppercase letters; npm accepts only lowercase names for new packages`;
  if (name.startsWith('.') || name.startsWith('_') || name.startsWith('-')) return `${shown} must not start with ${quote(name[0] ?? '')}; it must be ${NPM_FORM}`;
  if (name === 'node_modules' || name === 'favicon.ico') return `${shown} is refused by npm; choose another name`;
  let parts: string[];
  if (name.startsWith('@')) {
    parts = name.slice(1).split('/');
    if (parts.length !== 2 || parts.some((p) => p === '')) return `${shown} must be a scoped name "@scope/name", with one "/" between two non-empty parts`;
    if ((parts[1] ?? '').startsWith('.')) return `${shown} must not have a name part starting with "."`;
  } else {
    parts = [name];
    if (name.includes('/')) return `${shown} has "/"; only a scoped name ("@scope/name") has one`;
  }
  for (const part of parts) {
    if (!NPM_PART.test(part)) return `${shown} has characters that are not URL-safe; it must be ${NPM_FORM}`;
  }
  if (NPM_SPECIAL.test(parts[parts.length - 1] ?? '')) return `${shown} has one of ~'!()*, which npm refuses in new package names`;
  if (parts.length === 2 && NPM_SPECIAL.test(parts[0] ?? '')) return `${shown} has one of ~'!()* in its scope, which the registry refuses (they are not safe in file names)`;
  return segmentsProblem(name) ?? reservedProblem(name, name);
}

const CRATES_MAX = 64;
const CRATES_FORM = 'ASCII letters, digits, "-" and "_", starting with a letter, like "serde_json"';
/** crates.io's own reserved names (the standard library's crates, and Windows device names), compared in canonical form. */
const CRATES_RESERVED: ReadonlySet<string> = new Set([
  'alloc', 'compiler-builtins', 'core', 'proc-macro', 'std', 'test',
  'aux', 'con', 'nul', 'prn', ...Array.from({ length: 9 }, (_, i) => `com${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `lpt${i + 1}`),
]);

/** crates.io holds `Serde`, `serde`, `ser-de` and `ser_de`-style spellings to be one name: lowercase, and "_" read as "-". */
const cratesCanonical = (name: string) => name.toLowerCase().replaceAll('_', '-');

function checkCratesName(name: string): string | undefined {
  const shown = `package name ${quote(name)}`;
  const screened = screen(name, CRATES_MAX, CRATES_FORM);
  if (screened !== undefined) return screened;
  if (!/^[A-Za-z]/.test(name)) return `${shown} must start with an ASCII letter; it must be ${CRATES_FORM}`;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) return `${shown} has characters other than letters, digits, "-" and "_"; it must be ${CRATES_FORM}`;
  const canonical = cratesCanonical(name);
  if (CRATES_RESERVED.has(canonical)) return `${shown} is reserved by crates.io; choose another name`;
  return reservedProblem(name, canonical);
}

const PURESCRIPT_MAX = 150;
const PURESCRIPT_FORM = 'lowercase letters and digits in words joined by single "-", like "prelude" or "arrays"';
/** The one package the PureScript registry lets keep the legacy prefix. */
const PURESCRIPT_BLESSED = 'purescript-compiler-backend-utilities';

/** The PureScript registry's PackageName rule (registry-dev lib/src/PackageName.purs), plus the registry's reserved names. */
function checkPurescriptName(name: string): string | undefined {
  const shown = `package name ${quote(name)}`;
  const screened = screen(name, PURESCRIPT_MAX, PURESCRIPT_FORM);
  if (screened !== undefined) return screened;
  if (name.startsWith(PURESCRIPT_PREFIX) && name !== PURESCRIPT_BLESSED) {
    return `${shown} must not start with ${quote(PURESCRIPT_PREFIX)}: the registry drops that prefix, so request ${quote(name.slice(PURESCRIPT_PREFIX.length))}`;
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) {
    const why = /[A-Z]/.test(name) ? 'it has uppercase letters'
      : name.includes('--') ? 'it has "--"'
        : name.startsWith('-') || name.endsWith('-') ? 'it starts or ends with "-"'
          : 'it has characters other than a-z, 0-9 and "-"';
    return `${shown} must be ${PURESCRIPT_FORM}: ${why}`;
  }
  return segmentsProblem(name) ?? reservedProblem(name, name);
}

// =============================================================================================
// The presets

function firstManifest(files: readonly string[], manifests: ReadonlyMap<string, Uint8Array>): string | undefined {
  return files.find((file) => manifests.has(file));
}

function defaultEcosystem(manifestFile: string): Ecosystem {
  return {
    id: 'default',
    manifestFiles: [manifestFile],
    checkName: checkPackageName,
    checkVersion,
    canonicalName: (name) => name,
    sameNameRule: undefined,
    topDirectory: (name, version) => `${name}-${version}`,
    checkManifest: (manifests, expected) => ({
      ...checkManifest(manifests.get(manifestFile), { name: expected.name, version: expected.version, manifestFile }),
      file: manifestFile,
    }),
    example: { name: 'left-pad', version: '1.2.0' },
  };
}

const NPM: Ecosystem = {
  id: 'npm',
  manifestFiles: ['package.json'],
  checkName: checkNpmName,
  checkVersion: (version) => checkSemver(version, 'npm'),
  canonicalName: (name) => name,
  sameNameRule: undefined,
  // What `npm pack` writes: every npm tarball unpacks into package/.
  topDirectory: () => 'package',
  checkManifest: (manifests, expected) => ({
    ...checkManifest(manifests.get('package.json'), { name: expected.name, version: expected.version, manifestFile: 'package.json' }),
    file: 'package.json',
  }),
  example: { name: '@scope/left-pad', version: '1.2.0' },
};

const CRATES: Ecosystem = {
  id: 'crates',
  manifestFiles: ['Cargo.toml'],
  checkName: checkCratesName,
  checkVersion: (version) => checkSemver(version, 'Cargo'),
  canonicalName: cratesCanonical,
  sameNameRule: 'crate names are the same package whatever their case, and "-" and "_" count as the same character',
  // What `cargo package` writes: <name>-<version>/.
  topDirectory: (name, version) => `${name}-${version}`,
  checkManifest: (manifests, expected) => ({ ...checkCargoManifest(manifests.get('Cargo.toml'), expected), file: 'Cargo.toml' }),
  example: { name: 'serde_json', version: '1.2.0' },
};

/** The PureScript registry reads purs.json, else spago.yaml, else bower.json (registry-dev's detectManifestOrigin). */
const PURESCRIPT_MANIFESTS = ['purs.json', 'spago.yaml', 'bower.json'] as const;

const PURESCRIPT: Ecosystem = {
  id: 'purescript',
  manifestFiles: PURESCRIPT_MANIFESTS,
  checkName: checkPurescriptName,
  checkVersion: checkPurescriptVersion,
  canonicalName: (name) => name,
  sameNameRule: undefined,
  topDirectory: (name, version) => `${name}-${version}`,
  checkManifest: (manifests, expected) => {
    const file = firstManifest(PURESCRIPT_MANIFESTS, manifests);
    const bytes = file === undefined ? undefined : manifests.get(file);
    if (file === undefined || bytes === undefined) {
      return { ok: false, file: 'purs.json', problems: [
        'The package has none of purs.json, spago.yaml or bower.json at its root. Add a purs.json with `name`, `version` and `license` '
        + '(or a spago.yaml with `package.publish`), tag a new version, and open a new publish request.'] };
    }
    const check = file === 'purs.json' ? checkPursJson : file === 'spago.yaml' ? checkSpagoYaml : checkBowerJson;
    return { ...check(bytes, expected), file };
  },
  example: { name: 'prelude', version: '6.0.1' },
};

const DEFAULT = defaultEcosystem('package.json');

/** True for the ids the `ecosystem` input accepts. */
export function isEcosystemId(value: string): value is EcosystemId {
  return (ECOSYSTEM_IDS as readonly string[]).includes(value);
}

/**
 * The preset for `id`. `manifestFile` applies to the default preset only (its `manifest-file` input, default
 * package.json); the other presets read the files their ecosystem defines.
 */
export function ecosystemFor(id: EcosystemId, options: { manifestFile?: string } = {}): Ecosystem {
  switch (id) {
    case 'default': return options.manifestFile === undefined || options.manifestFile === 'package.json' ? DEFAULT : defaultEcosystem(options.manifestFile);
    case 'npm': return NPM;
    case 'crates': return CRATES;
    case 'purescript': return PURESCRIPT;
  }
}

/** Today's rules: what every function taking an optional ecosystem uses when given none. */
export const DEFAULT_ECOSYSTEM: Ecosystem = DEFAULT;
