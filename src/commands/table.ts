// The command table, Prow's model: each command declares who may use it, its help and how it runs; `/help` and the denied answer are generated from it.
import type { Command } from './intake.js';
import { holdsRequest } from './intake.js';
import { runOf, type CommandContext, type RunResult } from './context.js';
import { refusedRollback, reportRollback, runRollback } from './rollback.js';
import { ANSWER_MARKER, DRY_RUN_MARKER, MARKER_PREFIX, attemptFromComment, packageFromMarker } from '../core/markers.js';
import { parsePublishRequest } from '../core/request.js';
import { publish } from '../pipeline/publish.js';
import { dryRun } from '../pipeline/dry-run.js';
import { renderDryRun } from '../report/dry-run.js';
import { renderHelp, type HelpEntry } from '../report/help.js';
import { renderPackageStatus, type AttemptSeen } from '../report/package-status.js';

/** What intake hands the table: any command, never an ignored event. */
export type Invocation = Exclude<Command, { kind: 'ignore' }>;

export interface CommandEntry extends HelpEntry {
  /** The slash command's name (`retry` for `/retry`), or `request` for a request commented on the issue. */
  name: string;
  run(context: CommandContext, command: Invocation): Promise<RunResult>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'request', usage: 'a corrected request (JSON, like the issue\'s)', who: 'author',
    help: 'Publishes that request instead of the issue\'s (e.g. after fixing a tag or a name).',
    run: async (context, command) => publishRun(context, command, command.kind === 'publish' ? command.request : ''),
  },
  {
    name: 'retry', usage: '`/retry`', who: 'author',
    help: 'Publishes this issue\'s newest request again, re-planned from scratch; it finishes whatever an earlier attempt left.',
    run: async (context, command) => publishRun(context, command, await newestRequest(context, command)),
  },
  {
    name: 'dry-run', usage: '`/dry-run`', who: 'author',
    help: 'Builds the tarball of this issue\'s newest request and plans its publish against the registry now: reports what a publish would do, its files, size and sha256. Writes nothing.',
    run: dryRunCommand,
  },
  {
    name: 'status', usage: '`/status`', who: 'anyone',
    help: 'Shows the package\'s versions and rollbacks as the registry records them, and where this issue\'s attempts stand.',
    run: statusCommand,
  },
  {
    name: 'help', usage: '`/help`', who: 'anyone',
    help: 'Shows the commands you can use here.',
    run: helpCommand,
  },
  {
    name: 'rollback', usage: '`/rollback name@version reason`', who: 'trustee',
    help: 'Removes a published version from the registry and every backend, records who, when, why and its hash, and blocks those bytes forever. On the version\'s own publish issue `/rollback reason` is enough.',
    run: async (context, command) => ({
      kind: 'rollback',
      outcome: command.kind === 'rollback' ? await runRollback(context, command)
        : await reportRollback(context, command, refusedRollback(command.kind === 'malformed' ? command.problem : 'Not a rollback.')),
    }),
  },
];

/** The entry a command runs as; undefined for a `/word` the table does not know. */
export function entryFor(command: Invocation): CommandEntry | undefined {
  const name = command.kind === 'publish' ? 'request' : command.kind === 'malformed' ? 'rollback'
    : command.kind === 'slash' ? command.name : command.kind;
  // A slash command can never reach the publish entry by naming it: `/request` is unknown.
  if (command.kind === 'slash' && !['dry-run', 'status', 'help'].includes(name)) return undefined;
  return COMMANDS.find((entry) => entry.name === name);
}

async function publishRun({ deps, settings, runtime }: CommandContext, command: Invocation, request: string): Promise<RunResult> {
  const outcome = await publish(deps, {
    manifestFile: settings.manifestFile, ecosystem: settings.ecosystem, limits: settings.limits, paceMs: settings.paceMs, run: runOf(settings), now: runtime.now,
  }, { issue: command.issue, request, trigger: command.trigger });
  return { kind: 'publish', outcome };
}

/**
 * The request a `/retry` (or `/dry-run`) acts on: the newest corrected request commented by the issue's author
 * or a trustee, else the issue body. Nobody else's comment can change what is published.
 */
async function newestRequest({ deps }: CommandContext, command: Invocation): Promise<string> {
  const issueBody = 'issueBody' in command ? command.issueBody : '';
  const comments = (await deps.tracker.comments(command.issue)).filter((c) => !c.author.bot && !c.body.includes(MARKER_PREFIX) && holdsRequest(c.body));
  for (const comment of comments.reverse()) {
    if (comment.author.id === command.issueAuthor.id) return comment.body;
    if ((await deps.trustees.check({ id: comment.author.id, login: comment.author.login })).trustee) return comment.body;
  }
  return issueBody;
}

/** `/dry-run`: publish's first half, no storage and no tracker handed to it; its report replaces the issue's previous one. */
async function dryRunCommand(context: CommandContext, command: Invocation): Promise<RunResult> {
  const { deps, settings, runtime } = context;
  const outcome = await dryRun({ registry: deps.registry, source: deps.source, log: deps.log },
    { manifestFile: settings.manifestFile, ecosystem: settings.ecosystem, limits: settings.limits, now: runtime.now },
    { issue: command.issue, request: await newestRequest(context, command), trigger: command.trigger });
  await deps.tracker.upsertComment(command.issue, DRY_RUN_MARKER, renderDryRun(outcome, settings.ecosystem));
  return { kind: 'dry-run', outcome };
}

/** `/help`: generated from this table, for this person on this issue (a trustee check decides the trustee lines). */
async function helpCommand({ deps, runtime }: CommandContext, command: Invocation): Promise<RunResult> {
  const actor = command.trigger.actor;
  const check = await deps.trustees.check(actor);
  runtime.log.info(`Trustee check: ${check.why}.`);
  await deps.tracker.upsertComment(command.issue, ANSWER_MARKER, renderHelp(COMMANDS, { author: actor.id === command.issueAuthor.id, trustee: check.trustee }));
  return { kind: 'answered', issue: command.issue, command: 'help' };
}

/**
 * `/status`: the package at one registry snapshot, and this issue's attempts as Registrar's own status comments
 * record them (bots' comments only: a marker a person pasted counts for nothing). Anyone may ask: it costs one
 * comment listing, one snapshot read and one write of the issue's one answer comment (an edit once it exists).
 */
async function statusCommand({ deps, settings }: CommandContext, command: Invocation): Promise<RunResult> {
  const comments = (await deps.tracker.comments(command.issue)).filter((c) => c.author.bot);
  const attempts: AttemptSeen[] = [];
  for (const c of comments) {
    const seen = attemptFromComment(c.body);
    if (seen) attempts.push({ ...seen, commentId: c.id });
  }
  const named = comments.map((c) => packageFromMarker(c.body, settings.ecosystem)).filter((p) => p !== undefined).at(-1)?.name;
  const fromBody = 'issueBody' in command ? parsePublishRequest(command.issueBody, settings.ecosystem) : undefined;
  const name = named ?? (fromBody?.ok ? fromBody.request.name : undefined);
  const snapshot = name === undefined ? undefined : await deps.registry.snapshot(name);
  // The answer comment, if any, is in the listing already read: no second look for it.
  const answer = comments.find((c) => c.body.includes(ANSWER_MARKER))?.id ?? null;
  await deps.tracker.upsertComment(command.issue, ANSWER_MARKER, renderPackageStatus({
    name, head: snapshot?.head, metadata: snapshot?.metadata, attempts, issue: command.issue,
  }), answer);
  return { kind: 'answered', issue: command.issue, command: 'status' };
}
