// `/rollback`: finds the version a trustee means (named exactly, or this publish issue's own), runs the rollback pipeline, and reports it.
import type { Command } from './intake.js';
import type { CommandContext } from './context.js';
import { runOf } from './context.js';
import { quote } from '../core/names.js';
import { packageFromMarker, rollbackMarker } from '../core/markers.js';
import type { RollbackOutcome } from '../core/outcomes.js';
import { rollback } from '../pipeline/rollback.js';
import { renderRollback } from '../report/rollback.js';

export async function runRollback({ deps, settings, runtime }: CommandContext, command: Extract<Command, { kind: 'rollback' }>): Promise<RollbackOutcome> {
  const found: ThisIssuesVersion = command.target.kind === 'named'
    ? { kind: 'version', name: command.target.name, version: command.target.version }
    : await versionOfThisIssue({ deps, settings, runtime }, command.issue, command.trigger.commentId);
  if (found.kind !== 'version') return reportRollback({ deps, settings, runtime }, command, refusedRollback(found.message));
  const outcome = await rollback(deps, { run: settings.run, now: runtime.now, paceMs: settings.paceMs, ecosystem: settings.ecosystem }, {
    issue: command.issue, name: found.name, version: found.version, reason: command.reason,
    actor: command.trigger.actor, commentId: command.trigger.commentId, at: command.trigger.at,
  });
  return reportRollback({ deps, settings, runtime }, command, outcome);
}

type ThisIssuesVersion = { kind: 'version'; name: string; version: string } | { kind: 'none'; message: string };

/**
 * What a bare `/rollback` on a publish issue means: the one version this issue published, as the registry
 * records it. Registrar's status comments written before the command name the candidates — a hint only
 * (any bot can write a marker, and later comments are not what the trustee saw) — and the registry is the
 * proof: `published[version].issue` is this issue, or a rollback of it from this issue is still cleaning.
 * More than one such version, or none, is refused with a request to name it.
 */
async function versionOfThisIssue({ deps, settings }: CommandContext, issue: number, commandId: number | undefined): Promise<ThisIssuesVersion> {
  const NAME_IT = 'Nothing was changed. Say which version: `/rollback name@version reason`.';
  const named = (await deps.tracker.comments(issue))
    .filter((c) => c.author.bot && (commandId === undefined || c.id < commandId))
    .map((c) => packageFromMarker(c.body, settings.ecosystem)).filter((p) => p !== undefined);
  const candidates = [...new Map(named.map((p) => [`${p.name}@${p.version}`, p])).values()];
  const confirmed: { name: string; version: string }[] = [];
  const finished: string[] = [];
  for (const candidate of candidates) {
    const { metadata } = await deps.registry.snapshot(candidate.name);
    if (!metadata) continue;
    const published = Object.hasOwn(metadata.published, candidate.version) ? metadata.published[candidate.version] : undefined;
    const records = metadata.rolledBack.filter((r) => r.version === candidate.version && r.issue === issue);
    if (published?.issue === issue || records.some((r) => !r.cleaned)) confirmed.push(candidate);
    // Rolled back and cleaned: whatever is published under that number now came from another issue, and is not this one's.
    else if (records.length > 0) finished.push(`${candidate.name}@${candidate.version}`);
  }
  if (confirmed.length === 1) return { kind: 'version', ...confirmed[0]! };
  if (confirmed.length > 1) {
    return { kind: 'none', message: `This issue published more than one version (${confirmed.map((c) => quote(`${c.name}@${c.version}`)).join(', ')}), so a bare \`/rollback\` is ambiguous. ${NAME_IT}` };
  }
  if (finished.length > 0) {
    return { kind: 'none', message: `What this issue published (${finished.map((f) => quote(f)).join(', ')}) was already rolled back. ${NAME_IT}` };
  }
  return { kind: 'none', message: `This issue did not publish a version Registrar can confirm in the registry, so a bare \`/rollback\` has no target. ${NAME_IT}` };
}

export function refusedRollback(message: string): RollbackOutcome {
  return { status: 'refused', name: '', version: '', steps: [], message, hint: undefined };
}

/** The rollback's report: one comment per `/rollback` comment (and run attempt). */
export async function reportRollback({ deps, settings }: CommandContext, command: { issue: number; trigger: { commentId?: number } },
  outcome: RollbackOutcome): Promise<RollbackOutcome> {
  await deps.tracker.upsertComment(command.issue, rollbackMarker(command.trigger.commentId, settings.run),
    renderRollback(outcome, { run: runOf(settings) }));
  return outcome;
}
