// Renders the status comment an author reads on the publish issue, one per attempt.
import { packageMarker, stateMarker } from '../core/markers.js';
import { inert, message } from './render.js';
import { renderRequestExample } from '../core/request.js';
import type { Ecosystem } from '../core/ecosystem.js';
import { STEPS, type Durations, type PublishOutcome, type Step } from '../core/outcomes.js';
import type { Registry } from '../ports.js';

/** What a failed attempt leaves behind, from its ledger: the author must never be told less (or more) than what is kept. */
function failedState(steps: Step[], commitInDoubt: boolean): string {
  if (steps.includes('promoted')) {
    return '**The version is published:** committed to the registry and its tarball promoted to every backend. '
      + 'A last step did not finish; `/retry` finishes it and changes nothing that is published.';
  }
  if (steps.includes('committed')) {
    return '**The version is committed** to the registry, but its tarball is not yet everywhere it belongs. '
      + '`/retry` finishes promoting it; it will not publish anything else.';
  }
  if (commitInDoubt) {
    return 'The registry commit was sent, but its answer was lost and no later read could tell whether it landed. '
      + '`/retry` finds out and finishes it either way; it never publishes anything twice.';
  }
  return 'Nothing was committed to the registry. `/retry` publishes from scratch; whatever this attempt left in storage is picked up or cleaned.';
}

/** A service refused Registrar itself (its token, its credentials, its setup): the author cannot fix that, and must be told who can. */
function serviceRefusal(reason: string | undefined): string {
  return reason === 'permission' || reason === 'credentials' || reason === 'configuration'
    ? ' This is the registry\'s setup, not your request: tell the registry\'s maintainers, and comment `/retry` once they have fixed it.'
    : '';
}

/** A value in a table cell, where `|` would end the cell even inside a code span. */
const cell = (text: string) => inert(text, { inTable: true });

/** What a status comment links to besides the outcome: registry commits, and the workflow run that wrote it. */
export interface StatusContext {
  registry: Pick<Registry, 'commitUrl'>;
  /** The workflow run and attempt; `url` is its page (absent outside Actions). */
  run?: { id: string; attempt: number; url?: string };
  /** The registry's ecosystem, whose kind of name and version the example request shows (default: today's). */
  ecosystem?: Pick<Ecosystem, 'example'>;
}

/** A step's duration as people read it: milliseconds under a second, else seconds with one decimal. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The step ledger: each step done or not, and how long each done step took. */
export function ledger(steps: readonly string[], all: readonly string[] = STEPS, durations: Durations = {}): string {
  return all.map((step) => {
    const took = durations[step as Step];
    return `${steps.includes(step) ? '✅' : '⬜'} ${step}${steps.includes(step) && took !== undefined ? ` (${formatDuration(took)})` : ''}`;
  }).join(' · ');
}

/** The run line under a comment: which workflow run wrote it, linked to its log (where the whole story is). */
export function runLine(run: StatusContext['run']): string | undefined {
  if (!run) return undefined;
  const label = `workflow run ${run.id}, attempt ${run.attempt}`;
  return run.url ? `[${label}](${run.url})` : label;
}

export function renderPublishStatus(outcome: PublishOutcome, context: StatusContext): string {
  const lines: string[] = [];
  const subject = outcome.request ? inert(`${outcome.request.name}@${outcome.request.version}`) : 'this request';
  switch (outcome.status) {
    case 'working': {
      lines.push(`### ⏳ Publishing ${subject}`, '',
        outcome.steps.includes('committed')
          ? 'The version is committed to the registry; its tarball is being promoted to its final place.'
          : 'Building the tarball from the tag and staging it; nothing is committed yet.');
      break;
    }
    case 'published': {
      const { entry } = outcome;
      lines.push(`### ✅ Published ${subject}`, '');
      if (outcome.resumed) lines.push('This version was already committed by this issue; this attempt finished promoting it.', '');
      lines.push('| | |', '|---|---|',
        `| version | ${cell(outcome.request.version)} |`,
        `| sha256 | ${cell(entry.sha256)} |`,
        `| size | ${entry.bytes} bytes |`,
        `| source | ${cell(`${outcome.request.location.githubOwner}/${outcome.request.location.githubRepo}`)} at ${cell(entry.ref)} (${cell(entry.commit)}) |`);
      if (outcome.commit) lines.push(`| registry commit | [${outcome.commit.sha.slice(0, 12)}](${context.registry.commitUrl(outcome.commit.sha)}) |`);
      for (const location of outcome.locations) {
        lines.push(`| tarball (${location.backend}) | ${location.url ? `[${location.key}](${location.url})` : cell(location.key)} |`);
      }
      lines.push('', '**What to do:** nothing; the version is live. A later version needs a new publish issue.');
      break;
    }
    case 'refused': {
      lines.push(`### ❌ Could not publish ${subject}`, '', message(outcome.message));
      if (outcome.problems.length > 0) {
        lines.push('', ...outcome.problems.map((p) => `- ${inert(p.field)}: ${message(p.message)}`));
      }
      // Said only where it is true: a version that was committed stays committed unless a rollback took it (then the message says so).
      if (!outcome.steps.includes('committed')) {
        lines.push('', outcome.steps.includes('staged')
          ? 'Nothing was committed to the registry, and what this attempt staged has been taken back.'
          : 'Nothing was written to the registry or to storage.');
      }
      if (outcome.hint) lines.push('', `**What to do:** ${message(outcome.hint)}`);
      if (!outcome.final) {
        lines.push('', 'Comment a corrected request on this issue. A request looks like this:', '', renderRequestExample(context.ecosystem));
      }
      break;
    }
    case 'failed': {
      lines.push(`### ⚠️ Publishing ${subject} failed`, '', message(outcome.error.message), '', failedState(outcome.steps, outcome.commitInDoubt ?? false),
        '', `**What to do:** ${message(outcome.error.hint ?? 'Comment `/retry` on this issue to try again.')}${serviceRefusal(outcome.error.reason)}`);
      break;
    }
  }
  const from = runLine(context.run);
  lines.push('', `<sub>${ledger(outcome.steps, STEPS, outcome.durations)}${from ? ` · ${from}` : ''}</sub>`);
  // Machine-readable: what `/status` reads back (from Registrar's own comments only).
  lines.push(stateMarker(outcome.status));
  // Machine-readable, in Registrar's own comment (which others cannot edit): what a bare `/rollback` here means.
  if (outcome.request) lines.push(packageMarker(outcome.request.name, outcome.request.version));
  return lines.join('\n');
}
