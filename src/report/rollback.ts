// Renders the comment a trustee reads after `/rollback`: what left the registry, what left storage, and what is left to do.
import { ROLLBACK_STEPS, type RollbackOutcome } from '../core/outcomes.js';
import { inert, message } from './render.js';
import { ledger, runLine, type StatusContext } from './status.js';

export function renderRollback(outcome: RollbackOutcome, context: Pick<StatusContext, 'run'> = {}): string {
  // A refused command that named no version exactly has no subject to show.
  const subject = outcome.name === '' ? 'a version' : inert(`${outcome.name}@${outcome.version}`);
  const lines: string[] = [];
  switch (outcome.status) {
    case 'rolled-back':
      lines.push(outcome.already ? `### ↩️ ${subject} was already rolled back` : `### ↩️ Rolled back ${subject}`, '',
        `The registry no longer lists this version; the audit record keeps its hash ${inert(outcome.sha256)}, who, when and why.`);
      if (outcome.deleted.length > 0) lines.push('', 'Removed from storage:', ...outcome.deleted.map((d) => `- ${inert(d)}`));
      lines.push('', 'These bytes can never be published again for this package, by anyone. The author may publish the version number '
        + 'again only with other bytes, from the same repository (fix it, tag it, and open a new publish issue); a new version is better.');
      break;
    case 'cleaned-leftovers':
      lines.push(`### 🧹 ${subject} was never published`, '', 'A failed attempt had left these staging objects; they are removed:',
        ...outcome.deleted.map((d) => `- ${inert(d)}`), '', 'Nothing else to do: the version was never in the registry.');
      break;
    case 'refused':
      lines.push(`### ❌ Could not roll back ${subject}`, '', message(outcome.message), '', 'Nothing was changed.');
      lines.push('', `**What to do:** ${message(outcome.hint ?? 'Comment a corrected `/rollback name@version reason`.')}`);
      break;
    case 'failed':
      lines.push(`### ⚠️ Rolling back ${subject} did not finish`, '', message(outcome.error.message), '',
        outcome.steps.includes('removed')
          ? 'The version is already out of the registry and cannot be published until the rollback is cleaned. Comment `/rollback` again to finish it (the scheduled reconcile finishes it too).'
          : outcome.removalInDoubt
            ? 'The removal commit was sent, but its answer was lost and no later read could tell whether it landed. Comment `/rollback` again: it finishes a removal that landed, or makes it.'
            : 'Nothing was committed. Comment `/rollback` again to retry.');
      break;
  }
  const from = runLine(context.run);
  lines.push('', `<sub>${ledger(outcome.steps, ROLLBACK_STEPS)}${from ? ` · ${from}` : ''}</sub>`);
  return lines.join('\n');
}
