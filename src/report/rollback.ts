// Renders the comment a trustee reads after `/rollback`: what left the registry, what left storage, and what is left to do.
import { ROLLBACK_STEPS, type RollbackOutcome } from '../core/outcomes.js';
import { scrub } from './status.js';

const escape = (text: string) => scrub(text).replace(/</g, '&lt;').replace(/@(?=[A-Za-z0-9])/g, '@\u200b');

export function renderRollback(outcome: RollbackOutcome): string {
  const subject = `\`${outcome.name}@${outcome.version}\``;
  const lines: string[] = [];
  switch (outcome.status) {
    case 'rolled-back':
      lines.push(outcome.already ? `### ↩️ ${subject} was already rolled back` : `### ↩️ Rolled back ${subject}`, '',
        `The registry no longer lists this version; the audit record keeps its hash \`${outcome.sha256}\`, who, when and why.`);
      if (outcome.deleted.length > 0) lines.push('', 'Removed from storage:', ...outcome.deleted.map((d) => `- \`${escape(d)}\``));
      lines.push('', 'The author may publish this version again (a new publish issue, or `/retry` on the original one).');
      break;
    case 'cleaned-leftovers':
      lines.push(`### 🧹 ${subject} was never published`, '', 'A failed attempt had left these staging objects; they are removed:',
        ...outcome.deleted.map((d) => `- \`${escape(d)}\``));
      break;
    case 'refused':
      lines.push(`### ❌ Could not roll back ${subject}`, '', escape(outcome.message), '', 'Nothing was changed.');
      if (outcome.hint) lines.push('', `**What to do:** ${escape(outcome.hint)}`);
      break;
    case 'failed':
      lines.push(`### ⚠️ Rolling back ${subject} did not finish`, '', escape(outcome.error.message), '',
        outcome.steps.includes('removed')
          ? 'The version is already out of the registry and cannot be published until the rollback is cleaned. Comment `/rollback` again to finish it (the scheduled reconcile finishes it too).'
          : outcome.removalInDoubt
            ? 'The removal commit was sent, but its answer was lost and no later read could tell whether it landed. Comment `/rollback` again: it finishes a removal that landed, or makes it.'
            : 'Nothing was committed. Comment `/rollback` again to retry.');
      break;
  }
  lines.push('', `<sub>${ROLLBACK_STEPS.map((s) => `${outcome.steps.includes(s) ? '✅' : '⬜'} ${s}`).join(' · ')}</sub>`);
  return lines.join('\n');
}
