// The publish form as GitHub renders it becomes the same request as its JSON, through the same validation; anything else in it is refused, naming the form's labels.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { holdsRequest } from '../../src/commands/intake.js';
import { ecosystemFor } from '../../src/core/ecosystem.js';
import { FORM_FIELDS, MAX_PROBLEMS, looksLikeIssueForm, readIssueForm } from '../../src/core/issue-form.js';
import { parsePublishRequest } from '../../src/core/request.js';

/**
 * GitHub's rendering of a submitted issue form: `### <label>`, a blank line, the answer (or `_No response_` for an
 * empty optional field), fields separated by a blank line, no trailing newline.
 */
const RENDERED = '### Package name\n\nleft-pad\n\n### Version\n\n1.2.0\n\n### Git tag\n\nv1.2.0\n\n### Source repository\n\nacme/left-pad\n\n### Subdirectory\n\n_No response_';
const EXPECTED = { name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', location: { githubOwner: 'acme', githubRepo: 'left-pad' } };

function form(values: Partial<Record<string, string>>): string {
  return FORM_FIELDS.map((f) => `### ${f.label}\n\n${values[f.id] ?? '_No response_'}`).join('\n\n');
}
const problemsOf = (text: string) => {
  const parsed = parsePublishRequest(text);
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.request)}`);
  return parsed.problems;
};

describe('a rendered publish form', () => {
  it('is read as the request its fields stand for, exactly like the JSON request', () => {
    expect(parsePublishRequest(RENDERED)).toEqual({ ok: true, request: EXPECTED });
    expect(parsePublishRequest(JSON.stringify(EXPECTED))).toEqual(parsePublishRequest(RENDERED));
  });

  it('follows the registry\'s ecosystem, as the JSON request does: a scoped npm prerelease is a request under npm only', () => {
    const scoped = form({ name: '@acme/left-pad', version: '2.0.0-canary.1', ref: 'v2.0.0-canary.1', repository: 'acme/left-pad' });
    const json = JSON.stringify({ name: '@acme/left-pad', version: '2.0.0-canary.1', ref: 'v2.0.0-canary.1', location: { githubOwner: 'acme', githubRepo: 'left-pad' } });
    const npm = ecosystemFor('npm');
    expect(parsePublishRequest(scoped, npm)).toEqual(parsePublishRequest(json, npm));
    expect(parsePublishRequest(scoped, npm).ok).toBe(true);
    expect(parsePublishRequest(scoped).ok).toBe(false);
  });

  it('reads CRLF line ends, trailing spaces and a trailing newline as the same request', () => {
    const crlf = `${RENDERED.replaceAll('\n', '\r\n').replace('left-pad\r\n', 'left-pad   \r\n').replace('1.2.0\r\n', '1.2.0\t \r\n')}\r\n`;
    expect(parsePublishRequest(crlf)).toEqual({ ok: true, request: EXPECTED });
  });

  it('keeps an answered subdirectory and leaves out an empty one', () => {
    const parsed = parsePublishRequest(form({ name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', repository: 'acme/left-pad', subdir: 'packages/left-pad' }));
    expect(parsed).toEqual({ ok: true, request: { ...EXPECTED, location: { ...EXPECTED.location, subdir: 'packages/left-pad' } } });
  });

  it('counts as a request for intake, and prose starting with another heading does not', () => {
    expect(holdsRequest(RENDERED)).toBe(true);
    expect(holdsRequest(`\n\n  ${RENDERED}`)).toBe(true);
    expect(looksLikeIssueForm('### Steps to reproduce\n\nIt crashes.')).toBe(false);
    expect(holdsRequest('### Steps to reproduce\n\nIt crashes.')).toBe(false);
    expect(readIssueForm('{"name": "x"}')).toBeUndefined();
  });
});

describe('what the form does not allow', () => {
  it('refuses a field given twice: which one would count is unclear', () => {
    const twice = `${RENDERED}\n\n### Version\n\n9.9.9`;
    expect(problemsOf(twice)).toEqual([{ field: 'Version', message: expect.stringContaining('appears more than once') }]);
  });

  it('refuses a heading the form does not define, naming it and the real fields', () => {
    const extra = `${RENDERED}\n\n### Notes\n\nplease hurry`;
    const [problem, ...rest] = problemsOf(extra);
    expect(rest).toEqual([]);
    expect(problem!.message).toContain('`Notes`');
    expect(problem!.message).toContain('`Package name`');
  });

  it('refuses a label with a different spelling, since it is not the form\'s', () => {
    const renamed = RENDERED.replace('### Git tag', '### Git Tag');
    const messages = problemsOf(renamed).map((p) => p.message).join('\n');
    expect(messages).toContain('`Git Tag`');
    expect(messages).toContain('`Git tag` is required');
  });

  it('refuses a required field left empty, by its label', () => {
    expect(problemsOf(form({ name: 'left-pad', version: '1.2.0', repository: 'acme/left-pad' })))
      .toEqual([{ field: 'Git tag', message: expect.stringContaining('`Git tag` is required') }]);
  });

  it('refuses a value over several lines, and a heading slipped into a value', () => {
    expect(problemsOf(form({ name: 'left-pad\nright-pad', version: '1.2.0', ref: 'v1.2.0', repository: 'acme/left-pad' })))
      .toEqual([{ field: 'Package name', message: expect.stringContaining('must be one line') }]);
    expect(problemsOf(form({ name: 'left-pad', version: '1.2.0\n\n### Subdirectory\n\n../..', ref: 'v1.2.0', repository: 'acme/left-pad' }))
      .map((p) => p.field)).toContain('Subdirectory');
  });

  it('sends markdown in a value to the request validation, which refuses it under the form\'s label', () => {
    for (const name of ['**left-pad**', '`left-pad`', '[left-pad](https://evil.example)', '@left-pad']) {
      const problems = problemsOf(form({ name, version: '1.2.0', ref: 'v1.2.0', repository: 'acme/left-pad' }));
      expect(problems.map((p) => p.field)).toEqual(['Package name']);
    }
  });

  it('refuses a repository that is not owner/repo (a URL, a bare name), and names the field of a bad owner', () => {
    for (const repository of ['https://github.com/acme/left-pad', 'left-pad', 'acme/left/pad']) {
      expect(problemsOf(form({ name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', repository })))
        .toEqual([{ field: 'Source repository', message: expect.stringContaining('owner/repo') }]);
    }
    expect(problemsOf(form({ name: 'left-pad', version: '1.2.0', ref: 'v1.2.0', repository: '-acme/left-pad' })).map((p) => p.field))
      .toEqual(['Source repository']);
  });

  it('lists at most MAX_PROBLEMS problems, counting the rest: a stranger\'s hundreds of headings make no comment of hundreds of lines', () => {
    const problems = problemsOf(`### Package name\n\nleft-pad\n\n${Array.from({ length: 500 }, (_, i) => `### e${i}\n\nx`).join('\n\n')}`);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems.at(-1)!.message).toMatch(/^and \d+ more problems like these$/);
  });
});

describe('examples/.github/ISSUE_TEMPLATE/publish.yml', () => {
  const template = parse(readFileSync(resolve(import.meta.dirname, '../../examples/.github/ISSUE_TEMPLATE/publish.yml'), 'utf8')) as {
    name: string; description: string; labels: string[];
    body: { type: string; id?: string; attributes: { label?: string }; validations?: { required?: boolean } }[];
  };

  it('defines exactly the fields Registrar reads, with the same ids, labels and required flags', () => {
    const inputs = template.body.filter((b) => b.type !== 'markdown');
    expect(inputs.map((b) => ({ type: b.type, id: b.id, label: b.attributes.label, required: b.validations?.required ?? false })))
      .toEqual(FORM_FIELDS.map((f) => ({ type: 'input', id: f.id, label: f.label, required: f.required })));
  });

  it('applies the label the example workflow filters on', () => {
    expect(template.labels).toEqual(['registrar/publish']);
    expect(template.name).toBeTruthy();
    expect(template.description).toBeTruthy();
  });
});
