// One registry commit of one package's metadata file, and the policy for a commit that did not land.
import { setTimeout as sleep } from 'node:timers/promises';
import { registryCommitMessage } from '../core/commit-message.js';
import type { Ecosystem } from '../core/ecosystem.js';
import { historyLost, metadataPath, serializeMetadata } from '../core/metadata.js';
import type { PackageMetadata } from '../core/types.js';
import { RegistrarError, isKind } from '../errors.js';
import type { Registry, RegistryCommit } from '../ports.js';
import type { Log } from './publish.js';

/**
 * A lost compare-and-swap means someone else's commit landed, so every re-plan follows progress; the
 * bound only stops a run that keeps failing for other reasons.
 */
const MAX_PLANS = 20;
/**
 * A failure without an answer needs one re-read to learn whether our commit landed; a server that keeps
 * failing will not be talked round by twenty more tries (each already retried by the client).
 */
const MAX_AMBIGUOUS_PLANS = 3;

export interface CommitContext {
  /** Undefined: a command run from the CLI, with no issue. */
  issue: number | undefined;
  run: { id: string; attempt: number };
  /** The registry's ecosystem: where the package's file lives and which names its metadata may hold. */
  ecosystem?: Ecosystem;
}

/**
 * Commits the package's new metadata (`next`), with the message and trailers every registry commit carries, iff
 * the branch is at `head`, where the metadata read was `before`. Whatever planned `next`, a commit never drops
 * a committed version or a rollback record, except the version a rollback removes (rule 11).
 */
export function commitPackage(registry: Registry, what: { action: 'Publish' | 'Rollback'; note?: 'storage cleaned'; name: string; version: string },
  context: CommitContext, change: { before: PackageMetadata | undefined; next: PackageMetadata }, head: string): Promise<RegistryCommit> {
  const lost = historyLost(change.before, change.next, what.action === 'Rollback' ? what.version : undefined);
  if (lost.length > 0) {
    throw new RegistrarError('refused', `Registrar stopped a registry commit that would lose history: ${lost.join('; ')}.`,
      'Nothing was committed. This is a bug in Registrar: please report it with this message.', { reason: 'invalid' });
  }
  const message = registryCommitMessage({ ...what, issue: context.issue, run: context.run.id, attempt: context.run.attempt }, context.ecosystem);
  return registry.commit([{ path: metadataPath(what.name, context.ecosystem), content: serializeMetadata(change.next, context.ecosystem) }],
    message.full, head);
}

/** A commit that failed this way was sent and may have landed: its answer never came, or a server failed mid-way. */
export function mayHaveLanded(error: unknown): boolean {
  return isKind(error, 'transient') && (error.reason === 'network' || error.reason === 'server');
}

/** How the branch looked from here: the pacing setting, and how long the failed commit request took. */
export interface Contention {
  paceMs: number;
  /**
   * The slowest commit request the run has seen fail: roughly how long the branch is held by one commit, whoever
   * makes it (a race lost at once, before the server built anything, says little about that).
   */
  commitMs: number;
}

/**
 * After a commit attempt failed: rethrows unless it was a lost race (`conflict`) or an ambiguous
 * failure (`transient`, our commit may have landed) and attempts remain; otherwise waits, so the caller
 * re-reads the head and re-plans. The wait is drawn at random from a window that doubles with every loss
 * ("full jitter"), in units of one commit's observed time (or the pacing setting, if longer): a run that
 * keeps losing is evidently among many, and spreading the contenders over a wider window lets each commit
 * land alone instead of all of them re-reading and colliding again at once.
 */
export async function beforeReplan(error: unknown, attempt: number, contention: Contention, log: Log, what: string): Promise<void> {
  // A rate limit was not applied and the client already waited as GitHub asked: re-planning at once only spends the quota.
  const replannable = isKind(error, 'conflict')
    ? attempt < MAX_PLANS
    : isKind(error, 'transient') && error.reason !== 'rate-limited' && attempt < MAX_AMBIGUOUS_PLANS;
  if (!replannable) throw error;
  log.warning(`${what} attempt ${attempt} did not land (${(error as Error).message}); re-planning.`);
  await sleep(replanWaitMs(attempt, contention, Math.random()));
}

/**
 * The widest window is this many doublings, 8 commits' time. A wider one spreads a crowd further but leaves the
 * branch idle while everyone sleeps: 20 concurrent publishes here took 15-23 s with up to 64 units and 15-16 s with
 * 8, in about the same number of attempts (65-69).
 */
const MAX_DOUBLINGS = 3;

/** The wait before re-plan `attempt + 1`, for a uniform draw `random` in [0, 1). */
export function replanWaitMs(attempt: number, contention: Contention, random: number): number {
  const unit = Math.max(contention.paceMs, contention.commitMs, 1);
  return random * unit * 2 ** Math.min(attempt, MAX_DOUBLINGS);
}

/** Runs a commit and reports how long its request took, whether it landed or not. */
export async function timedCommit<T>(commit: () => Promise<T>, took: { ms: number }): Promise<T> {
  const started = performance.now();
  try {
    return await commit();
  } finally {
    took.ms = performance.now() - started;
  }
}
