// The example workflows people copy (examples/.github/workflows/) pass actionlint and the repository's own rules, and say what the docs promise: the events, least privilege, OIDC, a per-issue queue, reconcile then audit.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = join(ROOT, 'examples/.github/workflows');
const run = promisify(execFile);

async function lint(...files: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/lint-workflows.mjs'), ...files], { cwd: ROOT });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}
const load = async (name: string) => parse(await readFile(join(EXAMPLES, name), 'utf8')) as any;

describe('examples/.github/workflows', () => {
  it('pass actionlint and the repository\'s rules (also by default, with the README\'s)', async () => {
    const examples = await lint(join(EXAMPLES, 'registrar.yml'), join(EXAMPLES, 'reconcile.yml'));
    expect(examples.out).toContain('2 workflow(s) checked by actionlint');
    expect(examples.out).toContain('no findings');
    expect(examples.code).toBe(0);
    const all = await lint();
    expect(all.out).toContain('no findings');
    expect(all.code).toBe(0);
  }, 60_000);

  it('are what the linter would refuse if broken: no top-level permissions, a plain concurrency group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registrar-workflows-'));
    const text = await readFile(join(EXAMPLES, 'registrar.yml'), 'utf8');
    const broken = join(dir, 'broken.yml');
    await writeFile(broken, text.replace('permissions: {}\n', '').replace('      queue: max\n', ''));
    const result = await lint(broken);
    expect(result.code).toBe(1);
    expect(result.out).toContain('top-level `permissions: {}`');
    expect(result.out).toContain('queue: max');
  }, 60_000);

  it('registrar.yml: issues opened and new comments, filtered, least privilege, OIDC, one queue per issue', async () => {
    const wf = await load('registrar.yml');
    expect(wf.on).toEqual({ issues: { types: ['opened'] }, issue_comment: { types: ['created'] } });
    expect(wf.permissions).toEqual({});
    const job = wf.jobs.registrar;
    expect(job.permissions).toEqual({ contents: 'write', issues: 'write', 'id-token': 'write' });
    expect(job.if).toContain("contains(github.event.issue.labels.*.name, 'registrar/publish')");
    expect(job.concurrency).toEqual({ group: 'registrar-issue-${{ github.event.issue.number }}', queue: 'max' });
    expect(job.steps[0].uses).toMatch(/^aws-actions\/configure-aws-credentials@/);
    expect(job.steps[0].with['role-to-assume']).toBeDefined();
    expect(JSON.stringify(job.steps)).not.toContain('secrets.');
  });

  it('reconcile.yml: schedule and workflow_dispatch, reconcile then audit on a full-history checkout', async () => {
    const wf = await load('reconcile.yml');
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const steps = wf.jobs.reconcile.steps as { uses?: string; if?: string; with?: Record<string, unknown> }[];
    const modes = steps.filter((s) => s.with?.mode).map((s) => s.with!.mode);
    expect(modes).toEqual(['reconcile', 'audit']);
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with).toMatchObject({ 'fetch-depth': 0, path: 'registry' });
    expect(steps.find((s) => s.with?.mode === 'audit')?.with?.['registry-path']).toBe('registry');
    expect(wf.jobs.reconcile.permissions).toMatchObject({ issues: 'write', 'id-token': 'write' });
  });
});
