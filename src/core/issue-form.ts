// Reads the markdown GitHub renders for the publish issue form (examples/.github/ISSUE_TEMPLATE/publish.yml) into the JSON request it stands for.
import { quote } from './names.js';

/**
 * The form's fields, in the form's order: `id` as in publish.yml, `label` exactly as GitHub renders it
 * (`### <label>`), and the request field it fills. A test holds publish.yml to this list.
 */
export const FORM_FIELDS = [
  { id: 'name', label: 'Package name', field: 'name', required: true, example: 'left-pad' },
  { id: 'version', label: 'Version', field: 'version', required: true, example: '1.2.0' },
  { id: 'ref', label: 'Git tag', field: 'ref', required: true, example: 'v1.2.0' },
  { id: 'repository', label: 'Source repository', field: 'location', required: true, example: 'acme/left-pad' },
  { id: 'subdir', label: 'Subdirectory', field: 'location.subdir', required: false, example: 'packages/left-pad' },
] as const;

type FormField = (typeof FORM_FIELDS)[number];

/** What GitHub writes for an optional field left empty. */
export const NO_RESPONSE = '_No response_';

export type FormRead = { ok: true; json: string } | { ok: false; problems: { field: string; message: string }[] };

// The label is trimmed in code: a lazy group before `[ \t]*$` would backtrack quadratically over a line of spaces.
const HEADING = /^ {0,3}### +(.*)$/;
const LABELS: ReadonlyMap<string, FormField> = new Map(FORM_FIELDS.map((f) => [f.label, f]));

function normalise(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split('\n');
}

/** The first line that is not blank, if it is a heading the form renders. */
function firstHeading(lines: readonly string[]): FormField | undefined {
  const first = lines.find((line) => line.trim() !== '');
  const match = first === undefined ? null : HEADING.exec(first);
  return match ? LABELS.get((match[1] ?? '').trimEnd()) : undefined;
}

/** Whether a text is the publish form as GitHub renders it: it starts with one of the form's `### <label>` headings. */
export function looksLikeIssueForm(text: string): boolean {
  return firstHeading(normalise(text.slice(0, 4096))) !== undefined;
}

interface Section { label: string; line: number; value: string[] }

function sections(lines: readonly string[]): Section[] {
  const found: Section[] = [];
  lines.forEach((line, index) => {
    const heading = HEADING.exec(line);
    if (heading) found.push({ label: (heading[1] ?? '').trimEnd(), line: index + 1, value: [] });
    else found.at(-1)?.value.push(line);
  });
  return found;
}

/** A field's answer: blank lines around it and trailing spaces dropped; GitHub's `_No response_` read as empty. */
function answer(section: Section): string[] {
  const lines = section.value.map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  return lines.length === 1 && lines[0]!.trim() === NO_RESPONSE ? [] : lines.map((l) => l.trim());
}

const ALL_LABELS = FORM_FIELDS.map((f) => quote(f.label)).join(', ');

/**
 * The rendered form as the JSON request it stands for, or undefined when the text is not the form (then it is
 * read as JSON). Strict like the JSON path: a heading the form does not define, a field given twice (which one
 * would count?), a required field left empty and a value over several lines are refused, naming the form's label.
 * The values themselves are checked by the request's own validation, on the one path every request takes.
 */
/** The most problems a form's refusal lists; the rest are counted. */
export const MAX_PROBLEMS = 20;

export function readIssueForm(text: string): FormRead | undefined {
  const lines = normalise(text);
  if (firstHeading(lines) === undefined) return undefined;
  const problems: { field: string; message: string }[] = [];
  const values = new Map<FormField, string>();
  for (const section of sections(lines)) {
    const field = LABELS.get(section.label);
    if (field === undefined) {
      problems.push({ field: 'request', message: `the section ${quote(section.label)} (line ${section.line}) is not a field of the publish form, whose fields are ${ALL_LABELS}; remove it, or put notes in a comment` });
      continue;
    }
    if (values.has(field)) {
      problems.push({ field: field.label, message: `${quote(field.label)} appears more than once (again on line ${section.line}), so it is unclear which one counts; keep exactly one` });
      continue;
    }
    const value = answer(section);
    if (value.length > 1) {
      problems.push({ field: field.label, message: `${quote(field.label)} must be one line, like ${quote(field.example)}; it has ${value.length}` });
    }
    values.set(field, value[0] ?? '');
  }
  for (const field of FORM_FIELDS) {
    if (field.required && !values.get(field)) {
      problems.push({ field: field.label, message: `${quote(field.label)} is required: give it, like ${quote(field.example)}` });
    }
  }
  if (problems.length > MAX_PROBLEMS) {
    // A stranger's thousand `### x` lines must not make a comment of thousands of lines: the first few say what is wrong.
    const more = problems.length - MAX_PROBLEMS;
    return { ok: false, problems: [...problems.slice(0, MAX_PROBLEMS), { field: 'request', message: `and ${more} more problem${more === 1 ? '' : 's'} like these` }] };
  }
  if (problems.length > 0) return { ok: false, problems };
  const get = (id: FormField['id']) => values.get(FORM_FIELDS.find((f) => f.id === id)!) ?? '';
  const repository = get('repository');
  const parts = repository.split('/');
  if (parts.length !== 2) {
    return { ok: false, problems: [{ field: 'Source repository', message: `${quote('Source repository')} is ${quote(repository)}; write it as owner/repo, like ${quote('acme/left-pad')} (not a URL)` }] };
  }
  const subdir = get('subdir');
  const request = {
    name: get('name'), version: get('version'), ref: get('ref'),
    location: { githubOwner: parts[0], githubRepo: parts[1], ...(subdir === '' ? {} : { subdir }) },
  };
  return { ok: true, json: JSON.stringify(request) };
}

const LABEL_OF: Readonly<Record<string, string>> = {
  name: 'Package name', version: 'Version', ref: 'Git tag',
  location: 'Source repository', 'location.githubOwner': 'Source repository', 'location.githubRepo': 'Source repository',
  'location.subdir': 'Subdirectory',
};

/** Problems found by the request's validation, named by the form's labels: what the author filled in, not JSON paths. */
export function withFormLabels<T extends { ok: boolean; problems?: { field: string; message: string }[] }>(parsed: T): T {
  if (parsed.ok || !parsed.problems) return parsed;
  return { ...parsed, problems: parsed.problems.map((p) => ({ field: LABEL_OF[p.field] ?? p.field, message: p.message })) };
}
