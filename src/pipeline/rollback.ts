// The rollback pipeline: commit the removal with an audit record, hash-checked deletes in every backend, commit `cleaned: true` (rule 8).
import { ROLLBACK_STEPS, type RollbackOutcome, type RollbackStep } from '../core/outcomes.js';
import { finalKey } from '../core/keys.js';
import { markRollbackCleaned, pendingRollback, removeForRollback } from '../core/metadata.js';
import { DEFAULT_ECOSYSTEM, type Ecosystem } from '../core/ecosystem.js';
import { quote } from '../core/names.js';
import type { PackageMetadata, RollbackActor } from '../core/types.js';
import { RegistrarError, judgesTheRequest, refused, transient } from '../errors.js';
import type { Registry, RegistryCommit, Storage } from '../ports.js';
import { cleanStaging, deleteFinalIfHash } from './promote.js';
import { beforeReplan, commitPackage, mayHaveLanded, timedCommit } from './registry-commit.js';
import type { Log } from './publish.js';

export interface RollbackDeps {
  registry: Registry;
  backends: Storage[];
  log: Log;
}

export interface RollbackRun {
  run: { id: string; attempt: number };
  now: () => Date;
  /** The pacing setting: the unit of back-off between re-reads after a lost compare-and-swap. */
  paceMs?: number;
  /** The registry's ecosystem: which names and versions are valid, and where their keys and files live. */
  ecosystem?: Ecosystem;
}

/** A trustee's `/rollback`, everything taken from the trustee's own comment (or a rollback run from the CLI: no issue). */
export interface RollbackCommand {
  issue: number | undefined;
  name: string;
  version: string;
  reason: string;
  actor: RollbackActor;
  commentId: number | undefined;
  /** When the trustee commented: a publish triggered before this never republishes the version. */
  at: string;
}




export async function rollback(deps: RollbackDeps, run: RollbackRun, command: RollbackCommand): Promise<RollbackOutcome> {
  const { name, version } = command;
  const steps: RollbackStep[] = [];
  const doubt = { commit: false };
  try {
    const ecosystem = run.ecosystem ?? DEFAULT_ECOSYSTEM;
    const problem = ecosystem.checkName(name) ?? ecosystem.checkVersion(version)
      ?? (command.reason.trim() === '' ? 'a reason is required: `/rollback name@version why it must go`' : undefined);
    if (problem) return { status: 'refused', name, version, message: problem, hint: 'Comment a corrected `/rollback`.', steps };

    const removed = await removeVersion(deps, run, command, doubt);
    if (removed.kind === 'never-committed') {
      const deleted = await cleanStaging(deps.backends, name, version, undefined, run.ecosystem);
      if (deleted.length === 0) {
        return { status: 'refused', name, version, message: `${quote(`${name}@${version}`)} is not published and left nothing in storage; there is nothing to roll back.`,
          hint: 'Check the package name and version.', steps };
      }
      steps.push('deleted');
      return { status: 'cleaned-leftovers', name, version, deleted, steps };
    }
    if (removed.kind === 'already-cleaned') {
      return { status: 'rolled-back', name, version, sha256: removed.sha256, deleted: [], already: true, steps: [...ROLLBACK_STEPS] };
    }
    steps.push('removed');
    const finished = await finishRollback(deps, name, version, run, { issue: command.issue, actor: command.actor, removedAt: removed.at }, steps);
    return { status: 'rolled-back', name, version, sha256: removed.sha256, deleted: finished.deleted, already: false, steps };
  } catch (error) {
    const failure = error instanceof RegistrarError ? error : transient(`Unexpected failure: ${quote(String(error))}`, error);
    // A rollback that committed its removal is never reported as refused: the removal holds and /rollback finishes it.
    return failure.kind === 'refused' && judgesTheRequest(failure) && !steps.includes('removed')
      ? { status: 'refused', name, version, message: failure.message, hint: failure.hint, steps }
      : { status: 'failed', name, version, error: failure, steps, ...(doubt.commit ? { removalInDoubt: true } : {}) };
  }
}

/** `at`: a registry commit known to hold the removal (ours, or the head where it was seen pending). */
type Removal = { kind: 'removed' | 'pending'; sha256: string; at: string } | { kind: 'already-cleaned'; sha256: string } | { kind: 'never-committed' };

/** Phase one: commit the version's removal with its audit record, by compare-and-swap, recognising our own lost commit. */
async function removeVersion(deps: RollbackDeps, run: RollbackRun, command: RollbackCommand, doubt: { commit: boolean }): Promise<Removal> {
  const { registry } = deps;
  const { name, version } = command;
  let readAgain = true;
  for (let attempt = 1; ; attempt++) {
    const { head, metadata: current } = await registry.snapshot(name);
    doubt.commit = false;
    if (current !== undefined && current.name !== name) {
      // Another spelling of a name the ecosystem holds to be the same (crates): that package is not the one named.
      throw refused(`The registry holds ${quote(current.name)}, not ${quote(name)}; nothing was changed.`,
        `Name the version exactly as the registry spells it: \`/rollback ${current.name}@${version} reason\`.`);
    }
    const pending = current && pendingRollback(current, version);
    // Our own lost commit, or another trustee's: either way the removal is committed; finish it.
    if (pending) return { kind: 'pending', sha256: pending.sha256, at: head };
    const entry = current && Object.hasOwn(current.published, version) ? current.published[version] : undefined;
    if (!current || !entry) {
      const done = current?.rolledBack.filter((r) => r.version === version).at(-1);
      if (done) return { kind: 'already-cleaned', sha256: done.sha256 };
      // A branch read can come from a replica a commit behind: before telling a trustee there is nothing to roll
      // back, ask once more (the version may have been committed just before this read).
      if (readAgain) {
        readAgain = false;
        continue;
      }
      return { kind: 'never-committed' };
    }
    const next = removeForRollback(current, {
      version, by: command.actor, at: command.at || run.now().toISOString(), reason: command.reason, issue: command.issue,
      ...(command.commentId === undefined ? {} : { commentId: command.commentId }),
    });
    const took = { ms: 0 };
    try {
      const commit = await timedCommit(() => commitPackage(registry, { action: 'Rollback', name, version },
        { issue: command.issue, run: run.run, ...(run.ecosystem ? { ecosystem: run.ecosystem } : {}) },
        { before: current, next }, head), took);
      return { kind: 'removed', sha256: entry.sha256, at: commit.sha };
    } catch (error) {
      doubt.commit = mayHaveLanded(error);
      await beforeReplan(error, attempt, { paceMs: run.paceMs ?? 0, commitMs: took.ms }, deps.log, 'Rollback commit');
    }
  }
}

/**
 * Phases two and three of a rollback already committed with `cleaned: false`: deletes the version's
 * final objects (only those with a recorded hash) and its staging objects in every backend, then
 * commits `cleaned: true`. Idempotent: a second call after a crash finishes what the first began.
 * `removedAt` is a registry commit known to hold the removal: what to delete is read there, by SHA, because a
 * read of the branch right after our own commit can come from a replica that has not seen it yet (rule 11).
 */
export async function finishRollback(deps: RollbackDeps, name: string, version: string, run: RollbackRun,
  context: { issue: number | undefined; actor: RollbackActor; removedAt?: string }, steps: RollbackStep[] = []): Promise<{ deleted: string[]; commit: RegistryCommit | undefined; metadata: PackageMetadata | undefined }> {
  const { registry } = deps;
  const current = context.removedAt === undefined ? (await registry.snapshot(name)).metadata : await registry.readPackage(name, context.removedAt);
  const records = (current?.rolledBack ?? []).filter((r) => r.version === version && !r.cleaned);
  if (records.length === 0) return { deleted: [], commit: undefined, metadata: current };

  const deleted: string[] = [];
  for (const record of records) {
    await Promise.all(deps.backends.map(async (backend) => {
      if (await deleteFinalIfHash(backend, name, version, record.sha256, run.ecosystem)) deleted.push(`${backend.name}:${finalKey(name, version, run.ecosystem)}`);
    }));
  }
  deleted.push(...await cleanStaging(deps.backends, name, version, undefined, run.ecosystem));
  if (!steps.includes('deleted')) steps.push('deleted');

  for (let attempt = 1; ; attempt++) {
    const took = { ms: 0 };
    try {
      const { head: at, metadata } = await registry.snapshot(name);
      if (!metadata || !pendingRollback(metadata, version)) {
        // Still listing the bytes we removed means this snapshot predates the removal: a lagging read, not a finished rollback.
        if (metadata !== undefined && records.some((r) => metadata.published[version]?.sha256 === r.sha256)) {
          throw new RegistrarError('conflict', `The registry read at ${at.slice(0, 12)} predates the removal of ${name}@${version} (a lagging replica).`,
            undefined, { reason: 'stale' });
        }
        return { deleted, commit: undefined, metadata };
      }
      const commit = await timedCommit(() => commitPackage(registry, { action: 'Rollback', note: 'storage cleaned', name, version },
        { issue: context.issue, run: run.run, ...(run.ecosystem ? { ecosystem: run.ecosystem } : {}) },
        { before: metadata, next: markRollbackCleaned(metadata, version) }, at), took);
      steps.push('cleaned');
      return { deleted, commit, metadata };
    } catch (error) {
      await beforeReplan(error, attempt, { paceMs: run.paceMs ?? 0, commitMs: took.ms }, deps.log, 'Cleaned-rollback commit');
    }
  }
}
