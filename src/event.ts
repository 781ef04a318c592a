// Runs one event end to end: the command table decides who may do what, then the command's pipeline runs over real adapters.
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitHubTracker } from './adapters/github/tracker.js';
import { Trustees } from './adapters/github/trustees.js';
import { createS3Storage } from './adapters/s3.js';
import { holdsRequest, intake, type Command } from './commands/intake.js';
import { quote } from './core/names.js';
import { DENIED_MARKER, MARKER_PREFIX, packageFromMarker, rollbackMarker } from './core/markers.js';
import type { Actor } from './core/types.js';
import type { Settings } from './inputs.js';
import type { PublishOutcome, RollbackOutcome } from './core/outcomes.js';
import { publish, type Log, type PublishDeps } from './pipeline/publish.js';
import { rollback } from './pipeline/rollback.js';
import { renderRollback } from './report/rollback.js';
import type { Tracker } from './ports.js';

export type RunResult =
  | { kind: 'ignored'; why: string }
  | { kind: 'denied'; issue: number; actor: Actor; why: string }
  | { kind: 'publish'; outcome: PublishOutcome }
  | { kind: 'rollback'; outcome: RollbackOutcome };

export interface Runtime {
  log: Log;
  now: () => Date;
}

export interface Deps extends PublishDeps {
  trustees: Trustees;
}

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

/**
 * The command table: who may run each command. Publishing a tag is open to anyone (the tag is the
 * authority); re-running or correcting an issue's request is its author's or a trustee's; a rollback
 * — even a malformed one — is a trustee's alone.
 */
async function authorize(deps: Deps, command: Exclude<Command, { kind: 'ignore' }>): Promise<{ ok: true } | { ok: false; why: string }> {
  const actor = command.trigger.actor;
  if (!isPrivileged(command) && actor.id === command.issueAuthor.id) return { ok: true };
  const check = await deps.trustees.check(actor);
  deps.log.info(`Trustee check: ${check.why}.`);
  return check.trustee ? { ok: true } : { ok: false, why: check.why };
}

export async function handleEvent(settings: Settings, eventName: string, payload: unknown, runtime: Runtime,
  deps: Deps = createDeps(settings, runtime.log)): Promise<RunResult> {
  const command = intake(eventName, payload);
  if (command.kind === 'ignore') return { kind: 'ignored', why: command.why };

  // A command in a comment is acknowledged at once (as people expect of slash commands); best effort, and nothing waits on it.
  const acknowledged = command.trigger.commentId === undefined ? undefined
    : deps.tracker.react(command.issue, command.trigger.commentId, 'eyes')
      .catch((error: unknown) => runtime.log.warning(`Could not react to the comment: ${(error as Error).message}`));
  try {
    return await runCommand(settings, runtime, deps, command);
  } finally {
    await acknowledged;
  }
}

async function runCommand(settings: Settings, runtime: Runtime, deps: Deps, command: Exclude<Command, { kind: 'ignore' }>): Promise<RunResult> {
  const allowed = await authorize(deps, command);
  if (!allowed.ok) {
    await deny(deps.tracker, command);
    return { kind: 'denied', issue: command.issue, actor: command.trigger.actor, why: allowed.why };
  }
  if (command.kind === 'malformed') {
    return { kind: 'rollback', outcome: await reportRollback(deps, settings, command, refusedRollback(command.problem)) };
  }
  if (command.kind === 'rollback') return { kind: 'rollback', outcome: await runRollback(deps, settings, runtime, command) };

  const request = command.kind === 'retry' ? await newestRequest(deps, command) : command.request;
  const outcome = await publish(deps, {
    manifestFile: settings.manifestFile, ecosystem: settings.ecosystem, limits: settings.limits, paceMs: settings.paceMs, run: settings.run, now: runtime.now,
  }, { issue: command.issue, request, trigger: command.trigger });
  return { kind: 'publish', outcome };
}

/**
 * The request a `/retry` re-runs: the newest corrected request commented by the issue's author or a
 * trustee, else the issue body. Nobody else's comment can change what is published.
 */
async function newestRequest(deps: Deps, command: Extract<Command, { kind: 'retry' }>): Promise<string> {
  const comments = (await deps.tracker.comments(command.issue)).filter((c) => !c.author.bot && !c.body.includes(MARKER_PREFIX) && holdsRequest(c.body));
  for (const comment of comments.reverse()) {
    if (comment.author.id === command.issueAuthor.id) return comment.body;
    if ((await deps.trustees.check({ id: comment.author.id, login: comment.author.login })).trustee) return comment.body;
  }
  return command.issueBody;
}

async function runRollback(deps: Deps, settings: Settings, runtime: Runtime, command: Extract<Command, { kind: 'rollback' }>): Promise<RollbackOutcome> {
  const found: ThisIssuesVersion = command.target.kind === 'named'
    ? { kind: 'version', name: command.target.name, version: command.target.version }
    : await versionOfThisIssue(deps, command.issue, command.trigger.commentId);
  if (found.kind !== 'version') return reportRollback(deps, settings, command, refusedRollback(found.message));
  const outcome = await rollback(deps, { run: settings.run, now: runtime.now, paceMs: settings.paceMs, ecosystem: settings.ecosystem }, {
    issue: command.issue, name: found.name, version: found.version, reason: command.reason,
    actor: command.trigger.actor, commentId: command.trigger.commentId, at: command.trigger.at,
  });
  return reportRollback(deps, settings, command, outcome);
}

type ThisIssuesVersion = { kind: 'version'; name: string; version: string } | { kind: 'none'; message: string };

/**
 * What a bare `/rollback` on a publish issue means: the one version this issue published, as the registry
 * records it. Registrar's status comments written before the command name the candidates — a hint only
 * (any bot can write a marker, and later comments are not what the trustee saw) — and the registry is the
 * proof: `published[version].issue` is this issue, or a rollback of it from this issue is still cleaning.
 * More than one such version, or none, is refused with a request to name it.
 */
async function versionOfThisIssue(deps: Deps, issue: number, commandId: number | undefined): Promise<ThisIssuesVersion> {
  const NAME_IT = 'Nothing was changed. Say which version: `/rollback name@version reason`.';
  const named = (await deps.tracker.comments(issue))
    .filter((c) => c.author.bot && (commandId === undefined || c.id < commandId))
    .map((c) => packageFromMarker(c.body)).filter((p) => p !== undefined);
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

function refusedRollback(message: string): RollbackOutcome {
  return { status: 'refused', name: '', version: '', steps: [], message, hint: undefined };
}

async function reportRollback(deps: Deps, settings: Settings, command: { issue: number; trigger: { commentId?: number } },
  outcome: RollbackOutcome): Promise<RollbackOutcome> {
  await deps.tracker.upsertComment(command.issue, rollbackMarker(command.trigger.commentId, settings.run), renderRollback(outcome));
  return outcome;
}

/** A trustee's command: a rollback, or what was meant as one. */
const isPrivileged = (command: Exclude<Command, { kind: 'ignore' }>) => command.kind === 'rollback' || command.kind === 'malformed';

/**
 * One answer per issue to commands their commenter may not run, updated in place: a stranger's
 * hundred `/retry`s cost a hundred edits of one comment, never a hundred comments.
 */
async function deny(tracker: Tracker, command: Exclude<Command, { kind: 'ignore' }>): Promise<void> {
  await tracker.upsertComment(command.issue, DENIED_MARKER, [
    '### 🔒 Not run',
    '',
    'Only a registry trustee can roll back a version. Only the author of this issue or a registry trustee can '
      + '`/retry` it or comment a corrected request. Comments from anyone else change nothing.',
    '',
    'To publish your own package, open a new issue with its request.',
    '',
    `<sub>Newest: a ${isPrivileged(command) ? '`/rollback`' : command.kind === 'retry' ? '`/retry`' : 'corrected request'} `
      + `from user id ${command.trigger.actor.id}, not run. Nothing was changed.</sub>`,
  ].join('\n'));
}
