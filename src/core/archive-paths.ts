// Pure rules for the paths of entries inside a package, so that what we publish unpacks the same, and safely, on every OS.

import { inert } from './inert.js';
import type { Limits } from './limits.js';

export type PathLimits = Pick<Limits, 'pathLength' | 'pathDepth'>;

/** Windows refuses these names as files or directories, with or without an extension (`con.txt` too). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[1-9¹²³]|lpt[1-9¹²³])(\.[^]*)?$/i;
/** Unicode control characters (C0, DEL, C1): invisible in listings and dangerous in terminals and logs. */
const CONTROL = /\p{Cc}/u;
/** A lone surrogate cannot be encoded as UTF-8; U+FFFD is what a decoder leaves where the bytes were not UTF-8. */
const NOT_UTF8 = /[\p{Cs}\uFFFD]/u;
const DRIVE = /^[A-Za-z]:/;
/**
 * The longest path judged at all when the caller gives no limits (Linux's PATH_MAX). Every check here is linear,
 * and runs only on a path within this length or the caller's limit: anything longer is refused on its length alone.
 */
export const MAX_PATH_CHARS = 4096;
/** Characters of a path shown in a message. */
const SHOWN_CHARS = 120;

/** Quotes an archive path for a message: an inert code span (core/inert.ts), cut to SHOWN_CHARS without reading further. */
export function quotePath(path: string): string {
  return inert(path, { cap: SHOWN_CHARS });
}

/** Length in characters (Unicode code points; a lone surrogate counts as one), in one scan. */
function characters(path: string): number {
  let count = 0;
  for (let i = 0; i < path.length; i++) {
    const unit = path.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < path.length) {
      const next = path.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/** Number of segments (`a/b/c` has 3), in one scan. */
function depth(path: string): number {
  let count = 1;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) count += 1;
  return count;
}

/** Whether a path is within the length and depth caps: linear, no regex. */
export function withinPathLimits(path: string, limits: PathLimits): boolean {
  return characters(path) <= limits.pathLength && depth(path) <= limits.pathDepth;
}

/**
 * `con .txt` → `con.txt`: without the first run of spaces that stands right before a dot or at the end, since
 * Windows ignores those. (The regex `/ +(?=\.|$)/` said the same, in time quadratic in a run of spaces.)
 */
function withoutSpacesBeforeExtension(segment: string): string {
  for (let start = segment.indexOf(' '); start >= 0; ) {
    let end = start;
    while (end < segment.length && segment.charCodeAt(end) === 0x20) end += 1;
    if (end === segment.length || segment.charCodeAt(end) === 0x2e) return segment.slice(0, start) + segment.slice(end);
    start = segment.indexOf(' ', end);
  }
  return segment;
}

/**
 * Every rule a package-relative path breaks, as sentences that name the path; empty when the path is acceptable.
 * Limits are optional so the rules can also check things that are not archive entries (a subdir, a manifest name).
 * Linear in the path's length, and capped: a path longer than the limit (or MAX_PATH_CHARS) is refused on its
 * length alone, before any regex runs.
 */
export function pathProblems(path: string, limits?: PathLimits): string[] {
  if (path === '') return ['An entry has an empty path.'];
  const q = quotePath(path);
  const maxLength = limits?.pathLength ?? MAX_PATH_CHARS;
  const length = characters(path);
  if (length > maxLength) return [`The path ${q} is ${length} characters long; the limit is ${maxLength}.`];
  const problems: string[] = [];
  const wellFormed = !NOT_UTF8.test(path);
  if (!wellFormed) problems.push(`The path ${q} is not valid UTF-8.`);
  if (CONTROL.test(path)) problems.push(`The path ${q} contains a control character.`);
  // Compare only well-formed strings: normalize() on a broken one says nothing useful.
  if (wellFormed && path.normalize('NFC') !== path) {
    problems.push(`The path ${q} is not in Unicode NFC form (it may have been created on macOS in decomposed form).`);
  }
  if (path.includes('\\')) problems.push(`The path ${q} contains a backslash, which Windows reads as a separator.`);
  const absolute = path.startsWith('/');
  if (absolute) problems.push(`The path ${q} is absolute; package paths must be relative.`);
  if (DRIVE.test(path)) problems.push(`The path ${q} starts with a drive letter.`);

  const segments = path.split('/');
  const seen = new Set<string>();
  const once = (message: string) => {
    if (!seen.has(message)) {
      seen.add(message);
      problems.push(message);
    }
  };
  segments.forEach((segment, index) => {
    if (segment === '') {
      if (!(absolute && index === 0)) once(`The path ${q} has an empty segment (a doubled or trailing "/").`);
      return;
    }
    if (segment === '.' || segment === '..') {
      once(`The path ${q} contains a "${segment}" segment.`);
      return;
    }
    if (segment.endsWith('.') || segment.endsWith(' ')) {
      once(`The path ${q} has a name ending in a dot or a space (${quotePath(segment)}), which Windows drops.`);
    }
    // Windows also ignores trailing spaces before the extension (`con .txt`), so trim them before matching.
    const stem = withoutSpacesBeforeExtension(segment);
    if (WINDOWS_RESERVED.test(stem)) {
      once(`The path ${q} uses ${quotePath(segment)}, a reserved device name on Windows.`);
    }
  });

  if (limits) {
    if (segments.length > limits.pathDepth) {
      problems.push(`The path ${q} is ${segments.length} levels deep; the limit is ${limits.pathDepth}.`);
    }
  }
  return problems;
}

/**
 * The key two paths share when a case-insensitive or normalising file system (macOS, Windows) would store them as
 * one. Upper- then lower-casing approximates Unicode full case folding (it maps ß to ss, as the strictest file
 * systems do); refusing a few extra pairs is safer than letting one file silently replace another.
 */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** A message for each group of distinct paths that would collide after case folding and NFC; empty when none do. */
export function collisionProblems(paths: Iterable<string>): string[] {
  const groups = new Map<string, Set<string>>();
  for (const path of paths) {
    const key = collisionKey(path);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new Set()));
    group.add(path);
  }
  const problems: string[] = [];
  for (const group of groups.values()) {
    if (group.size < 2) continue;
    const names = [...group].map(quotePath).join(' and ');
    problems.push(
      `The paths ${names} differ only in letter case or Unicode normalisation; they would be the same file on macOS and Windows.`,
    );
  }
  return problems;
}
