// Validators for every name an author can write (package, version, tag, GitHub owner and repo, subdir): each returns a message for people, or undefined when the value is fine.

import { inert } from './inert.js';

/** Longest value quoted back in a message: the author sees what we mean without us echoing kilobytes. */
const QUOTE_LIMIT = 80;

/** Quotes an untrusted value for a message: an inert code span (see core/inert.ts), cut to QUOTE_LIMIT. */
export function quote(value: string): string {
  return inert(value, { cap: QUOTE_LIMIT });
}

// C0 controls, DEL and C1 controls (invisible in comments and logs, and refused by git in refs), and
// the bidirectional overrides and isolates, which make a value display as something it is not.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves,
// which cannot be encoded as UTF-8 (encodeURIComponent throws on them).
const LONE_SURROGATE = /[\ud800-\udfff]/u;

// ---------------------------------------------------------------------------------------------
// Package names

export const PACKAGE_NAME_MAX = 64;

/**
 * Names that would collide with the registry's own paths (`staging/` beside the final keys,
 * `metadata/` in the registry repository), that read as the registry speaking, or that are
 * special files on the web or devices on Windows (where people mirror the storage).
 */
const RESERVED_PACKAGE_NAMES: ReadonlySet<string> = new Set([
  'registrar',
  'registry',
  'staging',
  'metadata',
  'node-modules',
  'favicon',
  'robots',
  'index',
  'well-known',
  'con',
  'prn',
  'aux',
  'nul',
  ...Array.from({ length: 9 }, (_, i) => `com${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `lpt${i + 1}`),
]);

const PACKAGE_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const PACKAGE_NAME_FORM = 'lowercase ASCII letters and digits in words joined by single "-", starting with a letter, like "left-pad"';

export function isReservedPackageName(name: string): boolean {
  return RESERVED_PACKAGE_NAMES.has(name);
}

export function checkPackageName(name: string): string | undefined {
  const shown = `package name ${quote(name)}`;
  if (name.length === 0) return `package name is empty; it must be ${PACKAGE_NAME_FORM}`;
  if (name.length > PACKAGE_NAME_MAX) return `${shown} is ${name.length} characters long; the limit is ${PACKAGE_NAME_MAX}`;
  if (!PACKAGE_NAME.test(name)) {
    const why = /[A-Z]/.test(name)
      ? 'it has uppercase letters'
      : !/^[a-z]/.test(name)
        ? 'it does not start with a letter'
        : name.includes('--')
          ? 'it has "--"'
          : name.endsWith('-')
            ? 'it ends with "-"'
            : 'it has characters other than a-z, 0-9 and "-"';
    return `${shown} must be ${PACKAGE_NAME_FORM}: ${why}`;
  }
  if (isReservedPackageName(name)) return `${shown} is reserved by the registry; choose another name`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Versions

/** Nine digits keep every part a safe integer however it is parsed, and no real version needs more. */
const VERSION_PART_DIGITS = 9;
const VERSION = /^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$/;

export function checkVersion(version: string): string | undefined {
  if (VERSION.test(version)) return undefined;
  const base = `version ${quote(version)} must be MAJOR.MINOR.PATCH, like 1.2.0`;
  if (/^[vV]/.test(version)) return `${base} (without the leading "v")`;
  if (/[-+]/.test(version)) return `${base} (prerelease and build suffixes such as "-beta" or "+build" are not accepted)`;
  const parts = version.split('.');
  if (parts.length === 3 && parts.every((p) => /^[0-9]+$/.test(p))) {
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return `${base} (numbers have no leading zeros)`;
    if (parts.some((p) => p.length > VERSION_PART_DIGITS)) return `${base} (each number has at most ${VERSION_PART_DIGITS} digits)`;
  }
  return base;
}

// ---------------------------------------------------------------------------------------------
// Tags

export const TAG_MAX = 200;

/** Why `tag` breaks git's check-ref-format rules, or undefined. */
function gitRefProblem(tag: string): string | undefined {
  if (CONTROL.test(tag)) return 'it has control characters';
  const bad = /[ ~^:?*[\\]/.exec(tag);
  if (bad) return `it has ${quote(bad[0])}`;
  if (tag.includes('..')) return 'it has ".."';
  if (tag.includes('@{')) return 'it has "@{"';
  if (tag === '@') return 'it is "@"';
  if (tag.startsWith('/')) return 'it starts with "/"';
  if (tag.endsWith('/')) return 'it ends with "/"';
  if (tag.includes('//')) return 'it has "//"';
  if (tag.endsWith('.')) return 'it ends with "."';
  for (const component of tag.split('/')) {
    if (component.startsWith('.')) return `its part ${quote(component)} starts with "."`;
    if (component.endsWith('.lock')) return `its part ${quote(component)} ends with ".lock"`;
  }
  return undefined;
}

/** True for a value that reads as a raw commit SHA (SHA-1 or SHA-256), in any case. */
export function isRawCommitSha(value: string): boolean {
  return /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(value);
}

export function checkTag(tag: string): string | undefined {
  const shown = `tag ${quote(tag)}`;
  if (tag.length === 0) return 'tag is empty; give the git tag to publish, like "v1.2.0"';
  if (tag.length > TAG_MAX) return `${shown} is ${tag.length} characters long; the limit is ${TAG_MAX}`;
  // Fork-network commits are reachable through the parent repository, so a SHA proves nothing about who wrote it.
  if (isRawCommitSha(tag)) return `${shown} looks like a commit SHA; give a tag of the repository instead (raw SHAs are refused)`;
  if (LONE_SURROGATE.test(tag)) return `${shown} is not valid Unicode`;
  // A leading "-" would read as an option to any git command that is ever handed the tag.
  if (tag.startsWith('-')) return `${shown} must not start with "-"`;
  const why = gitRefProblem(tag);
  if (why !== undefined) return `${shown} is not a valid git tag name: ${why}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// GitHub owners and repositories (never URLs: the source is always fetched from the GitHub API)

const GITHUB_OWNER = /^[A-Za-z0-9](?:-?[A-Za-z0-9])*$/;
const GITHUB_OWNER_MAX = 39;

export function checkGithubOwner(owner: string): string | undefined {
  const form = `1 to ${GITHUB_OWNER_MAX} letters, digits and single "-" (not at either end), like "acme"`;
  if (owner.length === 0) return `GitHub owner is empty; it must be ${form}`;
  if (owner.length > GITHUB_OWNER_MAX || !GITHUB_OWNER.test(owner)) return `GitHub owner ${quote(owner)} must be ${form}`;
  return undefined;
}

const GITHUB_REPO = /^[A-Za-z0-9._-]+$/;
const GITHUB_REPO_MAX = 100;

export function checkGithubRepo(repo: string): string | undefined {
  const form = `1 to ${GITHUB_REPO_MAX} of A-Z, a-z, 0-9, ".", "_" and "-", like "left-pad"`;
  const shown = `GitHub repository name ${quote(repo)}`;
  if (repo.length === 0) return `GitHub repository name is empty; it must be ${form}`;
  if (repo.length > GITHUB_REPO_MAX || !GITHUB_REPO.test(repo)) return `${shown} must be ${form}`;
  if (repo === '.' || repo === '..') return `${shown} is not a repository name`;
  if (/\.git$/i.test(repo)) return `${shown} must not end with ".git"; give the name alone`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Subdirectories (and, by the same rules, path segments inside a package)

export const SUBDIR_MAX = 255;
export const SUBDIR_MAX_SEGMENTS = 16;

// Windows device names, with or without an extension, including the superscript-digit COM/LPT forms.
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i;
// Characters Windows refuses in file names; ":" is also how drive letters ("C:x") and alternate streams start.
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

/** Why one path segment is unsafe, or undefined. Shared by subdir and archive-path checks. */
export function pathSegmentProblem(segment: string): string | undefined {
  if (segment === '') return 'it has an empty segment (leading, trailing or doubled "/")';
  if (segment === '.' || segment === '..') return `it has a ${quote(segment)} segment`;
  if (segment.endsWith('.') || segment.endsWith(' ')) return `its segment ${quote(segment)} ends with "." or a space`;
  if (WINDOWS_RESERVED.test(segment)) return `its segment ${quote(segment)} is a reserved name on Windows`;
  return undefined;
}

export function checkSubdir(subdir: string): string | undefined {
  const shown = `subdir ${quote(subdir)}`;
  const form = 'a relative path inside the repository with "/" between directories, like "packages/left-pad"';
  if (subdir.length === 0) return `subdir is empty; leave it out to use the repository root, or give ${form}`;
  if (subdir.length > SUBDIR_MAX) return `${shown} is ${subdir.length} characters long; the limit is ${SUBDIR_MAX}`;
  if (LONE_SURROGATE.test(subdir)) return `${shown} is not valid Unicode`;
  if (CONTROL.test(subdir)) return `${shown} must be ${form}: it has control characters`;
  if (subdir.includes('\\')) return `${shown} must be ${form}: it has a backslash (use "/")`;
  if (subdir.startsWith('/')) return `${shown} must be ${form}: it starts with "/"`;
  if (/^[A-Za-z]:/.test(subdir)) return `${shown} must be ${form}: it starts with a drive letter`;
  const forbidden = WINDOWS_FORBIDDEN.exec(subdir);
  if (forbidden) return `${shown} must be ${form}: it has ${quote(forbidden[0])}`;
  // Two spellings of one directory must not both be accepted: the archive's paths are compared in NFC.
  if (subdir.normalize('NFC') !== subdir) return `${shown} is not in Unicode normal form C; retype it or use the NFC spelling`;
  const segments = subdir.split('/');
  if (segments.length > SUBDIR_MAX_SEGMENTS) return `${shown} has ${segments.length} segments; the limit is ${SUBDIR_MAX_SEGMENTS}`;
  for (const segment of segments) {
    const why = pathSegmentProblem(segment);
    if (why !== undefined) return `${shown} must be ${form}: ${why}`;
  }
  return undefined;
}
