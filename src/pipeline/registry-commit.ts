// One registry commit of one package's metadata file, and the policy for a commit that did not land.
import { setTimeout as sleep } from 'node:timers/promises';
import { registryCommitMessage } from '../core/commit-message.js';
import { metadataPath, serializeMetadata } from '../core/metadata.js';
import type { PackageMetadata } from '../core/types.js';
import { isKind } from '../errors.js';
import type { Registry, RegistryCommit } from '../ports.js';
import type { Log } from './publish.js';

/**
 * A lost compare-and-swap means someone else's commit landed, so every re-plan follows progress; the
 * bound only stops a run that keeps failing for other reasons.
 */
const MAX_PLANS = 20;

export interface CommitContext {
  issue: number;
  run: { id: string; attempt: number };
}

/** Commits the package's new metadata, with the message and trailers every registry commit carries, iff the branch is at `head`. */
export function commitPackage(registry: Registry, what: { action: 'Publish' | 'Rollback'; note?: 'storage cleaned'; name: string; version: string },
  context: CommitContext, metadata: PackageMetadata, head: string): Promise<RegistryCommit> {
  const message = registryCommitMessage({ ...what, issue: context.issue, run: context.run.id, attempt: context.run.attempt });
  return registry.commit([{ path: metadataPath(what.name), content: serializeMetadata(metadata) }], message.full, head);
}

/**
 * After a commit attempt failed: rethrows unless it was a lost race (`conflict`) or an ambiguous
 * failure (`transient`, our commit may have landed) and attempts remain; otherwise backs off with
 * jitter in units of the pacing setting, so the caller re-reads the head and re-plans.
 */
export async function beforeReplan(error: unknown, attempt: number, paceMs: number, log: Log, what: string): Promise<void> {
  if (!(isKind(error, 'conflict') || isKind(error, 'transient')) || attempt >= MAX_PLANS) throw error;
  log.warning(`${what} attempt ${attempt} did not land (${(error as Error).message}); re-planning.`);
  await sleep(paceMs * Math.min(attempt, 8) * (0.5 + Math.random()));
}
