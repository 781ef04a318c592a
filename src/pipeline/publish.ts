// The publish pipeline: intake → prepare → stage → COMMIT → promote → report, over the ports only.
import { canonicalTarball, type CanonicalTarball } from '../core/tarball.js';
import { checkManifest } from '../core/manifest.js';
import type { Limits } from '../core/limits.js';
import { parsePublishRequest } from '../core/request.js';
import { planPublish } from '../core/plan.js';
import { metadataPath, serializeMetadata } from '../core/metadata.js';
import { finalKey, stagingKey, stagingPrefix } from '../core/keys.js';
import { sha256Hex, sriToHex } from '../core/integrity.js';
import { publishCommitMessage } from '../core/commit-message.js';
import type { Actor, PackageMetadata, PublishedVersion, PublishRequest } from '../core/types.js';
import { RegistrarError, conflict, isKind, refused, transient } from '../errors.js';
import type { Registry, RegistryCommit, Source, Storage, Tracker } from '../ports.js';
import { renderPublishStatus, statusMarker } from '../report/status.js';

export interface PublishDeps {
  registry: Registry;
  source: Source;
  tracker: Tracker;
  /** Every storage backend; the first is the primary. */
  backends: Storage[];
  log: Log;
}

export interface PublishOptions {
  manifestFile: string;
  limits: Limits;
  run: { id: string; attempt: number };
  now: () => Date;
}

export interface Log {
  info(message: string): void;
  warning(message: string): void;
}

export interface PublishEvent {
  issue: number;
  body: string;
  actor: Actor;
}

/** The steps of the ledger, in order; a status comment shows how far an attempt got. */
export const STEPS = ['prepared', 'staged', 'committed', 'promoted', 'cleaned'] as const;
export type Step = (typeof STEPS)[number];

export interface TarballLocation { backend: string; key: string; url: string | undefined }

export type PublishOutcome =
  | { status: 'published'; request: PublishRequest; entry: PublishedVersion; commit: RegistryCommit | undefined;
      resumed: boolean; locations: TarballLocation[]; steps: Step[] }
  /** Nothing was written. `final` refusals close the issue; the others wait for a corrected request. */
  | { status: 'refused'; request: PublishRequest | undefined; message: string; hint: string | undefined;
      problems: { field: string; message: string }[]; final: boolean; steps: Step[] }
  | { status: 'failed'; request: PublishRequest | undefined; error: RegistrarError; steps: Step[] };

/** A lost compare-and-swap means someone else committed first: re-plan, a bounded number of times. */
const MAX_PLANS = 5;

export async function publish(deps: PublishDeps, options: PublishOptions, event: PublishEvent): Promise<PublishOutcome> {
  const steps: Step[] = [];
  let request: PublishRequest | undefined;
  let outcome: PublishOutcome;
  try {
    // intake
    const parsed = parsePublishRequest(event.body);
    if (!parsed.ok) {
      outcome = { status: 'refused', request, message: 'The publish request is not valid.', hint: undefined,
        problems: parsed.problems, final: false, steps };
    } else {
      request = parsed.request;
      outcome = await publishRequest(deps, options, event, request, steps);
    }
  } catch (error) {
    const failure = error instanceof RegistrarError ? error : transient(`Unexpected failure: ${String(error)}`, error);
    outcome = failure.kind === 'refused' || failure.kind === 'not-found'
      ? { status: 'refused', request, message: failure.message, hint: failure.hint, problems: [], final: false, steps }
      : { status: 'failed', request, error: failure, steps };
  }
  await report(deps, options, event, outcome);
  return outcome;
}

async function publishRequest(deps: PublishDeps, options: PublishOptions, event: PublishEvent,
  request: PublishRequest, steps: Step[]): Promise<PublishOutcome> {
  const { registry } = deps;
  const built = await prepare(deps, options, request);
  steps.push('prepared');

  let committed: { entry: PublishedVersion; commit: RegistryCommit | undefined; resumed: boolean } | undefined;
  for (let attempt = 1; !committed; attempt++) {
    // Plan at one SHA: the head is read once, the metadata at that commit, and the commit expects that head.
    const head = await registry.head();
    const current = await registry.readPackage(request.name, head);
    const plan = planPublish({
      request, issue: event.issue, repositoryId: built.repositoryId, current,
      built: { sha256: built.tarball.integrity, bytes: built.tarball.size, commit: built.commit },
      now: options.now().toISOString(),
    });
    if (plan.kind === 'refuse') {
      return { status: 'refused', request, message: plan.reason, hint: plan.hint, problems: [], final: plan.final ?? true, steps };
    }
    if (plan.kind === 'resume') {
      deps.log.info(`${request.name}@${request.version} was already committed by issue #${event.issue}; resuming at promote.`);
      committed = { entry: plan.entry, commit: undefined, resumed: true };
      break;
    }
    await stage(deps.backends, request, built.tarball);
    if (!steps.includes('staged')) steps.push('staged');
    try {
      const commit = await commitMetadata(registry, options, event, request, plan.metadata, head);
      committed = { entry: plan.entry, commit, resumed: false };
    } catch (error) {
      // A conflict (the branch moved) or an ambiguous failure (our commit may have landed): re-plan
      // from a fresh head; the plan recognises our own commit by its issue and hash and resumes.
      if (!(isKind(error, 'conflict') || isKind(error, 'transient')) || attempt >= MAX_PLANS) throw error;
      deps.log.warning(`Commit attempt ${attempt} did not land (${(error as Error).message}); re-planning.`);
    }
  }
  steps.push('committed');

  const locations = await promote(deps.backends, request, committed.entry, built.tarball);
  steps.push('promoted');
  await cleanStaging(deps.backends, request);
  steps.push('cleaned');
  await recheck(deps, request, committed.entry);
  return { status: 'published', request, ...committed, locations, steps };
}

interface Prepared {
  repositoryId: number;
  commit: string;
  tarball: CanonicalTarball;
}

/** No side effects: resolve the tag, build the canonical tarball, check the manifest. */
async function prepare(deps: PublishDeps, options: PublishOptions, request: PublishRequest): Promise<Prepared> {
  const { githubOwner: owner, githubRepo: repo, subdir } = request.location;
  const repository = await deps.source.repository(owner, repo);
  const commit = await deps.source.resolveTag(owner, repo, request.ref);
  const archive = await deps.source.archive(owner, repo, commit);
  const tarball = await canonicalTarball(archive, {
    name: request.name, version: request.version, manifestFile: options.manifestFile, limits: options.limits,
    ...(subdir ? { subdir } : {}),
  });
  const manifest = checkManifest(tarball.manifest, { name: request.name, version: request.version, manifestFile: options.manifestFile });
  if (!manifest.ok) {
    throw refused(`The package's ${options.manifestFile} at \`${request.ref}\` does not match the request: ${manifest.problems.join(' ')}`,
      `Fix ${options.manifestFile}, tag a new version, and comment a corrected request.`);
  }
  deps.log.info(`Built ${request.name}-${request.version}.tar.gz: ${tarball.size} bytes, ${tarball.integrity}, ${tarball.files.length} files.`);
  return { repositoryId: repository.id, commit, tarball };
}

/** Puts the tarball under its content-addressed staging key in every backend, then HEAD-verifies all of them. */
async function stage(backends: Storage[], request: PublishRequest, tarball: CanonicalTarball): Promise<void> {
  const key = stagingKey(request.name, request.version, tarball.sha256Hex);
  await Promise.all(backends.map((b) => b.put(key, tarball.bytes, tarball.sha256Hex)));
  await Promise.all(backends.map(async (b) => {
    const staged = await b.head(key);
    if (!staged || staged.bytes !== tarball.size || staged.sha256 !== tarball.sha256Hex) {
      throw transient(`The staged tarball in backend ${b.name} is missing or differs from what was written.`);
    }
  }));
}

async function commitMetadata(registry: Registry, options: PublishOptions, event: PublishEvent, request: PublishRequest,
  metadata: PackageMetadata, head: string): Promise<RegistryCommit> {
  const message = publishCommitMessage({
    name: request.name, version: request.version, issue: event.issue, run: options.run.id, attempt: options.run.attempt,
  });
  return registry.commit([{ path: metadataPath(request.name), content: serializeMetadata(metadata) }], message.full, head);
}

/** Copies staging → final in every backend and verifies the bytes there; idempotent. */
async function promote(backends: Storage[], request: PublishRequest, entry: PublishedVersion,
  tarball: CanonicalTarball): Promise<TarballLocation[]> {
  const hex = sriToHex(entry.sha256);
  const key = finalKey(request.name, request.version);
  return Promise.all(backends.map(async (backend) => {
    if (!(await finalMatches(backend, key, hex, entry.bytes))) {
      const staging = stagingKey(request.name, request.version, hex);
      if (await backend.head(staging)) {
        await backend.copy(staging, key);
      } else if (tarball.sha256Hex === hex) {
        // Staging vanished (a lifecycle rule, a concurrent clean-up): our own bytes hash right, so use them.
        await backend.put(key, tarball.bytes, hex);
      } else {
        throw conflict(`Backend ${backend.name} has no staged tarball with the committed hash for ${request.name}@${request.version}.`);
      }
      if (!(await finalMatches(backend, key, hex, entry.bytes))) {
        throw transient(`The promoted tarball in backend ${backend.name} does not match the committed hash.`);
      }
    }
    return { backend: backend.name, key, url: backend.publicUrl(key) };
  }));
}

/** True when the final object exists with the committed bytes; an object with other bytes is an alarm, never overwritten. */
async function finalMatches(backend: Storage, key: string, hex: string, bytes: number): Promise<boolean> {
  const body = await backend.read(key);
  if (body === undefined) return false;
  if (body.length === bytes && sha256Hex(body) === hex) return true;
  throw conflict(`Backend ${backend.name} holds ${key} with bytes that differ from the committed hash; Registrar will not overwrite it.`,
    'A registry maintainer must look at this object: it does not match the registry metadata.');
}

async function cleanStaging(backends: Storage[], request: PublishRequest): Promise<void> {
  const prefix = stagingPrefix(request.name, request.version);
  await Promise.all(backends.map(async (backend) => {
    for (const object of await backend.list(prefix)) await backend.delete(object.key);
  }));
}

/** Rule 6: if the version left the metadata (or changed) while we promoted, the copy we made must go. */
async function recheck(deps: PublishDeps, request: PublishRequest, entry: PublishedVersion): Promise<void> {
  const head = await deps.registry.head();
  const current = await deps.registry.readPackage(request.name, head);
  if (current?.published[request.version]?.sha256 === entry.sha256) return;
  const key = finalKey(request.name, request.version);
  const hex = sriToHex(entry.sha256);
  for (const backend of deps.backends) {
    const body = await backend.read(key);
    if (body && sha256Hex(body) === hex) await backend.delete(key);
  }
  throw conflict(`${request.name}@${request.version} left the registry while it was being promoted (a rollback?); its tarball was removed again.`);
}

async function report(deps: PublishDeps, options: PublishOptions, event: PublishEvent, outcome: PublishOutcome): Promise<void> {
  const marker = statusMarker(options.run);
  await deps.tracker.upsertComment(event.issue, marker, renderPublishStatus(outcome, { registry: deps.registry }));
  if (outcome.status === 'published') {
    await deps.tracker.close(event.issue, 'completed');
  } else if (outcome.status === 'refused' && outcome.final) {
    await deps.tracker.close(event.issue, 'not_planned');
  }
}
