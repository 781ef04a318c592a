// Checks the package's manifest against the publish request: it must exist, match the name and version, and carry an open license.

import parseSpdx from 'spdx-expression-parse';
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

  // Strict JSON (the request's own parser): with duplicate keys, tools disagree on which one counts — JSON.parse keeps
  // the last, others the first — so a manifest could name one package to Registrar and another to its users.
  const parsed = parseStrictJson(text);
  if (!parsed.ok) {
    const problem = parsed.problems[0];
    // The strict parser speaks of "the request"; here the whole text is the manifest.
    const where = problem && problem.field !== 'request' ? `at ${quote(problem.field)}: ` : '';
    const detail = problem ? ` (${where}${problem.message.replace(/^the request is not valid JSON: /, '')})` : '';
    return fail(`${file} is not valid JSON${detail}. Fix it, tag a new version, and open a new publish request.`);
  }
  const data = parsed.value;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail(`${file} must contain a JSON object, with \`name\`, \`version\` and \`license\` fields.`);
  }
  const fields = data as Record<string, unknown>;
  const problems: string[] = [];

  for (const key of ['name', 'version'] as const) {
    const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
    const wanted = expected[key];
    if (value === undefined) {
      problems.push(`${file} has no \`${key}\` field; it must be ${quote(wanted)}, as in the publish request.`);
    } else if (value !== wanted) {
      problems.push(
        `${file} has \`${key}\` ${quote(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value))}, but the publish request is for ${quote(wanted)}. ` +
          (key === 'version'
            ? 'Set the version in the manifest before tagging, or request the version the tag carries.'
            : 'Request the name the manifest carries, or fix the manifest and tag a new version.'),
      );
    }
  }

  const license = Object.hasOwn(fields, 'license') ? fields['license'] : undefined;
  const licenseProblem = checkLicense(license, file);
  if (licenseProblem) problems.push(licenseProblem);

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, license: (license as string).trim() };
}

/** A problem with the `license` field, or undefined when it is a valid SPDX expression of an actual license. */
function checkLicense(license: unknown, file: string): string | undefined {
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

function fail(problem: string): ManifestCheck {
  return { ok: false, problems: [problem] };
}
