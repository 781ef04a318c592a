// The docs held to the code: every input, every repair kind, the README's first commands, the CLI line, and every link between the docs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const allDocs = docs.map(read).join('\n');

/** Fenced blocks of a Markdown text, in order, with their info string. */
function fencedBlocks(markdown: string): { info: string; lines: string[]; startLine: number }[] {
  const lines = markdown.split('\n');
  const blocks: { info: string; lines: string[]; startLine: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').startsWith(open[1] ?? '```')) end++;
    blocks.push({ info: (open[2] ?? '').trim(), lines: lines.slice(i + 1, end), startLine: i + 1 });
    i = end;
  }
  return blocks;
}

/** The text outside fenced blocks: where links and headings are. */
function prose(markdown: string): string {
  return markdown.replace(/^(`{3,}).*\n[\s\S]*?^\1\s*$/gm, '');
}

describe('README.md, first of all', () => {
  const readme = read('README.md');

  it('opens with exactly the two commands', () => {
    const [first] = fencedBlocks(readme);
    const commands = (first?.lines ?? []).map((line) => line.replace(/\s+#.*$/, '').trim());
    expect(commands.slice(0, 2)).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    // First: before any section of the README.
    expect(readme.indexOf('```')).toBeLessThan(readme.indexOf('\n## '));
  });

  it('holds the CLI lines verbatim', () => {
    for (const line of [
      'registrar publish --registry <dir> --storage <dir> --source <dir> --ref <tag> [--subdir <path>] <name>@<version>',
      'registrar audit --registry <dir> --storage <dir>',
      'registrar rollback --registry <dir> --storage <dir> <name>@<version> --reason <text>',
    ]) {
      expect(readme.split('\n')).toContain(line);
    }
  });

  it('names every CLI command and the local debugging line', () => {
    for (const command of ['publish', 'dry-run', 'rollback', 'reconcile', 'audit']) expect(readme).toContain(`\`${command}\``);
    expect(readme).toContain('npx local-action run . src/main.ts .env');
    expect(readme).toContain('npx registrar');
    expect(readme).toContain('node dist/cli.js');
  });
});

describe('every input and every repair kind is documented', () => {
  it('documents every input of action.yml', () => {
    const inputs = Object.keys((parseYaml(read('action.yml')) as { inputs: Record<string, unknown> }).inputs);
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((input) => !allDocs.includes(`\`${input}\``))).toEqual([]);
  });

  it('documents the ecosystem presets by name', () => {
    for (const preset of ['default', 'purescript', 'npm', 'crates']) expect(read('docs/formats.md')).toContain(`| \`${preset}\` |`);
  });

  it('gives every RepairKind an entry in the trustee runbook', () => {
    const outcomes = read('src/core/outcomes.ts');
    const union = /export type RepairKind =([^;]*);/.exec(outcomes)?.[1] ?? '';
    const kinds = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    expect(kinds.length).toBeGreaterThan(10);
    const runbook = read('docs/trustee-runbook.md');
    expect(kinds.filter((kind) => !runbook.includes(`\`${kind}\``))).toEqual([]);
  });

  it('gives every stuck state a section in the trustee runbook', () => {
    const headings = [...read('docs/trustee-runbook.md').matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]);
    for (const state of ['Failed before commit', 'Commit in doubt', 'Committed but not promoted', 'Rollback not cleaned',
      'A final object without metadata', 'A final object whose hash differs', 'Staging leftovers', 'An unreadable metadata file',
      'The repair issue']) {
      expect(headings).toContain(state);
    }
  });

  it('explains every comment command and label in the docs', () => {
    for (const command of ['/retry', '/rollback', '/help', '/status', '/dry-run']) expect(read('docs/author-guide.md')).toContain(`\`${command}`);
    for (const label of ['registrar/publish', 'registrar/published', 'registrar/failed', 'registrar/rolled-back', 'registrar/repair']) {
      expect(allDocs).toContain(`\`${label}\``);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Links

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to "-", repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading = ''] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe('links between the docs', () => {
  const links = docs.flatMap((doc) =>
    [...prose(read(doc)).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] ?? '')
      .filter((target) => !/^[a-z]+:/i.test(target))
      .map((target) => ({ doc, target })));

  it('are there to check', () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it.each(links.map(({ doc, target }) => [doc, target] as const))('%s → %s resolves', (doc, target) => {
    const [path = '', anchor] = target.split('#');
    const file = path === '' ? doc : normalize(join(dirname(doc), path));
    expect(relative(root, join(root, file)).startsWith('..')).toBe(false);
    expect({ target, exists: existsSync(join(root, file)) }).toEqual({ target, exists: true });
    if (anchor !== undefined) {
      expect(statSync(join(root, file)).isFile()).toBe(true);
      expect(anchorsOf(read(file))).toContain(anchor);
    }
  });
});

describe('the workflows the docs show', () => {
  it('pass actionlint and the repository\'s workflow rules', () => {
    const withWorkflows = docs.filter((doc) => fencedBlocks(read(doc)).some((b) => /^ya?ml$/.test(b.info) && b.lines.some((l) => l.startsWith('jobs:'))));
    expect(withWorkflows).toContain('README.md');
    const lint = spawnSync(process.execPath, ['scripts/lint-workflows.mjs', ...withWorkflows], { cwd: root, encoding: 'utf8' });
    expect({ status: lint.status, output: lint.stdout + lint.stderr }).toEqual({ status: 0, output: expect.stringContaining('no findings') });
  });
});

// ---------------------------------------------------------------------------------------------
// The AWS examples the quickstart points to

interface PolicyStatement { Sid?: string; Effect: string; Action: string | string[]; Resource?: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }
const awsJson = <T>(file: string) => JSON.parse(read(`examples/aws/${file}`)) as T;
const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** The IAM actions each S3 call of the adapter needs (a multipart Upload creates, uploads parts, completes or aborts). */
const IAM_ACTIONS: Record<string, string[]> = {
  PutObjectCommand: ['s3:PutObject'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  ListObjectsV2Command: ['s3:ListBucket'],
  Upload: ['s3:PutObject', 's3:AbortMultipartUpload'],
};

describe('examples/aws', () => {
  it('lets the role do every S3 call the adapter makes, and nothing else', () => {
    const calls = [...read('src/adapters/s3.ts').matchAll(/new (\w+Command|Upload)\(/g)].map((m) => m[1] ?? '');
    expect(calls.length).toBeGreaterThan(4);
    expect(calls.filter((call) => !(call in IAM_ACTIONS))).toEqual([]);
    const granted = awsJson<{ Statement: PolicyStatement[] }>('role-policy.json').Statement
      .filter((st) => st.Effect === 'Allow').flatMap((st) => list(st.Action));
    const needed = [...new Set(calls.flatMap((call) => IAM_ACTIONS[call] ?? []))].sort();
    expect([...new Set(granted)].sort()).toEqual(needed);
  });

  it('expires staging/ no sooner than the staging TTL, and nothing else', () => {
    const ttlHours = Number((parseYaml(read('action.yml')) as { inputs: Record<string, { default: string }> }).inputs['staging-ttl-hours']?.default);
    expect(ttlHours).toBeGreaterThan(0);
    const rules = awsJson<{ Rules: { Status: string; Filter: { Prefix: string }; Expiration?: { Days: number } }[] }>('lifecycle.json').Rules;
    for (const rule of rules) {
      expect(rule.Filter.Prefix).toBe('staging/');
      expect(rule.Status).toBe('Enabled');
      expect((rule.Expiration?.Days ?? Infinity) * 24).toBeGreaterThanOrEqual(ttlHours);
    }
  });

  it('trusts one repository on one branch, and lets exactly the roles the workflows assume write', () => {
    const [trust] = awsJson<{ Statement: PolicyStatement[] }>('trust-policy.json').Statement;
    expect(trust?.Condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    expect(trust?.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub']).toMatch(/^repo:[^/*]+\/[^:*]+:ref:refs\/heads\/[^*]+$/);
    const workflowDir = join(root, 'examples', '.github', 'workflows');
    const workflows = existsSync(workflowDir) ? readdirSync(workflowDir).map((f) => `examples/.github/workflows/${f}`) : [];
    const roles = new Set([...docs, ...workflows].flatMap((path) => [...read(path).matchAll(/role-to-assume: (\S+)/g)].map((m) => m[1])));
    expect(roles.size).toBeGreaterThan(0);
    for (const role of roles) expect(role).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const bucket = awsJson<{ Statement: PolicyStatement[] }>('bucket-policy.json').Statement;
    const exemptions = bucket.map((st) => Object.values(st.Condition?.ArnNotEquals ?? {}).flat()).filter((e) => e.length > 0);
    expect(exemptions.length).toBe(2);
    for (const exempted of exemptions) expect(new Set(exempted)).toEqual(roles);
  });
});
