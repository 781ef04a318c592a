// Reading a publish request from an issue body: where the JSON may be, what JSON is accepted, and what each problem says.
import { describe, expect, it } from '@jest/globals';
import { formatPath, parsePublishRequest, parseStrictJson, renderRequestExample, REQUEST_MAX_BYTES } from '../../src/core/request.js';

const valid = {
  name: 'left-pad',
  version: '1.2.0',
  ref: 'v1.2.0',
  location: { githubOwner: 'acme', githubRepo: 'left-pad', subdir: 'pkg' },
};
const validText = JSON.stringify(valid, null, 2);

function problems(text: string) {
  const result = parsePublishRequest(text);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.request)}`);
  return result.problems;
}

function withField(path: string[], value: unknown): string {
  const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  let here = copy;
  for (const key of path.slice(0, -1)) here = here[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete here[last];
  else here[last] = value;
  return JSON.stringify(copy);
}

describe('where the request may be', () => {
  it('accepts bare JSON, with surrounding whitespace', () => {
    expect(parsePublishRequest(`\n  ${validText}\n\n`)).toEqual({ ok: true, request: valid });
  });

  it('accepts one ```json block with prose around it, as an issue form renders it', () => {
    const body = `### Request\n\nPlease publish this.\n\n\`\`\`json\n${validText}\n\`\`\`\n\nThanks!`;
    expect(parsePublishRequest(body)).toEqual({ ok: true, request: valid });
  });

  it('accepts an unlabelled ``` block, CRLF line breaks, and a longer fence', () => {
    expect(parsePublishRequest(`\`\`\`\r\n${validText}\r\n\`\`\``)).toEqual({ ok: true, request: valid });
    expect(parsePublishRequest(`\`\`\`\`JSON\n${validText}\n\`\`\`\``)).toEqual({ ok: true, request: valid });
  });

  it('refuses two code blocks, even if one is valid', () => {
    const body = `\`\`\`json\n${validText}\n\`\`\`\n\n\`\`\`json\n{}\n\`\`\``;
    expect(problems(body)).toEqual([{ field: 'request', message: expect.stringMatching(/2 code blocks; put the request in exactly one/) }]);
  });

  it('refuses an unclosed code block and a block marked as another language', () => {
    expect(problems(`text\n\`\`\`json\n${validText}`)[0]?.message).toMatch(/opened on line 2 is not closed/);
    expect(problems(`\`\`\`yaml\nname: x\n\`\`\``)[0]?.message).toMatch(/marked `yaml`; mark it ```json/);
  });

  it('refuses prose with no JSON, and an empty block', () => {
    expect(problems('Please publish left-pad 1.2.0')[0]?.message).toBe('the request must be one JSON object, bare or inside one ```json code block');
    expect(problems('```json\n\n```')[0]?.message).toMatch(/the request is empty/);
  });

  it(`refuses text over ${REQUEST_MAX_BYTES} bytes before parsing, counting UTF-8 bytes`, () => {
    const padded = `${validText}${' '.repeat(REQUEST_MAX_BYTES - validText.length)}`;
    expect(parsePublishRequest(padded).ok).toBe(true);
    expect(problems(`${padded} `)[0]?.message).toMatch(/longer than 16 KiB/);
    // 6000 three-byte characters are 18000 bytes though only 6000 UTF-16 units.
    expect(problems(`"${'€'.repeat(6000)}"`)[0]?.message).toMatch(/longer than 16 KiB/);
  });
});

describe('what JSON is accepted', () => {
  it.each([
    ['an array', '[1, 2]', /not an array/],
    ['a string', '"left-pad"', /not a string/],
    ['a number', '42', /not a number/],
    ['null', 'null', /not null/],
  ])('refuses %s: the request is one object', (_label, text, why) => {
    expect(problems(text)).toEqual([{ field: 'request', message: expect.stringMatching(why) }]);
  });

  it('refuses a duplicate key at the top level, even when both values agree', () => {
    const text = '{"name":"left-pad","name":"left-pad","version":"1.2.0","ref":"v1.2.0","location":{"githubOwner":"acme","githubRepo":"left-pad"}}';
    expect(problems(text)).toEqual([{ field: 'name', message: 'the key `name` appears more than once; write each field once' }]);
  });

  it('refuses a duplicate key nested in location, and spots duplicates spelled with escapes', () => {
    const text = '{"name":"left-pad","version":"1.2.0","ref":"v1.2.0","location":{"githubOwner":"acme","githubRepo":"left-pad","githubOwn\\u0065r":"evil"}}';
    expect(problems(text)).toEqual([{ field: 'location.githubOwner', message: expect.stringMatching(/appears more than once/) }]);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %j at any depth', (key) => {
    expect(problems(`{"${key}": {}}`)).toEqual([{ field: key, message: `the key \`${key}\` is not allowed` }]);
    const nested = `{"name":"left-pad","version":"1.2.0","ref":"v1.2.0","location":{"githubOwner":"acme","githubRepo":"left-pad","${key}":{"x":1}}}`;
    expect(problems(nested)).toEqual([{ field: `location.${key}`, message: `the key \`${key}\` is not allowed` }]);
  });

  it('reports syntax errors with a line and column in the issue body', () => {
    const body = 'Intro\n\n```json\n{\n  "name": "left-pad",\n  "version": "1.2.0"\n  "ref": "v1"\n}\n```';
    expect(problems(body)).toEqual([
      { field: 'request', message: 'the request is not valid JSON: expected "," or "}" but found `"` (line 7, column 3)' },
    ]);
  });

  it.each([
    ['trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['comment', '{"a":1 /* x */}'],
    ['raw line break in a string', '{"a":"x\ny"}'],
    ['bad escape', '{"a":"\\x"}'],
    ['leading zero', '{"a":01}'],
    ['NaN', '{"a":NaN}'],
    ['two values', '{} {}'],
    ['unclosed', '{"a":[1,2'],
  ])('refuses invalid JSON: %s', (_label, text) => {
    expect(problems(text)[0]?.message).toMatch(/^the request is not valid JSON/);
  });
});

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{"c":{}},"d":[]}';
    expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('reports every duplicate, with array indices in the path', () => {
    const result = parseStrictJson('{"a":[{"b":1,"b":2}],"a":0}');
    expect(result).toEqual({
      ok: false,
      problems: [
        { field: 'a[0].b', message: expect.stringMatching(/appears more than once/) },
        { field: 'a', message: expect.stringMatching(/appears more than once/) },
      ],
    });
  });

  it('builds objects with no prototype, so no key reaches Object.prototype', () => {
    const result = parseStrictJson('{"a":{"b":1}}');
    expect(result.ok && Object.getPrototypeOf(result.value)).toBeNull();
  });

  it('refuses nesting deeper than 32 levels without overflowing the stack', () => {
    expect(parseStrictJson(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toEqual({
      ok: false,
      problems: [{ field: 'request', message: expect.stringMatching(/nested more than 32 levels/) }],
    });
  });
});

describe('each field says what is wrong and the expected form', () => {
  it.each([
    [['name'], 'Left-Pad', 'name', /^package name `Left-Pad` must be lowercase ASCII/],
    [['name'], 'staging', 'name', /reserved/],
    [['version'], 'v1.2', 'version', /^version `v1\.2` must be MAJOR\.MINOR\.PATCH, like 1\.2\.0/],
    [['version'], '1.2.3-beta', 'version', /prerelease/],
    [['ref'], 'a..b', 'ref', /^tag `a\.\.b` is not a valid git tag name: it has "\.\."$/],
    [['ref'], 'f'.repeat(40), 'ref', /commit SHA/],
    [['location', 'githubOwner'], 'https://github.com/acme', 'location.githubOwner', /^GitHub owner `https:\/\/github\.com\/acme` must be/],
    [['location', 'githubRepo'], 'left-pad.git', 'location.githubRepo', /must not end with ".git"/],
    [['location', 'subdir'], '../x', 'location.subdir', /^subdir `\.\.\/x` must be a relative path/],
  ])('%j = %j', (path, value, field, message) => {
    expect(problems(withField(path, value))).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it.each([
    [['name'], 'name', 'name is missing: give the package name, like "left-pad"'],
    [['version'], 'version', 'version is missing: give the version to publish, MAJOR.MINOR.PATCH like "1.2.0"'],
    [['ref'], 'ref', 'ref is missing: give the git tag to publish, like "v1.2.0"'],
    [['location'], 'location', expect.stringMatching(/^location is missing: give an object/)],
    [['location', 'githubOwner'], 'location.githubOwner', expect.stringMatching(/^location.githubOwner is missing/)],
    [['location', 'githubRepo'], 'location.githubRepo', expect.stringMatching(/^location.githubRepo is missing/)],
  ])('missing %j', (path, field, message) => {
    expect(problems(withField(path, undefined))).toEqual([{ field, message }]);
  });

  it('accepts a request without subdir (the repository root)', () => {
    const result = parsePublishRequest(withField(['location', 'subdir'], undefined));
    expect(result).toEqual({ ok: true, request: { ...valid, location: { githubOwner: 'acme', githubRepo: 'left-pad' } } });
    expect(result.ok && 'subdir' in result.request.location).toBe(false);
  });

  it('names the JSON type when a field has the wrong one', () => {
    expect(problems(withField(['version'], 1.2))).toEqual([
      { field: 'version', message: 'version must be a string, not a number: the version to publish, MAJOR.MINOR.PATCH like "1.2.0"' },
    ]);
    expect(problems(withField(['location'], 'acme/left-pad'))[0]?.message).toMatch(/^location must be an object, not a string/);
    expect(problems(withField(['location', 'subdir'], null))[0]?.message).toMatch(/^location.subdir must be a string, not null/);
  });

  it('refuses unknown fields, at the top and in location, listing the fields there are', () => {
    expect(problems(withField(['url'], 'https://evil.example/x.tgz'))).toEqual([
      { field: 'url', message: 'unknown field `url`; a request has only the fields name, version, ref, location' },
    ]);
    expect(problems(withField(['location', 'gitUrl'], 'x'))).toEqual([
      { field: 'location.gitUrl', message: 'unknown field `gitUrl`; location has only the fields githubOwner, githubRepo, subdir' },
    ]);
  });

  it('reports every problem at once, field by field', () => {
    const text = JSON.stringify({ name: 'A', version: 'v1', ref: '-x', location: { githubOwner: '-', githubRepo: '.' }, extra: 1 });
    expect(problems(text).map((p) => p.field)).toEqual(['name', 'version', 'ref', 'location.githubOwner', 'location.githubRepo', 'extra']);
  });

  it('returns a plain request with only the schema\'s keys', () => {
    const result = parsePublishRequest(validText);
    expect(result.ok && Object.getPrototypeOf(result.request)).toBe(Object.prototype);
  });
});

describe('renderRequestExample', () => {
  it('is a fenced request that parses', () => {
    const example = renderRequestExample();
    expect(example.startsWith('```json\n')).toBe(true);
    expect(example.endsWith('\n```')).toBe(true);
    expect(parsePublishRequest(example).ok).toBe(true);
  });
});

describe('formatPath', () => {
  it('dots plain words, brackets indices and quotes any other key', () => {
    expect(formatPath([])).toBe('request');
    expect(formatPath(['location', 'githubOwner'])).toBe('location.githubOwner');
    expect(formatPath(['rolledBack', 0, 'by'])).toBe('rolledBack[0].by');
    expect(formatPath(['published', '1.2.0', 'sha256'])).toBe('published[`1.2.0`].sha256');
    expect(formatPath(['a\nb'])).toBe('[`a\\u{000A}b`]');
  });
});
