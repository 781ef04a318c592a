// The dry run: publish's first half — intake, prepare (fetch, canonical tarball, sha256, manifest), plan at one snapshot — and no writes at all.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DryRunOutcome } from '../core/outcomes.js';
import { quote } from '../core/names.js';
import { planPublish } from '../core/plan.js';
import { parsePublishRequest } from '../core/request.js';
import type { PublishRequest } from '../core/types.js';
import { RegistrarError, judgesTheRequest, transient } from '../errors.js';
import type { Registry, Source } from '../ports.js';
import { ecosystemFor } from '../core/ecosystem.js';
import { prepare, type Log, type PublishEvent, type PublishOptions } from './publish.js';

/** Only what reads: no storage backend and no tracker is handed to a dry run, so it cannot write either. */
export interface DryRunDeps {
  registry: Pick<Registry, 'snapshot'>;
  source: Source;
  log: Log;
}

export async function dryRun(deps: DryRunDeps, options: Pick<PublishOptions, 'manifestFile' | 'ecosystem' | 'limits' | 'now'>,
  event: PublishEvent): Promise<DryRunOutcome> {
  const ecosystem = options.ecosystem ?? ecosystemFor('default', { manifestFile: options.manifestFile });
  // intake
  const parsed = parsePublishRequest(event.request, ecosystem);
  if (!parsed.ok) return { status: 'refused', request: undefined, message: 'The publish request is not valid.', hint: undefined, problems: parsed.problems };
  const request = parsed.request;
  const scratch = await mkdtemp(join(tmpdir(), 'registrar-dry-run-'));
  try {
    // prepare, with the snapshot read alongside (rule 1: the plan is made at that one commit)
    const snapshot = deps.registry.snapshot(request.name);
    snapshot.catch(() => {});
    const built = await prepare(deps, { manifestFile: options.manifestFile, ecosystem, limits: options.limits, scratch }, request);
    const { head, metadata } = await snapshot;
    // plan: the very decision publish would make now
    const plan = planPublish({
      request, issue: event.issue, repositoryId: built.repositoryId, current: metadata,
      built: { sha256: built.tarball.integrity, bytes: built.tarball.size, commit: built.commit },
      now: options.now().toISOString(), triggeredAt: event.trigger.at || undefined, ecosystem,
    });
    const tarball = { sha256: built.tarball.integrity, bytes: built.tarball.size, files: built.tarball.files, commit: built.commit };
    return plan.kind === 'refuse'
      ? { status: 'planned', plan: 'refuse', request, tarball, head, reason: plan.reason, hint: plan.hint }
      : { status: 'planned', plan: plan.kind, request, tarball, head };
  } catch (error) {
    return failure(request, error);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The same line publish draws: Registrar's judgement on the request is a refusal, anything else a failed attempt. */
function failure(request: PublishRequest, error: unknown): DryRunOutcome {
  const failed = error instanceof RegistrarError ? error : transient(`Unexpected failure: ${quote(String(error))}`, error);
  return judgesTheRequest(failed)
    ? { status: 'refused', request, message: failed.message, hint: failed.hint, problems: [] }
    : { status: 'failed', request, error: failed };
}
