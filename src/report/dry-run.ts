// Renders the `/dry-run` report: what a publish would do now (fresh, resume, refuse and why), and the tarball it would stage.
import type { DryRunOutcome } from '../core/outcomes.js';
import { renderRequestExample } from '../core/request.js';
import type { Ecosystem } from '../core/ecosystem.js';
import { inert, message } from './render.js';

/** Files listed by name; the rest are counted. */
export const DRY_RUN_FILES = 50;

const cell = (text: string) => inert(text, { inTable: true });

export function renderDryRun(outcome: DryRunOutcome, ecosystem?: Pick<Ecosystem, 'example'>): string {
  const subject = outcome.request ? inert(`${outcome.request.name}@${outcome.request.version}`) : 'this request';
  const lines = [`### 🧪 Dry run of ${subject}`, '', 'Nothing was written: no storage object, no registry commit.', ''];
  switch (outcome.status) {
    case 'planned': {
      const { tarball } = outcome;
      lines.push(...verdict(outcome), '',
        '| | |', '|---|---|',
        `| sha256 | ${cell(tarball.sha256)} |`,
        `| size | ${tarball.bytes} bytes |`,
        `| source commit | ${cell(tarball.commit)} |`,
        `| registry commit planned at | ${cell(outcome.head.slice(0, 12))} |`,
        '', `**Files** (${tarball.files.length}):`, '',
        ...tarball.files.slice(0, DRY_RUN_FILES).map((f) => `- ${inert(f)}`));
      if (tarball.files.length > DRY_RUN_FILES) lines.push(`- … and ${tarball.files.length - DRY_RUN_FILES} more.`);
      break;
    }
    case 'refused':
      lines.push(`**A publish would be refused:** ${message(outcome.message)}`);
      if (outcome.problems.length > 0) lines.push('', ...outcome.problems.map((p) => `- ${inert(p.field)}: ${message(p.message)}`));
      lines.push('', `**What to do:** ${outcome.hint ? message(outcome.hint) : 'Fix the request and comment it corrected on this issue, then `/dry-run` again.'}`,
        '', 'A request looks like this:', '', renderRequestExample(ecosystem));
      break;
    case 'failed':
      lines.push(`**The dry run could not finish:** ${message(outcome.error.message)}`, '',
        `**What to do:** ${message(outcome.error.hint?.replace('/retry', '/dry-run') ?? 'Comment `/dry-run` again.')}`);
      break;
  }
  return lines.join('\n');
}

function verdict(outcome: Extract<DryRunOutcome, { status: 'planned' }>): string[] {
  switch (outcome.plan) {
    case 'fresh':
      return ['**A publish would commit this version fresh**, then promote its tarball to every backend.', '',
        '**What to do:** if this is what you want, comment `/retry` (or wait for this issue\'s run).'];
    case 'resume':
      return ['**This issue already committed this version with these bytes:** a publish would resume at promote and finish it.', '',
        '**What to do:** comment `/retry` to finish it.'];
    case 'refuse':
      return [`**A publish would be refused:** ${message(outcome.reason ?? '')}`, '', `**What to do:** ${message(outcome.hint ?? 'Fix the request.')}`];
  }
}
