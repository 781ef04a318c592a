// Runs one event end to end: the command table decides who may do what, then the command's pipeline runs over real adapters.
import { createGitHubClient } from './adapters/github/client.js';
import { GitHubRegistry } from './adapters/github/registry.js';
import { GitHubSource } from './adapters/github/source.js';
import { GitHubTracker } from './adapters/github/tracker.js';
import { createS3Storage } from './adapters/s3.js';
import { holdsRequest, intake, MARKER_PREFIX, type Command } from './commands/intake.js';
import type { Actor } from './core/types.js';
import type { Settings } from './inputs.js';
import { publish, type Log, type PublishDeps, type PublishOutcome } from './pipeline/publish.js';
import type { Tracker } from './ports.js';

export type RunResult =
  | { kind: 'ignored'; why: string }
  | { kind: 'denied'; issue: number; actor: Actor }
  | { kind: 'publish'; outcome: PublishOutcome };

export interface Runtime {
  log: Log;
  now: () => Date;
}

export function createDeps(settings: Settings, log: Log): PublishDeps {
  const client = createGitHubClient({ token: settings.token, baseUrl: settings.apiUrl, paceMs: settings.paceMs });
  return {
    registry: new GitHubRegistry(client, { ...settings.registry, serverUrl: settings.serverUrl }),
    source: new GitHubSource(client),
    tracker: new GitHubTracker(client, settings.tracker),
    backends: settings.backends.map(createS3Storage),
    log,
  };
}

/** A publish or a retry may come from the issue's author or a trustee; anyone else is told so. */
function mayPublish(settings: Settings, actor: Actor, issueAuthor: Actor): boolean {
  return actor.id === issueAuthor.id || settings.trusteeIds.includes(actor.id);
}

export async function handleEvent(settings: Settings, eventName: string, payload: unknown, runtime: Runtime,
  deps: PublishDeps = createDeps(settings, runtime.log)): Promise<RunResult> {
  const command = intake(eventName, payload);
  if (command.kind === 'ignore') return { kind: 'ignored', why: command.why };

  if (!mayPublish(settings, command.trigger.actor, command.issueAuthor)) {
    await deny(deps.tracker, command);
    return { kind: 'denied', issue: command.issue, actor: command.trigger.actor };
  }
  const request = command.kind === 'retry'
    ? await newestRequest(deps.tracker, settings, command)
    : command.request;
  const outcome = await publish(deps, {
    manifestFile: settings.manifestFile, limits: settings.limits, paceMs: settings.paceMs, run: settings.run, now: runtime.now,
  }, { issue: command.issue, request, trigger: command.trigger });
  return { kind: 'publish', outcome };
}

/**
 * The request a `/retry` re-runs: the newest corrected request commented by the issue's author or a
 * trustee, else the issue body. Nobody else's comment can change what is published.
 */
async function newestRequest(tracker: Tracker, settings: Settings, command: Extract<Command, { kind: 'retry' }>): Promise<string> {
  const comments = await tracker.comments(command.issue);
  const corrected = comments.filter((c) => !c.author.bot && !c.body.includes(MARKER_PREFIX)
    && (c.author.id === command.issueAuthor.id || settings.trusteeIds.includes(c.author.id)) && holdsRequest(c.body));
  return corrected.at(-1)?.body ?? command.issueBody;
}

async function deny(tracker: Tracker, command: Exclude<Command, { kind: 'ignore' }>): Promise<void> {
  const what = command.kind === 'retry' ? 'retry this publish' : 'change the request of this issue';
  await tracker.upsertComment(command.issue, `${MARKER_PREFIX}denied comment=${command.trigger.commentId ?? 0} -->`,
    `Sorry @${command.trigger.actor.login}, only the author of this issue or a registry trustee can ${what}. `
    + 'Nothing was changed. To publish your own package, open a new issue with its request.');
}
