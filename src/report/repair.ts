// Markdown for reconcile's repair report and audit's findings, for a job summary or a terminal: what was done, what needs a person, what was left and why.
import type { AuditReport, AuditViolation, RepairItem, RepairReport } from '../core/outcomes.js';
import { inert, message } from './render.js';

const LABELS: Record<RepairItem['kind'], string> = {
  'promoted': 'promoted',
  'rollback-finished': 'rollback finished',
  'staging-deleted': 'staging deleted',
  'orphan-staging-deleted': 'orphan staging deleted',
  'rolled-back-final-deleted': 'rolled-back final deleted',
  'final-mismatch': 'final object differs from the registry',
  'final-without-metadata': 'final object without metadata',
  'unknown-key': 'unknown key',
  'unreadable-metadata': 'unreadable metadata',
  'promote-failed': 'promote failed',
  'rollback-failed': 'rollback failed',
  'failed': 'failed',
  'young-staging': 'young staging object',
  'promote-window': 'inside the promote window',
  'staging-unpromoted': 'staging object still needed',
  'changed-meanwhile': 'changed meanwhile',
};

function where(item: { backend?: string; key?: string; name?: string; version?: string; sha256?: string }): string {
  const parts: string[] = [];
  if (item.name !== undefined) parts.push(inert(item.version === undefined ? item.name : `${item.name}@${item.version}`));
  if (item.backend !== undefined) parts.push(`in ${inert(item.backend)}`);
  if (item.key !== undefined) parts.push(`key ${inert(item.key)}`);
  if (item.sha256 !== undefined) parts.push(`sha256 ${inert(item.sha256)}`);
  return parts.join(' ');
}

function itemLine(item: RepairItem): string {
  const place = where(item);
  return `- **${LABELS[item.kind]}**${place ? ` — ${place}` : ''}: ${message(item.detail)}`;
}

function section(title: string, items: RepairItem[], empty: string): string[] {
  const lines = [`#### ${title} (${items.length})`, ''];
  if (items.length === 0) lines.push(empty);
  else lines.push(...items.map(itemLine));
  lines.push('');
  return lines;
}

export function renderRepairReport(report: RepairReport): string {
  const verdict = report.needsHuman.length === 0 ? 'nothing needs a person' : `${report.needsHuman.length} item(s) need a person`;
  return [
    `### Registrar reconcile${report.dryRun ? ' (dry run: nothing was written)' : ''}`,
    '',
    `At registry commit ${inert(report.head.slice(0, 12))}: ${report.actions.length} repair(s), ${verdict}, ${report.left.length} left on purpose.`,
    '',
    ...section(report.dryRun ? 'Would do' : 'Done', report.actions, 'Nothing to repair.'),
    ...section('Needs a person', report.needsHuman,
      'Nothing: every object matches the registry or was repaired.'),
    ...section('Left on purpose', report.left, 'Nothing.'),
  ].join('\n');
}

const INVARIANTS: Record<AuditViolation['invariant'], string> = {
  1: 'Immutable versions',
  2: 'No uncommitted final objects',
  5: 'No garbage',
};

export function renderAuditReport(report: AuditReport): string {
  const { checked, violations } = report;
  const lines = [
    '### Registrar audit',
    '',
    `At registry commit ${inert(report.head.slice(0, 12))}: ${checked.commits} commit(s) walked, ${checked.packages} package(s), `
      + `${checked.objects} object(s) listed, ${checked.hashed} read and hashed.`,
    '',
  ];
  if (violations.length === 0) {
    lines.push('No violations of invariants 1, 2 or 5.', '');
    return lines.join('\n');
  }
  lines.push(`**${violations.length} violation(s).**`, '');
  for (const invariant of [1, 2, 5] as const) {
    const found = violations.filter((v) => v.invariant === invariant);
    if (found.length === 0) continue;
    lines.push(`#### Invariant ${invariant}: ${INVARIANTS[invariant]} (${found.length})`, '');
    for (const v of found) {
      const place = where(v);
      lines.push(`- ${place ? `${place}${v.commit ? ` at commit ${inert(v.commit.slice(0, 12))}` : ''}: ` : ''}${message(v.message)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
