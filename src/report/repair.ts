// Markdown for reconcile's repair report and audit's findings, for a job summary or a terminal: what was done, what needs a person, what was left and why.
import type { AuditReport, AuditViolation, RepairItem, RepairReport } from '../core/outcomes.js';

/**
 * Untrusted text (storage keys are not validated; error messages quote them) made inert for a code span:
 * control and bidi characters become visible escapes, and the fence is longer than any backtick run inside.
 */
export function code(text: string): string {
  const visible = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const longest = Math.max(0, ...[...visible.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  if (visible === '') return '` `';
  const pad = visible.startsWith('`') || visible.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${visible}${pad}${fence}`;
}

/**
 * Untrusted text as plain markdown: one line, markdown's punctuation backslash-escaped, HTML and
 * mentions broken, so a key or message can neither format the report nor ping anyone.
 */
export function plain(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu, ' ')
    // The text never starts a line, so only inline syntax needs escaping (not `#`, `-`, `1.` and the like).
    .replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`)
    .replace(/(^|[^A-Za-z0-9_.-])@(?=[A-Za-z0-9])/g, '$1@\u200b'); // only where GitHub would see a mention
}

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
  if (item.name !== undefined) parts.push(code(item.version === undefined ? item.name : `${item.name}@${item.version}`));
  if (item.backend !== undefined) parts.push(`in ${code(item.backend)}`);
  if (item.key !== undefined) parts.push(`key ${code(item.key)}`);
  if (item.sha256 !== undefined) parts.push(`sha256 ${code(item.sha256)}`);
  return parts.join(' ');
}

function itemLine(item: RepairItem): string {
  const place = where(item);
  return `- **${LABELS[item.kind]}**${place ? ` — ${place}` : ''}: ${plain(item.detail)}`;
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
    `At registry commit ${code(report.head.slice(0, 12))}: ${report.actions.length} repair(s), ${verdict}, ${report.left.length} left on purpose.`,
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
    `At registry commit ${code(report.head.slice(0, 12))}: ${checked.commits} commit(s) walked, ${checked.packages} package(s), `
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
      lines.push(`- ${place ? `${place}${v.commit ? ` at commit ${code(v.commit.slice(0, 12))}` : ''}: ` : ''}${plain(v.message)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
