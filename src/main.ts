// Runs one event end to end: the command table decides who may do what, then the command's pipeline runs over real adapters.
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitHubTracker } from './adapters/github/tracker.js';
import { Trustees } from './adapters/github/trustees.js';
import { createS3Storage } from './adapters/s3.js';
import { holdsRequest, intake, type Command } from './commands/intake.js';
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
    registry: new GitHubRegistry(client, { ...settings.registry, serverUrl: settings.serverUrl }),
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
 * is a trustee's alone.
 */
async function authorize(deps: Deps, command: Exclude<Command, { kind: 'ignore' }>): Promise<{ ok: true } | { ok: false; why: string }> {
  const actor = command.trigger.actor;
  if (command.kind !== 'rollback' && actor.id === command.issueAuthor.id) return { ok: true };
  const check = await deps.trustees.check(actor);
  deps.log.info(`Trustee check: ${check.why}.`);
  return check.trustee ? { ok: true } : { ok: false, why: check.why };
}

export async function handleEvent(settings: Settings, eventName: string, payload: unknown, runtime: Runtime,
  deps: Deps = createDeps(settings, runtime.log)): Promise<RunResult> {
  const command = intake(eventName, payload);
  if (command.kind === 'ignore') return { kind: 'ignored', why: command.why };

  // A command in a comment is acknowledged at once (as people expect of slash commands); best effort.
  if (command.trigger.commentId !== undefined) {
    await deps.tracker.react(command.issue, command.trigger.commentId, 'eyes')
      .catch((error: unknown) => runtime.log.warning(`Could not react to the comment: ${(error as Error).message}`));
  }
  const allowed = await authorize(deps, command);
  if (!allowed.ok) {
    await deny(deps.tracker, command);
    return { kind: 'denied', issue: command.issue, actor: command.trigger.actor, why: allowed.why };
  }
  if (command.kind === 'rollback') return { kind: 'rollback', outcome: await runRollback(deps, settings, runtime, command) };

  const request = command.kind === 'retry' ? await newestRequest(deps, command) : command.request;
  const outcome = await publish(deps, {
    manifestFile: settings.manifestFile, limits: settings.limits, paceMs: settings.paceMs, run: settings.run, now: runtime.now,
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
  // A bare `/rollback reason` on a publish issue means the version Registrar's own status comment there names.
  const target = command.target ?? (await deps.tracker.comments(command.issue))
    .filter((c) => c.author.bot).map((c) => packageFromMarker(c.body)).filter((p) => p !== undefined).at(-1);
  const outcome: RollbackOutcome = target
    ? await rollback(deps, { run: settings.run, now: runtime.now, paceMs: settings.paceMs }, {
        issue: command.issue, name: target.name, version: target.version, reason: command.reason,
        actor: command.trigger.actor, commentId: command.trigger.commentId, at: command.trigger.at,
      })
    : { status: 'refused', name: '?', version: '?', steps: [],
        message: 'This issue names no published version; say which one: `/rollback name@version reason`.', hint: undefined };
  await deps.tracker.upsertComment(command.issue, rollbackMarker(command.trigger.commentId, settings.run), renderRollback(outcome));
  return outcome;
}

async function deny(tracker: Tracker, command: Exclude<Command, { kind: 'ignore' }>): Promise<void> {
  const what = command.kind === 'rollback' ? 'roll back a version (trustees only)'
    : command.kind === 'retry' ? 'retry this publish' : 'change the request of this issue';
  const who = command.kind === 'rollback' ? 'a registry trustee' : 'the author of this issue or a registry trustee';
  await tracker.upsertComment(command.issue, `${MARKER_PREFIX}denied comment=${command.trigger.commentId ?? 0} -->`,
    `Sorry @${command.trigger.actor.login}, only ${who} can ${what}. Nothing was changed.`
    + (command.kind === 'rollback' ? '' : ' To publish your own package, open a new issue with its request.'));
}
