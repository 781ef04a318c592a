// Turns the text of a publish issue into a validated PublishRequest, or into problems an author can fix field by field.
import { z } from 'zod';
import { readIssueForm, withFormLabels } from './issue-form.js';
import { checkGithubOwner, checkGithubRepo, checkPackageName, checkSubdir, checkTag, checkVersion, quote } from './names.js';
import type { Ecosystem } from './ecosystem.js';
import type { PublishRequest } from './types.js';

/** A problem with one field (`location.githubOwner`), or with the whole request (`request`). */
export interface RequestProblem {
  field: string;
  message: string;
}

export type ParsedRequest = { ok: true; request: PublishRequest } | { ok: false; problems: RequestProblem[] };

/** The request text is capped before any parsing: a request is a few hundred bytes. */
export const REQUEST_MAX_BYTES = 16 * 1024;

const WHOLE = 'request';

// =============================================================================================
// Strict JSON: JSON.parse silently keeps the last of duplicate keys, and treats `__proto__`
// specially in some consumers, so the registry reads JSON with its own small parser.

/** Keys that mean something to JavaScript objects; refused wherever they appear. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper nesting is never legitimate here, and a bound keeps the recursion off the stack limit. */
const MAX_DEPTH = 32;

export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; problems: RequestProblem[] };

/** Thrown inside the parser for a syntax error; carries the offset where it was noticed. */
class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

// One JSON string token: no raw control characters, only JSON's escapes.
const STRING_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** `location.githubOwner`, `rolledBack[0].by` — the form problems use for fields. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    // Keys that are not plain words (versions like "1.2.0", or anything hostile) are quoted, so a path stays unambiguous.
    else if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += `[${quote(part)}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? WHOLE : out;
}

/**
 * Parses exactly one JSON value (RFC 8259) and refuses duplicate keys at any depth (compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key) and the keys `__proto__`, `constructor`
 * and `prototype`. Objects are built without a prototype, so no key can reach Object.prototype.
 * `lineOffset` shifts reported line numbers when the JSON sits inside a larger text.
 */
export function parseStrictJson(text: string, lineOffset = 0): StrictJsonResult {
  const keyProblems: RequestProblem[] = [];
  let at = 0;

  const skipWhitespace = () => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const describeHere = () => (at >= text.length ? 'the end of the text' : quote(text.slice(at, at + 1)));
  const fail = (expected: string): never => {
    throw new JsonSyntaxError(`expected ${expected} but found ${describeHere()}`, at);
  };
  const readString = (): string => {
    STRING_TOKEN.lastIndex = at;
    const match = STRING_TOKEN.exec(text);
    if (!match) {
      if (text[at] === '"') throw new JsonSyntaxError('a string is not closed, or has a line break, control character or bad escape', at);
      return fail('a string');
    }
    at = STRING_TOKEN.lastIndex;
    // The token is valid JSON, so JSON.parse decodes its escapes exactly as JSON defines them.
    return JSON.parse(match[0]) as string;
  };
  const readValue = (path: (string | number)[], depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError(`values are nested more than ${MAX_DEPTH} levels deep`, at);
    skipWhitespace();
    const c = text[at];
    if (c === '{') return readObject(path, depth);
    if (c === '[') return readArray(path, depth);
    if (c === '"') return readString();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    NUMBER_TOKEN.lastIndex = at;
    const number = NUMBER_TOKEN.exec(text);
    if (number) {
      at = NUMBER_TOKEN.lastIndex;
      return Number(number[0]);
    }
    return fail('a value');
  };
  const readObject = (path: (string | number)[], depth: number): Record<string, unknown> => {
    at += 1; // {
    const object = Object.create(null) as Record<string, unknown>;
    const seen = new Set<string>();
    skipWhitespace();
    if (text[at] === '}') {
      at += 1;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (text[at] !== '"') fail('a key in double quotes');
      const key = readString();
      const keyPath = [...path, key];
      if (FORBIDDEN_KEYS.has(key)) {
        keyProblems.push({ field: formatPath(keyPath), message: `the key ${quote(key)} is not allowed` });
      } else if (seen.has(key)) {
        keyProblems.push({ field: formatPath(keyPath), message: `the key ${quote(key)} appears more than once; write each field once` });
      }
      seen.add(key);
      skipWhitespace();
      if (text[at] !== ':') fail('":" after a key');
      at += 1;
      const value = readValue(keyPath, depth + 1);
      // Forbidden and repeated keys are reported above; neither ever reaches the object.
      if (!FORBIDDEN_KEYS.has(key) && !Object.hasOwn(object, key)) object[key] = value;
      skipWhitespace();
      if (text[at] === ',') {
        at += 1;
        continue;
      }
      if (text[at] === '}') {
        at += 1;
        return object;
      }
      fail('"," or "}"');
    }
  };
  const readArray = (path: (string | number)[], depth: number): unknown[] => {
    at += 1; // [
    const array: unknown[] = [];
    skipWhitespace();
    if (text[at] === ']') {
      at += 1;
      return array;
    }
    for (;;) {
      array.push(readValue([...path, array.length], depth + 1));
      skipWhitespace();
      if (text[at] === ',') {
        at += 1;
        continue;
      }
      if (text[at] === ']') {
        at += 1;
        return array;
      }
      fail('"," or "]"');
    }
  };

  try {
    const value = readValue([], 0);
    skipWhitespace();
    if (at < text.length) fail('the end of the JSON');
    if (keyProblems.length > 0) return { ok: false, problems: keyProblems };
    return { ok: true, value };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const before = text.slice(0, error.offset).split('\n');
    const line = before.length + lineOffset;
    const column = (before[before.length - 1] ?? '').length + 1;
    return { ok: false, problems: [{ field: WHOLE, message: `the request is not valid JSON: ${error.message} (line ${line}, column ${column})` }] };
  }
}

// =============================================================================================
// Finding the JSON in an issue body: bare, or in exactly one fenced code block.

type Extracted = { ok: true; json: string; lineOffset: number; fenced: boolean } | { ok: false; problem: string };

// The fence, then the rest of the line; the info string is read from the rest in code (two overlapping
// character classes here made a line of one fence, 16,000 letters and a backtick cost 0.2 s).
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** A fence line's info string's first word, or undefined when the line is no fence (a backtick fence's info holds no backtick). */
function fenceInfo(fence: string, rest: string): string | undefined {
  if (fence.startsWith('`') && rest.includes('`')) return undefined;
  return rest.trim().split(/[ \t]/, 1)[0] ?? '';
}

function extractJson(text: string): Extracted {
  const lines = text.split(/\r?\n/);
  const blocks: { info: string; start: number; end: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const info = fenceInfo(fence, open[2] ?? '');
    if (info === undefined) continue;
    // A closing fence uses the same character, at least as many of them, and nothing else.
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j] ?? '')) j++;
    if (j >= lines.length) return { ok: false, problem: `the code block opened on line ${i + 1} is not closed; end it with ${fence}` };
    blocks.push({ info: info.toLowerCase(), start: i + 1, end: j });
    i = j;
  }
  if (blocks.length === 0) return { ok: true, json: text, lineOffset: 0, fenced: false };
  const [block, ...others] = blocks;
  if (block === undefined || others.length > 0) {
    return { ok: false, problem: `the issue has ${blocks.length} code blocks; put the request in exactly one \`\`\`json block` };
  }
  if (block.info !== '' && block.info !== 'json') {
    return { ok: false, problem: `the code block is marked ${quote(block.info)}; mark it \`\`\`json and put the request inside` };
  }
  return { ok: true, json: lines.slice(block.start, block.end).join('\n'), lineOffset: block.start, fenced: true };
}

// =============================================================================================
// The schema: every field checked by the validators in names.ts, unknown keys refused.

const validated = (check: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

const locationSchema = z.strictObject({
  githubOwner: validated(checkGithubOwner),
  githubRepo: validated(checkGithubRepo),
  subdir: validated(checkSubdir).optional(),
});

// The name and version rules are the ecosystem's (the default preset's when none is given); the rest is the same everywhere.
function requestSchemaOf(ecosystem: Pick<Ecosystem, 'checkName' | 'checkVersion'> | undefined) {
  return z.strictObject({
    name: validated(ecosystem?.checkName ?? checkPackageName),
    version: validated(ecosystem?.checkVersion ?? checkVersion),
    ref: validated(checkTag),
    location: locationSchema,
  });
}

const requestSchema = requestSchemaOf(undefined);
const requestSchemas = new WeakMap<Ecosystem, typeof requestSchema>();

function schemaFor(ecosystem: Ecosystem | undefined): typeof requestSchema {
  if (ecosystem === undefined) return requestSchema;
  let schema = requestSchemas.get(ecosystem);
  if (schema === undefined) {
    schema = requestSchemaOf(ecosystem);
    requestSchemas.set(ecosystem, schema);
  }
  return schema;
}

/** What each field holds, said the way the author needs to hear it when it is missing or mistyped. */
const FIELD_HELP: Readonly<Record<string, string>> = {
  name: 'the package name, like "left-pad"',
  version: 'the version to publish, MAJOR.MINOR.PATCH like "1.2.0"',
  ref: 'the git tag to publish, like "v1.2.0"',
  location: 'an object saying where the source is, like { "githubOwner": "acme", "githubRepo": "left-pad" }',
  'location.githubOwner': 'the GitHub user or organization owning the source repository, like "acme"',
  'location.githubRepo': 'the source repository\'s name on GitHub, like "left-pad"',
  'location.subdir': 'the package\'s directory inside the repository, like "packages/left-pad" (leave it out for the root)',
};

const FIELDS_OF: Readonly<Record<string, readonly string[]>> = {
  [WHOLE]: Object.keys(requestSchema.shape),
  location: Object.keys(locationSchema.shape),
};

function lookup(value: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let here: unknown = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return { present: false, value: undefined };
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: here };
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

function problemsOf(issues: readonly z.core.$ZodIssue[], input: unknown): RequestProblem[] {
  const problems: RequestProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const field = formatPath(path);
    const help = FIELD_HELP[field];
    if (issue.code === 'unrecognized_keys') {
      const accepted = (FIELDS_OF[field] ?? []).join(', ');
      for (const key of issue.keys) {
        problems.push({
          field: formatPath([...path, key]),
          message: `unknown field ${quote(key)}; ${field === WHOLE ? 'a request' : field} has only the fields ${accepted}`,
        });
      }
    } else if (issue.code === 'invalid_type') {
      const found = lookup(input, path);
      const wanted = `${issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}`;
      problems.push({
        field,
        message: found.present
          ? `${field} must be ${wanted}, not ${jsonTypeOf(found.value)}${help ? `: ${help}` : ''}`
          : `${field} is missing${help ? `: give ${help}` : ''}`,
      });
    } else {
      problems.push({ field, message: issue.message });
    }
  }
  return problems;
}

// =============================================================================================

/**
 * Reads a publish request from an issue body or comment: size cap, one JSON object, strict schema. Names and
 * versions follow the registry's ecosystem (the default preset when none is given).
 */
export function parsePublishRequest(text: string, ecosystem?: Ecosystem): ParsedRequest {
  const refuse = (message: string): ParsedRequest => ({ ok: false, problems: [{ field: WHOLE, message }] });
  // UTF-8 never takes fewer bytes than UTF-16 code units, so the cheap length test comes first.
  if (text.length > REQUEST_MAX_BYTES || Buffer.byteLength(text, 'utf8') > REQUEST_MAX_BYTES) {
    return refuse(`the request is longer than ${REQUEST_MAX_BYTES / 1024} KiB; a request is one small JSON object`);
  }
  // An issue opened from the publish form: its fields become the JSON request they stand for, checked on this same path.
  const form = readIssueForm(text);
  if (form !== undefined) return form.ok ? withFormLabels(parsePublishRequest(form.json, ecosystem)) : form;
  const extracted = extractJson(text);
  if (!extracted.ok) return refuse(extracted.problem);
  if (extracted.json.trim() === '') return refuse(`the request is empty; write one JSON object like\n${renderRequestExample(ecosystem)}`);
  const parsed = parseStrictJson(extracted.json, extracted.lineOffset);
  if (!parsed.ok) {
    // Prose with no code block reads better as "where is the JSON?" than as a syntax error at column 1.
    if (!extracted.fenced && !/^\s*[{["0-9tfn-]/.test(extracted.json)) {
      return refuse('the request must be one JSON object, bare or inside one ```json code block');
    }
    return parsed;
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(`the request must be one JSON object { … }, not ${jsonTypeOf(value)}`);
  }
  const result = schemaFor(ecosystem).safeParse(value);
  if (!result.success) return { ok: false, problems: problemsOf(result.error.issues, value) };
  const { name, version, ref, location } = result.data;
  // Rebuilt field by field so the request is a plain object with exactly the schema's keys.
  const request: PublishRequest = {
    name,
    version,
    ref,
    location: { githubOwner: location.githubOwner, githubRepo: location.githubRepo, ...(location.subdir === undefined ? {} : { subdir: location.subdir }) },
  };
  return { ok: true, request };
}

/** A fenced example request, for help messages and refusals, with a name and version of the registry's ecosystem. */
export function renderRequestExample(ecosystem?: Pick<Ecosystem, 'example'>): string {
  const { name, version } = ecosystem?.example ?? { name: 'left-pad', version: '1.2.0' };
  const example: PublishRequest = {
    name,
    version,
    ref: `v${version}`,
    location: { githubOwner: 'acme', githubRepo: 'left-pad', subdir: 'packages/left-pad' },
  };
  return `\`\`\`json\n${JSON.stringify(example, null, 2)}\n\`\`\``;
}
