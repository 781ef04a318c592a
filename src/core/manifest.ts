// Checks the package's manifest (package.json, Cargo.toml, purs.json, spago.yaml or bower.json) against the publish request: it must exist, match the name and version, and carry an open license.

import parseSpdx from 'spdx-expression-parse';
import { parse as parseToml } from 'smol-toml';
import { parseDocument } from 'yaml';
import { quote } from './names.js';
import { parseStrictJson } from './request.js';

export type ManifestCheck = { ok: true; license: string } | { ok: false; problems: string[] };

export interface ManifestExpectation {
  name: string;
  version: string;
  /** Path of the manifest relative to the package root, for the messages (e.g. `package.json`). */
  manifestFile: string;
}

/** The largest manifest read: real ones are a few KiB, and a stranger's must not cost a parse of 20 MiB. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

/**
 * The longest `license` expression checked: real ones are a few identifiers, and the SPDX parser's time grows
 * with the square of the length (2.8 MB took 36 s).
 */
export const LICENSE_MAX_CHARS = 256;

/** Every problem is reported at once, so an author can fix them all before tagging again. */
export function checkManifest(bytes: Uint8Array | undefined, expected: ManifestExpectation): ManifestCheck {
  const file = quote(expected.manifestFile);
  if (bytes === undefined) {
    return fail(
      `The package has no ${file} at its root. Add one with \`name\`, \`version\` and \`license\` fields, tag a new version, and open a new publish request.`,
    );
  }
  const read = readJsonObject(bytes, file, 'with `name`, `version` and `license` fields');
  if (!read.ok) return read;
  const fields = read.fields;
  const problems: string[] = [];
  for (const key of ['name', 'version'] as const) {
    const problem = fieldProblem(fields, key, expected[key], file);
    if (problem) problems.push(problem);
  }
  const license = Object.hasOwn(fields, 'license') ? fields['license'] : undefined;
  const licenseProblem = checkLicense(license, file);
  if (licenseProblem) problems.push(licenseProblem);

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, license: (license as string).trim() };
}

/** A manifest's text: within the size cap, UTF-8 (a byte-order mark dropped), or the problem for people. */
export function manifestText(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; problems: string[] } {
  if (bytes.length > MANIFEST_MAX_BYTES) {
    return fail(`${file} is ${bytes.length} bytes; the limit is ${MANIFEST_MAX_BYTES} (1 MiB). Keep the manifest small, tag a new version, and open a new publish request.`);
  }
  let text: string;
  try {
    // fatal: a manifest that is not UTF-8 is refused rather than read with replacement characters.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(`${file} is not valid UTF-8 text. Save it as UTF-8, tag a new version, and open a new publish request.`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1); // editors on Windows add a byte-order mark; JSON.parse refuses it
  return { ok: true, text };
}

/** A JSON manifest's top-level object, read strictly; `wants` says what the object should hold, for the message. */
export function readJsonObject(bytes: Uint8Array, file: string, wants: string):
  { ok: true; fields: Record<string, unknown> } | { ok: false; problems: string[] } {
  const read = manifestText(bytes, file);
  if (!read.ok) return read;
  // Strict JSON (the request's own parser): with duplicate keys, tools disagree on which one counts — JSON.parse keeps
  // the last, others the first — so a manifest could name one package to Registrar and another to its users.
  const parsed = parseStrictJson(read.text);
  if (!parsed.ok) {
    const problem = parsed.problems[0];
    // The strict parser speaks of "the request"; here the whole text is the manifest.
    const where = problem && problem.field !== 'request' ? `at ${quote(problem.field)}: ` : '';
    const detail = problem ? ` (${where}${problem.message.replace(/^the request is not valid JSON: /, '')})` : '';
    return fail(`${file} is not valid JSON${detail}. Fix it, tag a new version, and open a new publish request.`);
  }
  const data = parsed.value;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail(`${file} must contain a JSON object, ${wants}.`);
  }
  return { ok: true, fields: data as Record<string, unknown> };
}

/** Why a manifest's `name` or `version` field is not the requested one (as `shownKey`, e.g. `package.name`), or undefined. */
export function fieldProblem(fields: Record<string, unknown>, key: string, wanted: string, file: string, shownKey = key): string | undefined {
  const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (value === undefined) return `${file} has no \`${shownKey}\` field; it must be ${quote(wanted)}, as in the publish request.`;
  if (value === wanted) return undefined;
  return `${file} has \`${shownKey}\` ${quote(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value))}, but the publish request is for ${quote(wanted)}. `
    + (key === 'version'
      ? 'Set the version in the manifest before tagging, or request the version the tag carries.'
      : 'Request the name the manifest carries, or fix the manifest and tag a new version.');
}

/** A problem with the `license` field, or undefined when it is a valid SPDX expression of an actual license. */
export function checkLicense(license: unknown, file: string): string | undefined {
  const example = 'an SPDX license expression such as "MIT" or "MIT OR Apache-2.0"';
  if (license === undefined) return `${file} has no \`license\` field; add ${example}.`;
  if (typeof license !== 'string') return `${file} has a \`license\` that is not a string; use ${example}.`;
  const trimmed = license.trim();
  if (/^unlicensed$/i.test(trimmed)) {
    return `${file} says the package is UNLICENSED (no one may use it). A public registry only accepts packages under a license; use ${example}.`;
  }
  if (/^see licen[cs]e in /i.test(trimmed)) {
    return `${file} points to a custom license file (${quote(trimmed)}), which the registry cannot check. A public registry needs ${example}.`;
  }
  if (trimmed.length > LICENSE_MAX_CHARS) {
    return `${file} has a \`license\` of ${trimmed.length} characters; an SPDX expression is at most ${LICENSE_MAX_CHARS} here. Use ${example}.`;
  }
  try {
    parseSpdx(license);
  } catch {
    return `${file} has \`license\` ${quote(license)}, which is not a valid SPDX expression; use ${example} (identifiers are listed at https://spdx.org/licenses/).`;
  }
  return undefined;
}

function fail(problem: string): { ok: false; problems: string[] } {
  return { ok: false, problems: [problem] };
}

// =============================================================================================
// The manifests of the other ecosystems. Each reader takes the file's bytes (undefined: not in the package)
// and what the request asks for; the tag matters where the version may come from it (bower.json).

export interface ManifestRequest {
  name: string;
  version: string;
  /** The git tag being published. */
  ref: string;
}

const AGAIN = 'Fix it, tag a new version, and open a new publish request.';

/** The first line of a parser's error message: parsers quote the source after it, which the author has anyway. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';

const isTable = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (table: Record<string, unknown>, key: string): unknown => (Object.hasOwn(table, key) ? table[key] : undefined);

/** Cargo.toml: `[package]` with `name`, `version` and `license`, none of them inherited from a workspace. */
export function checkCargoManifest(bytes: Uint8Array | undefined, expected: ManifestRequest): ManifestCheck {
  const file = quote('Cargo.toml');
  if (bytes === undefined) {
    return fail(`The package has no ${file} at its root. Add one with a \`[package]\` table holding \`name\`, \`version\` and \`license\`, tag a new version, and open a new publish request.`);
  }
  const read = manifestText(bytes, file);
  if (!read.ok) return read;
  let data: Record<string, unknown>;
  try {
    // TOML itself refuses duplicate keys; the depth bound keeps a stranger's nesting off the stack.
    data = parseToml(read.text, { maxDepth: 32 }) as Record<string, unknown>;
  } catch (error) {
    return fail(`${file} is not valid TOML (${quote(firstLine(error))}). ${AGAIN}`);
  }
  const pkg = own(data, 'package');
  if (!isTable(pkg)) {
    const why = isTable(own(data, 'workspace')) ? ' (it is a workspace manifest: give the crate\'s own directory as `subdir`)' : '';
    return fail(`${file} has no \`[package]\` table${why}. Add \`[package]\` with \`name\`, \`version\` and \`license\`, tag a new version, and open a new publish request.`);
  }
  const problems: string[] = [];
  for (const key of ['name', 'version', 'license'] as const) {
    const value = own(pkg, key);
    if (isTable(value) && Object.hasOwn(value, 'workspace')) {
      // The workspace's root manifest is outside the package: what the field says cannot be checked from it.
      problems.push(`${file} inherits \`package.${key}\` from the workspace (\`${key}.workspace = true\`), which Registrar cannot read from the crate alone. `
        + `Write the ${key} in the crate's own Cargo.toml, tag a new version, and open a new publish request.`);
    } else if (key !== 'license') {
      const problem = fieldProblem(pkg, key, expected[key], file, `package.${key}`);
      if (problem) problems.push(problem);
    } else if (value === undefined && own(pkg, 'license-file') !== undefined) {
      problems.push(`${file} points to a custom license file (\`license-file\`), which the registry cannot check. A public registry needs \`license\` with an SPDX license expression such as "MIT" or "MIT OR Apache-2.0".`);
    } else {
      const problem = checkLicense(value, file);
      if (problem) problems.push(problem);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, license: (own(pkg, 'license') as string).trim() };
}

/** purs.json, the PureScript registry's own manifest: JSON with `name`, `version` and `license`. */
export function checkPursJson(bytes: Uint8Array, expected: ManifestRequest): ManifestCheck {
  return checkManifest(bytes, { name: expected.name, version: expected.version, manifestFile: 'purs.json' });
}

/** spago.yaml: `package.name`, `package.publish.version` and `package.publish.license`. */
export function checkSpagoYaml(bytes: Uint8Array, expected: ManifestRequest): ManifestCheck {
  const file = quote('spago.yaml');
  const read = manifestText(bytes, file);
  if (!read.ok) return read;
  // Unique keys for the reason JSON manifests are read strictly; aliases capped, so a "billion laughs" costs nothing.
  const document = parseDocument(read.text, { uniqueKeys: true, prettyErrors: false });
  const error = document.errors[0];
  if (error !== undefined) return fail(`${file} is not valid YAML (${quote(firstLine(error))}). ${AGAIN}`);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (problem) {
    return fail(`${file} cannot be read (${quote(firstLine(problem))}). ${AGAIN}`);
  }
  const pkg = isTable(data) ? own(data, 'package') : undefined;
  const publish = isTable(pkg) ? own(pkg, 'publish') : undefined;
  if (!isTable(pkg) || !isTable(publish)) {
    return fail(`${file} has no \`package.publish\` section. Give \`package.name\`, and \`package.publish\` with \`version\` and \`license\`, tag a new version, and open a new publish request.`);
  }
  const problems = [
    fieldProblem(pkg, 'name', expected.name, file, 'package.name'),
    fieldProblem(publish, 'version', expected.version, file, 'package.publish.version'),
    checkLicense(own(publish, 'license'), file),
  ].filter((p): p is string => p !== undefined);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, license: (own(publish, 'license') as string).trim() };
}

/** The prefix bower.json names carry and the PureScript registry drops. */
export const PURESCRIPT_PREFIX = 'purescript-';

/**
 * bower.json, the legacy PureScript manifest: its `name` carries the `purescript-` prefix the registry drops; it
 * usually has no `version`, and then the version is the tag's (`v1.2.3` for 1.2.3); `license` is a string or a
 * list, every entry an SPDX expression, and the list means all of them (joined with AND, as the registry does).
 */
export function checkBowerJson(bytes: Uint8Array, expected: ManifestRequest): ManifestCheck {
  const file = quote('bower.json');
  const read = readJsonObject(bytes, file, 'with `name` and `license` fields');
  if (!read.ok) return read;
  const fields = read.fields;
  const problems: string[] = [];
  const name = own(fields, 'name');
  if (name !== undefined) {
    const bare = typeof name === 'string' && name.startsWith(PURESCRIPT_PREFIX) ? name.slice(PURESCRIPT_PREFIX.length) : name;
    if (bare !== expected.name) {
      problems.push(`${file} has \`name\` ${quote(typeof name === 'string' ? name : JSON.stringify(name) ?? String(name))}, which is the package ${quote(String(bare))} `
        + `(the registry drops the ${quote(PURESCRIPT_PREFIX)} prefix), but the publish request is for ${quote(expected.name)}. `
        + 'Request the name the manifest carries, or fix the manifest and tag a new version.');
    }
  }
  if (own(fields, 'version') !== undefined) {
    const problem = fieldProblem(fields, 'version', expected.version, file);
    if (problem) problems.push(problem);
  } else if (expected.ref !== `v${expected.version}`) {
    problems.push(`${file} has no \`version\`, so the version is the tag's, and the tag ${quote(expected.ref)} is not ${quote(`v${expected.version}`)}. `
      + `Request the version the tag carries, or publish from the tag v${expected.version}.`);
  }
  const license = own(fields, 'license');
  const licenses = Array.isArray(license) ? license : [license];
  if (Array.isArray(license) && license.length === 0) {
    problems.push(`${file} has an empty \`license\` list; add an SPDX license expression such as "MIT".`);
  }
  for (const entry of licenses) {
    const problem = checkLicense(entry, file);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) return { ok: false, problems };
  const joined = (licenses as string[]).map((l) => l.trim());
  return { ok: true, license: joined.length === 1 ? joined[0] ?? '' : joined.map((l) => `(${l})`).join(' AND ') };
}
