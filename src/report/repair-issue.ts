// Markdown for the repair issue: each item reconcile left for a person, where it is, and the exact command or step that fixes it.
import type { RepairItem, RepairReport } from '../core/outcomes.js';
import { inert, message } from './render.js';

export interface RepairIssueContext {
  /** The registry repository, `owner/repo` (from the workflow's settings, not from storage). */
  registry: string;
  /** The workflow run that wrote this version of the issue, when there is one. */
  runUrl: string | undefined;
}

/** The issue's title: counts only, so nothing a stranger wrote can reach it. */
export function repairIssueTitle(report: RepairReport): string {
  const n = report.needsHuman.length;
  return `Registrar reconcile: ${n} registry item${n === 1 ? '' : 's'} need${n === 1 ? 's' : ''} a person`;
}

/** The whole body, rewritten on every run: it always says what the newest run found. */
export function renderRepairIssue(report: RepairReport, context: RepairIssueContext): string {
  const items = report.needsHuman;
  return [
    `### 🛠️ ${items.length} item${items.length === 1 ? '' : 's'} in the registry need${items.length === 1 ? 's' : ''} a person`,
    '',
    `The scheduled reconcile repairs what interrupted runs leave, but it never deletes or overwrites a final object whose `
      + `bytes it cannot prove, and it cannot fix a metadata file it cannot read. Each item below says what was found and `
      + `the command or step that fixes it.`,
    '',
    ...items.flatMap((item, index) => renderItem(item, index + 1, context)),
    '---',
    `Found at registry commit ${inert(report.head.slice(0, 12))}${context.runUrl ? ` by [this workflow run](${context.runUrl})` : ''}. `
      + 'Registrar rewrites this issue on every reconcile run and closes it when a run finds nothing that needs a person. '
      + `To check now, run the reconcile workflow by hand (Actions → reconcile → Run workflow), or from a terminal: `
      + `\`registrar reconcile --registry-repository ${context.registry} --backends '<the backends JSON>'\`.`,
  ].join('\n');
}

/** The closing comment, when a later run finds nothing left for a person. */
export function renderRepairResolved(report: RepairReport, context: RepairIssueContext): string {
  return [
    '### ✅ Nothing needs a person any more',
    '',
    `Reconcile at registry commit ${inert(report.head.slice(0, 12))}${context.runUrl ? ` ([workflow run](${context.runUrl}))` : ''} `
      + `found no item for a person (${report.actions.length} repair(s) done, ${report.left.length} left on purpose). Closing this issue; `
      + 'Registrar opens it again if a later run finds something.',
  ].join('\n');
}

const TITLES: Partial<Record<RepairItem['kind'], string>> = {
  'final-mismatch': 'A final object holds other bytes than the registry records',
  'final-without-metadata': 'A final object that no registry entry covers',
  'unreadable-metadata': 'A metadata file Registrar cannot read',
  'promote-failed': 'A committed version could not be promoted',
  'rollback-failed': 'A rollback could not be finished',
  'failed': 'A check or repair failed',
};

function renderItem(item: RepairItem, number: number, context: RepairIssueContext): string[] {
  const place: string[] = [];
  if (item.name !== undefined) place.push(`package ${inert(item.version === undefined ? item.name : `${item.name}@${item.version}`)}`);
  if (item.backend !== undefined) place.push(`backend ${inert(item.backend)}`);
  if (item.key !== undefined) place.push(`key ${inert(item.key)}`);
  if (item.sha256 !== undefined) place.push(`registry sha256 ${inert(item.sha256)}`);
  return [
    `#### ${number}. ${TITLES[item.kind] ?? 'Needs a person'}`,
    '',
    ...(place.length > 0 ? [`- **Where:** ${place.join(', ')}`] : []),
    `- **Found:** ${message(item.detail)}`,
    `- **Fix:** ${fixFor(item, context)}`,
    '',
  ];
}

/** A target only when it names a version: a trustee's command is built from exact names, never a guess (rule 13). */
function target(item: RepairItem): string | undefined {
  return item.name !== undefined && item.version !== undefined ? `${item.name}@${item.version}` : undefined;
}

/** Commands are shown whole (a cut command would do something else), up to a bound that no valid name reaches. */
const COMMAND = { cap: 1_000 };

/** The step that fixes one item. Commands are code spans (inert): what a person copies is exactly what was found. */
function fixFor(item: RepairItem, context: RepairIssueContext): string {
  const version = target(item);
  const rollback = version === undefined ? undefined
    : `a trustee comments ${inert(`/rollback ${version} <reason>`, COMMAND)} on any issue Registrar watches, or runs `
      + `${inert(`registrar rollback --registry-repository ${context.registry} --backends '<the backends JSON>' ${version} --reason '<reason>'`, COMMAND)}`;
  const object = item.key !== undefined && item.backend !== undefined ? `${inert(item.key)} in backend ${inert(item.backend)}` : 'the object';
  switch (item.kind) {
    case 'final-mismatch':
      return `Registrar never overwrites a final object. If the registry's entry is right, delete ${object} (after keeping a copy `
        + `if you want to know how it got there): the next reconcile promotes the committed bytes again. If the version itself `
        + `must go, ${rollback ?? 'roll it back'}.`;
    case 'final-without-metadata':
      return `No committed version refers to ${object}. Check where it came from (the storage's access logs), then delete it; `
        + 'reconcile reports it until then and never deletes it on its own.';
    case 'unreadable-metadata':
      return `Repair the package's metadata file (the path is in what was found) with a commit to ${inert(context.registry)}; `
        + 'until then reconcile leaves every object of this package alone, and publishes of it are refused.';
    case 'promote-failed':
      return 'Usually a storage or network failure: the next reconcile tries again. To finish it now, the author comments '
        + `\`/retry\` on the version's publish issue, or run the reconcile workflow by hand. If it keeps failing, what was found says what the service answered${rollback ? `; to withdraw the version instead, ${rollback}` : ''}.`;
    case 'rollback-failed':
      return `The rollback's record is in the registry, so the next reconcile tries again. To finish it now, ${rollback ?? 'a trustee repeats the `/rollback` command'}.`;
    default:
      return 'The next reconcile tries again; if the same item stays, what was found says what the service answered.';
  }
}
