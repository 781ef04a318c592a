// The JSON Schemas in schemas/ held to the code's own parsers on one corpus, and to the examples the docs show, so neither can drift.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ajvModule from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { parseMetadata } from '../../src/core/metadata.js';
import { parsePublishRequest } from '../../src/core/request.js';

// ajv and ajv-formats are CommonJS: Node's ESM loader hands over module.exports, whose `.default` is the export itself.
const Ajv2020 = ajvModule.default;
const addFormats = formatsModule.default;
const require = createRequire(import.meta.url);
/** npm's own name rule, as the oracle for the npm preset's part of the name union. */
const validateNpmName = require('validate-npm-package-name') as (name: string) => { validForNewPackages: boolean };

const root = join(import.meta.dirname, '..', '..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addSchema(readJson('schemas/publish-request.schema.json') as object);
ajv.addSchema(readJson('schemas/metadata.schema.json') as object);
function compiled(id: string): ValidateFunction {
  const validate = ajv.getSchema(`https://registrar.invalid/schemas/${id}.schema.json`);
  if (!validate) throw new Error(`schemas/${id}.schema.json did not compile under its $id`);
  return validate;
}
const requestSchema = compiled('publish-request');
const metadataSchema = compiled('metadata');

const schemaAccepts = (validate: ValidateFunction, value: unknown): boolean => validate(value) === true;
const requestParserAccepts = (text: string): boolean => parsePublishRequest(text).ok;
function metadataParserAccepts(text: string, name: string): boolean {
  try {
    parseMetadata(text, name);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

// The corpus is built by editing valid documents into invalid ones, so its values are deliberately of any shape.
type Json = { [key: string]: any };
const baseRequest = (): Json => ({
  name: 'left-pad', version: '1.2.0', ref: 'v1.2.0',
  location: { githubOwner: 'acme', githubRepo: 'left-pad', subdir: 'packages/left-pad' },
});
const request = (change: (r: Json) => void): Json => {
  const r = baseRequest();
  change(r);
  return r;
};

/** Requests the code accepts under the default preset. */
const acceptedRequests: [string, unknown][] = [
  ['the example', baseRequest()],
  ['no subdir (the repository root)', request((r) => delete r.location.subdir)],
  ['a tag with slashes', request((r) => (r.ref = 'release/left-pad/v1.2.0'))],
  ['version 0.0.0', request((r) => (r.version = '0.0.0'))],
  ['a 64-character name', request((r) => (r.name = `a${'b'.repeat(63)}`))],
  ['an owner with single hyphens, a repo with dots', request((r) => (r.location = { githubOwner: 'a-b-c', githubRepo: 'x.y_z-1' }))],
  ['a subdir of 16 segments', request((r) => (r.location.subdir = Array.from({ length: 16 }, (_, i) => `d${i}`).join('/')))],
  ['a subdir with spaces and dots inside names', request((r) => (r.location.subdir = 'my pkg/v1.x'))],
];

/** Refusals both the parser and the schema must make: structure, types, and the formats a schema can state. */
const refusedRequests: [string, unknown][] = [
  ['name missing', request((r) => delete r.name)],
  ['version missing', request((r) => delete r.version)],
  ['ref missing', request((r) => delete r.ref)],
  ['location missing', request((r) => delete r.location)],
  ['githubOwner missing', request((r) => delete r.location.githubOwner)],
  ['githubRepo missing', request((r) => delete r.location.githubRepo)],
  ['an unknown field', request((r) => (r.tag = 'v1.2.0'))],
  ['an unknown location field', request((r) => (r.location.url = 'https://example.com/x.tgz'))],
  ['a name that is a number', request((r) => (r.name = 42))],
  ['a version that is a number', request((r) => (r.version = 1.2))],
  ['a ref that is null', request((r) => (r.ref = null))],
  ['a location that is a string', request((r) => (r.location = 'acme/left-pad'))],
  ['a location that is an array', request((r) => (r.location = ['acme', 'left-pad']))],
  ['a subdir that is a number', request((r) => (r.location.subdir = 7))],
  ['an array instead of an object', [baseRequest()]],
  ['a string instead of an object', 'left-pad@1.2.0'],
  ['an empty name', request((r) => (r.name = ''))],
  ['a name with a space', request((r) => (r.name = 'left pad'))],
  ['a name that climbs out', request((r) => (r.name = '../left-pad'))],
  ['a scoped name that climbs out', request((r) => (r.name = '@acme/../x'))],
  ['a name over 214 characters', request((r) => (r.name = 'a'.repeat(215)))],
  ['a version with "v"', request((r) => (r.version = 'v1.2.0'))],
  ['a version with leading zeros', request((r) => (r.version = '01.2.0'))],
  ['a version of two parts', request((r) => (r.version = '1.2'))],
  ['build metadata (no preset accepts it)', request((r) => (r.version = '1.0.0+build.5'))],
  ['a name ending in "."', request((r) => (r.name = 'left-pad.'))],
  ['a name with "~"', request((r) => (r.name = 'left~pad'))],
  ['a scope in upper case', request((r) => (r.name = '@Acme/left-pad'))],
  ['a scope of ".."', request((r) => (r.name = '@../left-pad'))],
  ['two slashes in a scoped name', request((r) => (r.name = '@acme/left/pad'))],
  ['an empty tag', request((r) => (r.ref = ''))],
  ['a raw commit SHA as ref', request((r) => (r.ref = 'c'.repeat(40)))],
  ['a raw SHA-256 commit as ref', request((r) => (r.ref = 'D'.repeat(64)))],
  ['a tag starting with "-"', request((r) => (r.ref = '--upload-pack=x'))],
  ['a tag with ".."', request((r) => (r.ref = 'v1..2'))],
  ['a tag with a space', request((r) => (r.ref = 'v1 2'))],
  ['a tag with "~"', request((r) => (r.ref = 'v1~1'))],
  ['a tag with "@{"', request((r) => (r.ref = 'v@{1}'))],
  ['a tag part ending in .lock', request((r) => (r.ref = 'v1.lock/x'))],
  ['a tag part starting with "."', request((r) => (r.ref = 'release/.hidden'))],
  ['a tag ending in "/"', request((r) => (r.ref = 'v1/'))],
  ['a tag with a control character', request((r) => (r.ref = 'v1\u0007'))],
  ['a tag with a bidi override', request((r) => (r.ref = 'v1\u202e2'))],
  ['a tag over 200 characters', request((r) => (r.ref = 'v'.repeat(201)))],
  ['an owner with "--"', request((r) => (r.location.githubOwner = 'a--b'))],
  ['an owner ending in "-"', request((r) => (r.location.githubOwner = 'acme-'))],
  ['an owner over 39 characters', request((r) => (r.location.githubOwner = 'a'.repeat(40)))],
  ['an owner that is a URL', request((r) => (r.location.githubOwner = 'https://evil.example'))],
  ['a repo ending in .git', request((r) => (r.location.githubRepo = 'left-pad.GIT'))],
  ['a repo named ".."', request((r) => (r.location.githubRepo = '..'))],
  ['a repo with "/"', request((r) => (r.location.githubRepo = 'a/b'))],
  ['an empty subdir', request((r) => (r.location.subdir = ''))],
  ['a subdir with ".."', request((r) => (r.location.subdir = 'pkg/../../etc'))],
  ['an absolute subdir', request((r) => (r.location.subdir = '/pkg'))],
  ['a subdir with a backslash', request((r) => (r.location.subdir = 'pkg\\x'))],
  ['a subdir with a drive letter', request((r) => (r.location.subdir = 'C:pkg'))],
  ['a subdir ending in "/"', request((r) => (r.location.subdir = 'pkg/'))],
  ['a subdir segment ending in "."', request((r) => (r.location.subdir = 'pkg./x'))],
  ['a subdir naming a Windows device', request((r) => (r.location.subdir = 'src/con.txt'))],
  ['a subdir of 17 segments', request((r) => (r.location.subdir = Array.from({ length: 17 }, (_, i) => `d${i}`).join('/')))],
  ['a subdir with a control character', request((r) => (r.location.subdir = 'pkg\u0000'))],
];

/** What some preset allows and the default preset refuses: the schema states the union (docs/formats.md). */
const presetOnlyRequests: [string, unknown][] = [
  ['an npm dotted name', request((r) => (r.name = 'lodash.debounce'))],
  ['an npm underscored name', request((r) => (r.name = 'string_decoder'))],
  ['an npm scoped name', request((r) => (r.name = '@acme/left-pad'))],
  ['a crates name with capitals and "_"', request((r) => (r.name = 'Serde_json'))],
  ['a prerelease (npm, crates)', request((r) => (r.version = '3.0.0-canary.1'))],
  ['a purescript name starting with a digit', request((r) => (r.name = '3d-graphics'))],
  ['an npm scoped name whose name part starts with "_"', request((r) => (r.name = '@acme/_internal'))],
];

describe('schemas/publish-request.schema.json and parsePublishRequest', () => {
  it.each(acceptedRequests)('both accept %s', (_, value) => {
    expect(requestParserAccepts(JSON.stringify(value))).toBe(true);
    expect(schemaAccepts(requestSchema, value)).toBe(true);
  });

  it.each(refusedRequests)('both refuse %s', (_, value) => {
    expect(requestParserAccepts(JSON.stringify(value))).toBe(false);
    expect(schemaAccepts(requestSchema, value)).toBe(false);
  });

  it('refuses "__proto__" as a key, as the parser does', () => {
    const text = '{ "name": "left-pad", "version": "1.2.0", "ref": "v1.2.0", "__proto__": {}, "location": { "githubOwner": "acme", "githubRepo": "left-pad" } }';
    expect(requestParserAccepts(text)).toBe(false);
    expect(schemaAccepts(requestSchema, JSON.parse(text))).toBe(false);
  });

  it.each(presetOnlyRequests)('the schema accepts %s, which a preset allows', (_, value) => {
    expect(schemaAccepts(requestSchema, value)).toBe(true);
  });

  it('accepts every name npm accepts for a new package', () => {
    const names = ['left-pad', 'lodash.debounce', 'a', '0x', 'x..y', 'foo-', 'react-dom', '@babel/core', '@types/node', '@a/_x', '@.s/x', 'jquery.min', 'a_b-c.d'];
    for (const name of names) {
      expect(validateNpmName(name).validForNewPackages).toBe(true);
      expect({ name, valid: schemaAccepts(requestSchema, request((r) => (r.name = name))) }).toEqual({ name, valid: true });
    }
  });

  it('whatever the parser accepts, the schema accepts (the whole corpus)', () => {
    for (const [label, value] of [...acceptedRequests, ...refusedRequests, ...presetOnlyRequests]) {
      if (requestParserAccepts(JSON.stringify(value))) expect({ label, valid: schemaAccepts(requestSchema, value) }).toEqual({ label, valid: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Metadata files

const SRI_A = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const SRI_B = `sha256-${'B'.repeat(42)}A=`;
const baseMetadata = (): Json => ({
  name: 'left-pad',
  location: { githubOwner: 'acme', githubRepo: 'left-pad', repositoryId: 123 },
  published: {
    '1.2.0': { sha256: SRI_A, bytes: 1234, ref: 'v1.2.0', commit: 'a'.repeat(40), publishedTime: '2026-05-01T12:00:00.000Z', issue: 42 },
    '1.3.0': { sha256: SRI_B, bytes: 99, ref: 'release/1.3.0', commit: '0123456789abcdef0123456789abcdef01234567', subdir: 'packages/left-pad',
      publishedTime: '2026-05-02T12:00:00+02:00', issue: 43 },
  },
  rolledBack: [
    { version: '1.1.0', sha256: SRI_B, by: { id: 1, login: 'trustee' }, at: '2026-04-30T08:00:00Z', reason: 'leaked a credential',
      issue: 40, commentId: 555, cleaned: true },
    { version: '1.0.0', sha256: SRI_A, by: { id: 2, login: 'other' }, at: '2026-04-30T09:00:00.123456789Z', reason: '', issue: 40, cleaned: false },
  ],
});
type Metadata = Json;
const metadata = (change: (m: Metadata) => void): Json => {
  const m = baseMetadata();
  change(m);
  return m;
};
const entry = (m: Metadata): Json => m.published['1.2.0'];
const record = (m: Metadata): Json => m.rolledBack[0];

const acceptedMetadata: [string, unknown][] = [
  ['the example', baseMetadata()],
  ['a first publish (nothing rolled back)', metadata((m) => { m.rolledBack = []; delete m.published['1.3.0']; })],
  ['a package with every version rolled back', metadata((m) => { m.published = {}; })],
  ['a version of nine-digit parts', metadata((m) => { m.published['999999999.0.1'] = entry(m); })],
  ['an empty tarball size', metadata((m) => { entry(m).bytes = 0; })],
  // What the CLI writes: no issue, and a rollback `by` a login without an id.
  ['a version published from the CLI (no issue)', metadata((m) => { delete entry(m).issue; })],
  ['a rollback made from the CLI (no issue, by without id)', metadata((m) => { delete record(m).issue; delete record(m).by.id; delete record(m).commentId; })],
];

const refusedMetadata: [string, unknown][] = [
  ['name missing', metadata((m) => { delete m.name; })],
  ['location missing', metadata((m) => { delete m.location; })],
  ['published missing', metadata((m) => { delete m.published; })],
  ['rolledBack missing', metadata((m) => { delete m.rolledBack; })],
  ['repositoryId missing', metadata((m) => { delete m.location.repositoryId; })],
  ['an unknown top-level field', metadata((m) => { m.yanked = []; })],
  ['an unknown location field', metadata((m) => { m.location.subdir = 'x'; })],
  ['an unknown field in a version', metadata((m) => { entry(m).yanked = true; })],
  ['an unknown field in a rollback record', metadata((m) => { record(m).note = 'x'; })],
  ['an unknown field in "by"', metadata((m) => { record(m).by.email = 'a@b.c'; })],
  ['sha256 missing', metadata((m) => { delete entry(m).sha256; })],
  ['bytes missing', metadata((m) => { delete entry(m).bytes; })],
  ['commit missing', metadata((m) => { delete entry(m).commit; })],
  ['publishedTime missing', metadata((m) => { delete entry(m).publishedTime; })],
  ['ref missing', metadata((m) => { delete entry(m).ref; })],
  ['cleaned missing', metadata((m) => { delete record(m).cleaned; })],
  ['reason missing', metadata((m) => { delete record(m).reason; })],
  ['by missing', metadata((m) => { delete record(m).by; })],
  ['a login missing', metadata((m) => { delete record(m).by.login; })],
  ['an empty login', metadata((m) => { record(m).by.login = ''; })],
  ['published as an array', metadata((m) => { m.published = [entry(m)]; })],
  ['rolledBack as an object', metadata((m) => { m.rolledBack = {}; })],
  ['bytes as a string', metadata((m) => { entry(m).bytes = '1234'; })],
  ['bytes negative', metadata((m) => { entry(m).bytes = -1; })],
  ['bytes fractional', metadata((m) => { entry(m).bytes = 1.5; })],
  ['cleaned as a string', metadata((m) => { record(m).cleaned = 'true'; })],
  ['an issue of 0', metadata((m) => { entry(m).issue = 0; })],
  ['an issue as a string', metadata((m) => { entry(m).issue = '42'; })],
  ['a repositoryId that is fractional', metadata((m) => { m.location.repositoryId = 1.5; })],
  ['a repositoryId beyond safe integers', metadata((m) => { m.location.repositoryId = 2 ** 53; })],
  ['a by.id of 0', metadata((m) => { record(m).by.id = 0; })],
  ['a sha256 in hex', metadata((m) => { entry(m).sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; })],
  ['a sha512 SRI', metadata((m) => { entry(m).sha256 = `sha512-${'A'.repeat(86)}==`; })],
  ['a sha256 with non-canonical padding bits', metadata((m) => { entry(m).sha256 = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV='; })],
  ['a sha256 one character short', metadata((m) => { entry(m).sha256 = SRI_A.slice(0, -2) + '='; })],
  ['a rollback sha256 in hex', metadata((m) => { record(m).sha256 = 'a'.repeat(64); })],
  ['a commit in upper case', metadata((m) => { entry(m).commit = 'A'.repeat(40); })],
  ['a commit of 39 hex digits', metadata((m) => { entry(m).commit = 'a'.repeat(39); })],
  ['a commit that is a SHA-256', metadata((m) => { entry(m).commit = 'a'.repeat(64); })],
  ['a time without seconds', metadata((m) => { entry(m).publishedTime = '2026-05-01T12:00Z'; })],
  ['a time without an offset', metadata((m) => { entry(m).publishedTime = '2026-05-01T12:00:00'; })],
  ['a time with a space', metadata((m) => { entry(m).publishedTime = '2026-05-01 12:00:00Z'; })],
  ['a time in lower case', metadata((m) => { entry(m).publishedTime = '2026-05-01t12:00:00z'; })],
  ['a time with an offset without ":"', metadata((m) => { entry(m).publishedTime = '2026-05-01T12:00:00+0200'; })],
  ['a date that does not exist', metadata((m) => { entry(m).publishedTime = '2026-02-30T12:00:00Z'; })],
  ['hour 24', metadata((m) => { entry(m).publishedTime = '2026-05-01T24:00:00Z'; })],
  ['a leap second', metadata((m) => { record(m).at = '2016-12-31T23:59:60Z'; })],
  ['a date only', metadata((m) => { record(m).at = '2026-05-01'; })],
  ['a time as a number', metadata((m) => { record(m).at = 1714564800000; })],
  ['a version key that is a word', metadata((m) => { m.published.latest = entry(m); })],
  ['a version key with "v"', metadata((m) => { m.published['v2.0.0'] = entry(m); })],
  ['a rollback of a version with "v"', metadata((m) => { record(m).version = 'v1.1.0'; })],
  ['a ref that is a raw SHA', metadata((m) => { entry(m).ref = 'b'.repeat(40); })],
  ['a subdir that climbs out', metadata((m) => { entry(m).subdir = '../x'; })],
  ['a name that is not a package name', metadata((m) => { m.name = 'Left Pad'; })],
  ['an owner that is a URL', metadata((m) => { m.location.githubOwner = 'https://x'; })],
];

describe('schemas/metadata.schema.json and parseMetadata', () => {
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

  it.each(acceptedMetadata)('both accept %s', (_, value) => {
    expect(metadataParserAccepts(text(value), 'left-pad')).toBe(true);
    expect(schemaAccepts(metadataSchema, value)).toBe(true);
  });

  it.each(refusedMetadata)('both refuse %s', (_, value) => {
    expect(metadataParserAccepts(text(value), 'left-pad')).toBe(false);
    expect(schemaAccepts(metadataSchema, value)).toBe(false);
  });

  it('whatever the parser accepts, the schema accepts (the whole corpus)', () => {
    for (const [label, value] of [...acceptedMetadata, ...refusedMetadata]) {
      if (metadataParserAccepts(text(value), 'left-pad')) expect({ label, valid: schemaAccepts(metadataSchema, value) }).toEqual({ label, valid: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The examples the docs show

/** Every ```json block of a Markdown file, parsed. */
function jsonBlocks(path: string): { line: number; value: unknown }[] {
  const lines = readFileSync(join(root, path), 'utf8').split('\n');
  const blocks: { line: number; value: unknown }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```json\s*$/.test(lines[i] ?? '')) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
    const text = lines.slice(i + 1, end).join('\n');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(`${path}:${i + 1}: a \`\`\`json block that is not JSON: ${(error as Error).message}`);
    }
    blocks.push({ line: i + 1, value });
    i = end;
  }
  return blocks;
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const awsExamples = readdirSync(join(root, 'examples', 'aws')).filter((f) => f.endsWith('.json')).map((f) => readJson(`examples/aws/${f}`));

describe('the examples in README.md and docs/', () => {
  const all = docs.flatMap((path) => jsonBlocks(path).map((block) => ({ path, ...block })));

  it('show requests and metadata files (and no JSON block is left unchecked)', () => {
    const kinds = all.map(({ value }) => kindOf(value));
    expect(kinds).toContain('request');
    expect(kinds).toContain('metadata');
    expect(all.filter(({ value }) => kindOf(value) === 'unknown').map(({ path, line }) => `${path}:${line}`)).toEqual([]);
  });

  it.each(all.filter(({ value }) => kindOf(value) === 'request').map(({ path, line, value }) => [`${path}:${line}`, value] as const))(
    'the request at %s is valid for the schema and the parser', (_, value) => {
      expect(ajvErrors(requestSchema, value)).toEqual([]);
      expect(parsePublishRequest(`\`\`\`json\n${JSON.stringify(value)}\n\`\`\``)).toMatchObject({ ok: true });
    });

  it.each(all.filter(({ value }) => kindOf(value) === 'metadata').map(({ path, line, value }) => [`${path}:${line}`, value] as const))(
    'the metadata file at %s is valid for the schema and the parser', (_, value) => {
      expect(ajvErrors(metadataSchema, value)).toEqual([]);
      expect(metadataParserAccepts(JSON.stringify(value), String((value as Json).name))).toBe(true);
    });

  it.each(all.filter(({ value }) => kindOf(value) === 'aws').map(({ path, line, value }) => [`${path}:${line}`, value] as const))(
    'the AWS document at %s is one of examples/aws/ word for word', (_, value) => {
      expect(awsExamples).toContainEqual(value);
    });

  it('the schemas\' own examples are valid', () => {
    for (const [validate, id] of [[requestSchema, 'publish-request'], [metadataSchema, 'metadata']] as const) {
      const examples = (readJson(`schemas/${id}.schema.json`) as { examples: unknown[] }).examples;
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) expect(ajvErrors(validate, example)).toEqual([]);
    }
  });
});

function kindOf(value: unknown): 'request' | 'metadata' | 'aws' | 'unknown' {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'unknown';
  if ('published' in value || 'rolledBack' in value) return 'metadata';
  if ('ref' in value && 'location' in value) return 'request';
  if ('Statement' in value || 'Rules' in value) return 'aws';
  return 'unknown';
}

function ajvErrors(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
