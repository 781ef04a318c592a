// Runs one event end to end: intake reads it, the command table decides who may do what, the command runs over real adapters, and the run ends with a reaction and a state label.
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitHubTracker } from './adapters/github/tracker.js';
import { Trustees } from './adapters/github/trustees.js';
import { createS3Storage } from './adapters/s3.js';
import { intake } from './commands/intake.js';
import type { CommandContext, Deps, RunResult, Runtime } from './commands/context.js';
import { COMMANDS, entryFor, type CommandEntry, type Invocation } from './commands/table.js';
import { ANSWER_MARKER, DENIED_MARKER } from './core/markers.js';
import type { Settings } from './inputs.js';
import type { Log } from './pipeline/publish.js';
import { markState, reactToEnd, type IssueState } from './pipeline/status-comment.js';
import { renderDenied, renderUnknown } from './report/help.js';

export type { Deps, RunResult, Runtime } from './commands/context.js';

export function createDeps(settings: Settings, log: Log): Deps {
  const client = createGitHubClient({ token: settings.token, baseUrl: settings.apiUrl, paceMs: settings.paceMs });
  const team = settings.trusteeTeam && {
    org: settings.trusteeTeam.org, slug: settings.trusteeTeam.slug,
    client: createGitHubClient({ token: settings.trusteeTeam.token, baseUrl: settings.apiUrl, paceMs: settings.paceMs }),
  };
  return {
    registry: new GitHubRegistry(client, { ...settings.registry, serverUrl: settings.serverUrl, ecosystem: settings.ecosystem }),
    source: new GitHubSource(client, { allowPrivate: settings.allowPrivateSources }),
    tracker: new GitHubTracker(client, settings.tracker),
    backends: settings.backends.map(createS3Storage),
    trustees: new Trustees(settings.trusteeIds, team),
    log,
  };
}

export async function handleEvent(settings: Settings, eventName: string, payload: unknown, runtime: Runtime,
  deps: Deps = createDeps(settings, runtime.log)): Promise<RunResult> {
  const command = intake(eventName, payload, settings.ecosystem);
  if (command.kind === 'ignore') return { kind: 'ignored', why: command.why };
  const entry = entryFor(command);
  if (!entry) {
    // An unknown `/word` is answered in the issue's one answer comment: a stranger's hundred typos cost edits of one comment.
    await deps.tracker.upsertComment(command.issue, ANSWER_MARKER, renderUnknown(command.kind === 'slash' ? command.name : command.kind));
    return { kind: 'answered', issue: command.issue, command: 'unknown' };
  }
  // Anyone's commands (`/help`, `/status`) answer in one comment and nothing else: no reactions for a stranger to multiply.
  const costly = entry.who !== 'anyone';
  const allowed = await authorize(deps, runtime, entry, command);
  if (!allowed.ok) {
    await deny(deps, command);
    return { kind: 'denied', issue: command.issue, actor: command.trigger.actor, why: allowed.why };
  }
  // Work is acknowledged once it is known to run (as people expect of slash commands; a stranger's denied command gets
  // no 👀 saying it was picked up); best effort, and nothing waits on it.
  const acknowledged = costly ? reactTo(deps, runtime, command, 'eyes') : undefined;
  try {
    const result = await entry.run({ settings, runtime, deps } satisfies CommandContext, command);
    if (costly) await settle(deps, runtime, command, result);
    return result;
  } finally {
    await acknowledged;
  }
}

function reactTo(deps: Deps, runtime: Runtime, command: Invocation, content: 'eyes'): Promise<void> {
  return deps.tracker.react(command.issue, command.trigger.commentId, content)
    .catch((error: unknown) => runtime.log.warning(`Could not react to the ${command.trigger.commentId === undefined ? 'issue' : 'comment'}: ${(error as Error).message}`));
}

/**
 * Who may run an entry: anyone's commands need no check; an author's are the issue author's or a trustee's;
 * a trustee's — even a malformed one — are a trustee's alone. The check is one API call at most, made only for commands.
 */
async function authorize(deps: Deps, runtime: Runtime, entry: CommandEntry, command: Invocation): Promise<{ ok: true } | { ok: false; why: string }> {
  const actor = command.trigger.actor;
  if (entry.who === 'anyone') return { ok: true };
  if (entry.who === 'author' && actor.id === command.issueAuthor.id) return { ok: true };
  const check = await deps.trustees.check(actor);
  runtime.log.info(`Trustee check: ${check.why}.`);
  return check.trustee ? { ok: true } : { ok: false, why: check.why };
}

/** One answer per issue to commands their commenter may not run, updated in place. */
async function deny(deps: Deps, command: Invocation): Promise<void> {
  const what = command.kind === 'publish' ? 'a corrected request'
    : command.kind === 'malformed' ? 'a `/rollback`' : command.kind === 'slash' ? `a \`/${command.name}\`` : `a \`/${command.kind}\``;
  await deps.tracker.upsertComment(command.issue, DENIED_MARKER, renderDenied(COMMANDS, what, command.trigger.actor.id));
}

/** The run's end, where people look first: 🚀 or 😕 on what started it, and the issue's state label. Neither can fail the run. */
async function settle(deps: Deps, runtime: Runtime, command: Invocation, result: RunResult): Promise<void> {
  const state = stateOf(result);
  await reactToEnd(deps.tracker, command.issue, command.trigger.commentId, succeeded(result), runtime.log);
  if (state) await markState(deps.tracker, command.issue, state, runtime.log);
}

function succeeded(result: RunResult): boolean {
  switch (result.kind) {
    case 'publish': return result.outcome.status === 'published';
    case 'rollback': return result.outcome.status === 'rolled-back' || result.outcome.status === 'cleaned-leftovers';
    case 'dry-run': return result.outcome.status === 'planned' && result.outcome.plan !== 'refuse';
    default: return false;
  }
}

/** The issue's state after this run, when it changed one: the newest attempt's word wins. */
function stateOf(result: RunResult): IssueState | undefined {
  if (result.kind === 'publish') return result.outcome.status === 'published' ? 'published' : 'failed';
  if (result.kind === 'rollback' && result.outcome.status === 'rolled-back') return 'rolled-back';
  return undefined;
}
