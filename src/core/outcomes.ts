// What each pipeline reports: the outcomes and ledgers that the pipelines produce and the reports render.
import type { RegistrarError } from '../errors.js';
import type { PublishedVersion, PublishRequest, RegistryCommit } from './types.js';

/** Where a promoted tarball is, per backend. */
export interface TarballLocation { backend: string; key: string; url: string | undefined }

/** The steps of the ledger, in order; a status comment shows how far an attempt got. */
export const STEPS = ['prepared', 'staged', 'committed', 'promoted', 'cleaned'] as const;
export type Step = (typeof STEPS)[number];

/** How long each step of the ledger took, in milliseconds; a step not reached has none. */
export type Durations = Partial<Record<Step, number>>;

/**
 * Marks a step done in `steps` and records in `durations` how long it took since the step before (or since
 * `clock`'s first reading, when the attempt began): the status comment shows where an attempt spent its time.
 */
export function stepTimer(steps: Step[], durations: Durations, clock: () => number): (step: Step) => void {
  let last = clock();
  return (step) => {
    const now = clock();
    durations[step] = Math.max(0, now - last);
    last = now;
    if (!steps.includes(step)) steps.push(step);
  };
}

export type PublishOutcome = (
  | { status: 'working'; request: PublishRequest; steps: Step[] }
  | { status: 'published'; request: PublishRequest; entry: PublishedVersion; commit: RegistryCommit | undefined;
      resumed: boolean; locations: TarballLocation[]; steps: Step[] }
  /** Nothing was written. `final` refusals close the issue; the others wait for a corrected request. */
  | { status: 'refused'; request: PublishRequest | undefined; message: string; hint: string | undefined;
      problems: { field: string; message: string }[]; final: boolean; steps: Step[] }
  /** `commitInDoubt`: a registry commit was sent and no later read told whether it landed (its answer was lost). */
  | { status: 'failed'; request: PublishRequest | undefined; error: RegistrarError; steps: Step[]; commitInDoubt?: boolean }
) & { durations?: Durations };

/** The canonical tarball a dry run built: what a publish would stage. */
export interface DryRunTarball {
  /** SRI form. */
  sha256: string;
  bytes: number;
  /** Package-relative paths, byte-sorted. */
  files: string[];
  /** The commit the tag resolved to. */
  commit: string;
}

/** What `/dry-run` found: what a publish of the request would do now, with nothing written. */
export type DryRunOutcome =
  /** The registry's answer at `head`: commit it fresh, resume to promote (this issue committed it), or refuse with `reason`. */
  | { status: 'planned'; plan: 'fresh' | 'resume' | 'refuse'; request: PublishRequest; tarball: DryRunTarball; head: string;
      reason?: string; hint?: string }
  /** The request or its package cannot be published as it is (the same refusal a publish would give). */
  | { status: 'refused'; request: PublishRequest | undefined; message: string; hint: string | undefined;
      problems: { field: string; message: string }[] }
  | { status: 'failed'; request: PublishRequest | undefined; error: RegistrarError };

export const ROLLBACK_STEPS = ['removed', 'deleted', 'cleaned'] as const;
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];

export type RollbackOutcome =
  | { status: 'rolled-back'; name: string; version: string; sha256: string; deleted: string[]; already: boolean; steps: RollbackStep[] }
  /** The version was never committed; what a failed attempt left in staging was removed. */
  | { status: 'cleaned-leftovers'; name: string; version: string; deleted: string[]; steps: RollbackStep[] }
  | { status: 'refused'; name: string; version: string; message: string; hint: string | undefined; steps: RollbackStep[] }
  /** `removalInDoubt`: the removal commit was sent and no later read told whether it landed (its answer was lost). */
  | { status: 'failed'; name: string; version: string; error: RegistrarError; steps: RollbackStep[]; removalInDoubt?: boolean };

export type RepairKind =
  | 'promoted' | 'rollback-finished' | 'staging-deleted' | 'orphan-staging-deleted' | 'rolled-back-final-deleted'
  | 'final-mismatch' | 'final-without-metadata' | 'unknown-key' | 'unreadable-metadata' | 'promote-failed'
  | 'rollback-failed' | 'failed' | 'young-staging' | 'promote-window' | 'staging-unpromoted' | 'changed-meanwhile';

export interface RepairItem {
  kind: RepairKind;
  backend?: string;
  key?: string;
  name?: string;
  version?: string;
  /** The hash the item is about, SRI form, when there is one. */
  sha256?: string;
  detail: string;
}

export interface RepairReport {
  /** The registry head the plan was made at. */
  head: string;
  dryRun: boolean;
  /** What was done (or, in a dry run, would be done). */
  actions: RepairItem[];
  /** What Registrar must not repair on its own: a person has to look. */
  needsHuman: RepairItem[];
  /** What was deliberately left, and why (a young window, an object a run may still need). */
  left: RepairItem[];
}

export interface AuditViolation {
  invariant: 1 | 2 | 5;
  message: string;
  backend?: string;
  key?: string;
  name?: string;
  version?: string;
  commit?: string;
}

export interface AuditReport {
  head: string;
  /** Commits walked, packages at the head, objects listed and objects read and hashed: what the audit covered. */
  checked: { commits: number; packages: number; objects: number; hashed: number };
  violations: AuditViolation[];
}
