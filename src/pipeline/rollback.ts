// The rollback pipeline: commit the removal with an audit record, hash-checked deletes in every backend, commit `cleaned: true` (rule 8).
import type { Actor, PackageMetadata } from '../core/types.js';
import type { Registry, RegistryCommit, Storage } from '../ports.js';
import type { Log } from './publish.js';

export interface RollbackDeps {
  registry: Registry;
  backends: Storage[];
  log: Log;
}

export interface RollbackRun {
  run: { id: string; attempt: number };
  now: () => Date;
}

/**
 * Phases two and three of a rollback already committed with `cleaned: false`: deletes the version's
 * final objects (only those with the recorded hash) and its staging objects in every backend, then
 * commits `cleaned: true`. Idempotent: a second call after a crash finishes what the first began.
 */
export async function finishRollback(deps: RollbackDeps, name: string, version: string, run: RollbackRun,
  context: { issue: number; actor: Actor }): Promise<{ deleted: string[]; commit: RegistryCommit | undefined; metadata: PackageMetadata | undefined }> {
  void deps; void name; void version; void run; void context;
  throw new Error('finishRollback: being written');
}
