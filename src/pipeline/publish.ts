// The publish pipeline: intake → prepare → stage → COMMIT → promote → report, over the ports only.
import { quote } from '../core/names.js';
import { stepTimer, type Durations, type PublishOutcome, type Step } from '../core/outcomes.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCanonicalTarball, type CanonicalTarballFile as CanonicalTarball } from '../core/tarball.js';
import { ecosystemFor, type Ecosystem } from '../core/ecosystem.js';
import type { Limits } from '../core/limits.js';
import { parsePublishRequest } from '../core/request.js';
import { planPublish } from '../core/plan.js';
import { stagingKey } from '../core/keys.js';
import { sriToHex } from '../core/integrity.js';
import type { PackageMetadata, PublishedVersion, PublishRequest } from '../core/types.js';
import type { Trigger } from '../commands/intake.js';
import { RegistrarError, judgesTheRequest, refused, transient } from '../errors.js';
import type { Registry, RegistryCommit, Snapshot, Source, Storage, StoredObject, Tracker } from '../ports.js';
import { statusMarker } from '../core/markers.js';
import { StatusComment } from './status-comment.js';
import { cleanStaging, finalMatches, lookAtFinals, promoteVersion, recheckPromoted, type TarballBody } from './promote.js';
import { beforeReplan, commitPackage, mayHaveLanded, timedCommit } from './registry-commit.js';

export interface PublishDeps {
  registry: Registry;
  source: Source;
  tracker: Tracker;
  /** Every storage backend; the first is the primary. */
  backends: Storage[];
  log: Log;
}

export interface PublishOptions {
  /** The default preset's manifest file (the `manifest-file` input); other ecosystems read their own. */
  manifestFile: string;
  /** The registry's ecosystem: its names, versions, manifests and tarball layout (default: today's rules with manifestFile). */
  ecosystem?: Ecosystem;
  limits: Limits;
  /** The one pacing setting (api-pace-ms): also the unit of back-off between re-plans. */
  paceMs: number;
  /** The workflow run and attempt; `url` links the run's page from the status comment, where there is one. */
  run: { id: string; attempt: number; url?: string };
  now: () => Date;
}

export interface Log {
  info(message: string): void;
  warning(message: string): void;
}

export interface PublishEvent {
  /**
   * The publish issue; undefined for a publish run from the CLI (its tracker is the terminal, which is told
   * issue 0, and nothing is closed).
   */
  issue: number | undefined;
  /** The text holding the request: the issue body or a corrected request comment. */
  request: string;
  trigger: Trigger;
}

export async function publish(deps: PublishDeps, options: PublishOptions, event: PublishEvent): Promise<PublishOutcome> {
  const steps: Step[] = [];
  const durations: Durations = {};
  const done = stepTimer(steps, durations, () => performance.now());
  const doubt = { commit: false };
  const status = new StatusComment(deps.tracker, event.issue ?? 0, statusMarker(options.run), { registry: deps.registry, run: options.run, ecosystem: ecosystemOf(options) },
    deps.log, options.paceMs);
  let request: PublishRequest | undefined;
  let outcome: PublishOutcome;
  // The canonical tarball is built and kept on disk (memory stays flat); nothing of it outlives the attempt.
  const scratch = await mkdtemp(join(tmpdir(), 'registrar-'));
  try {
    // intake
    const parsed = parsePublishRequest(event.request, ecosystemOf(options));
    if (!parsed.ok) {
      outcome = { status: 'refused', request, message: 'The publish request is not valid.', hint: undefined,
        problems: parsed.problems, final: false, steps };
    } else {
      request = parsed.request;
      status.progress({ status: 'working', request, steps });
      outcome = await publishRequest(deps, { ...options, scratch }, event, request, { steps, done }, doubt, status);
    }
  } catch (error) {
    const failure = error instanceof RegistrarError ? error : transient(`Unexpected failure: ${quote(String(error))}`, error);
    outcome = refusesTheRequest(failure, steps)
      ? { status: 'refused', request, message: failure.message, hint: failure.hint, problems: [], final: false, steps }
      : { status: 'failed', request, error: failure, steps, ...(doubt.commit ? { commitInDoubt: true } : {}) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  outcome = { ...outcome, durations };
  await report(deps, event, outcome, status);
  return outcome;
}

/** The options of one attempt, with the directory its tarballs are built in. */
export type AttemptOptions = Pick<PublishOptions, 'manifestFile' | 'limits' | 'ecosystem'> & { scratch: string };

/** The ecosystem a publish follows: the one given, else the default preset reading `manifestFile`. */
function ecosystemOf(options: Pick<PublishOptions, 'manifestFile' | 'ecosystem'>): Ecosystem {
  return options.ecosystem ?? ecosystemFor('default', { manifestFile: options.manifestFile });
}

async function publishRequest(deps: PublishDeps, options: PublishOptions & AttemptOptions, event: PublishEvent,
  request: PublishRequest, { steps, done }: { steps: Step[]; done: (step: Step) => void }, doubt: { commit: boolean },
  status: StatusComment): Promise<PublishOutcome> {
  const { registry, backends } = deps;
  const ecosystem = ecosystemOf(options);
  // The first plan's snapshot is read while the source downloads and builds: it waits on nothing the build makes.
  const firstSnapshot = registry.snapshot(request.name);
  firstSnapshot.catch(() => {}); // awaited below; unused when prepare fails
  let built = await prepare(deps, options, request);
  done('prepared');

  let staged: Staged | undefined;
  let finals: Map<Storage, Promise<StoredObject | undefined>> | undefined;
  let committed: { entry: PublishedVersion; commit: RegistryCommit | undefined; resumed: boolean } | undefined;
  // The slowest commit request seen: a lost race answered at once says little about how long the branch is held.
  const took = { ms: 0, slowest: 0 };
  for (let attempt = 1; !committed; attempt++) {
    // Rule 1: plan on one snapshot (the head and the metadata in that very commit); the commit expects that head.
    // A re-plan re-reads only the snapshot, and checks the staging objects (rule 3) at the same time.
    const [snapshot, restaged] = attempt === 1
      ? [await firstSnapshot, undefined]
      : await Promise.all([registry.snapshot(request.name), stage(backends, request, built.tarball, staged, ecosystem)]);
    const { head, metadata: current }: Snapshot = snapshot;
    if (restaged) staged = restaged;
    // A snapshot read after a commit whose answer was lost shows whether it landed: the plan below acts on that.
    doubt.commit = false;
    const plan = planPublish({
      request, issue: event.issue, repositoryId: built.repositoryId, current,
      built: { sha256: built.tarball.integrity, bytes: built.tarball.size, commit: built.commit },
      now: options.now().toISOString(), triggeredAt: event.trigger.at || undefined, ecosystem,
    });
    if (plan.kind === 'refuse') {
      if (staged) await unstage(backends, request, built.tarball, current, ecosystem);
      return { status: 'refused', request, message: plan.reason, hint: plan.hint, problems: [], final: plan.final, steps };
    }
    if (plan.kind === 'resume') {
      deps.log.info(`${request.name}@${request.version} was committed by ${event.issue === undefined ? 'the command line' : `issue #${event.issue}`}; resuming at promote.`);
      // The tag moved since our commit: promote needs the bytes of the commit the metadata records.
      if (plan.rebuildFrom) built = await rebuild(deps, options, request, plan.entry, built);
      committed = { entry: plan.entry, commit: undefined, resumed: true };
      break;
    }
    staged ??= await stage(backends, request, built.tarball, undefined, ecosystem);
    if (!steps.includes('staged')) done('staged');
    // Rule 5's look at the final keys rides along with the commit: nothing writes a final key before its commit.
    finals = lookAtFinals(backends, request.name, request.version, ecosystem);
    try {
      const commit = await timedCommit(() => commitPackage(registry, { action: 'Publish', name: request.name, version: request.version },
        { issue: event.issue, run: options.run, ecosystem }, { before: current, next: plan.metadata }, head), took);
      committed = { entry: plan.entry, commit, resumed: false };
    } catch (error) {
      finals = undefined;
      doubt.commit = mayHaveLanded(error);
      // The re-plan recognises our own commit (landed despite the error) by its issue and hash, and resumes.
      took.slowest = Math.max(took.slowest, took.ms);
      await beforeReplan(error, attempt, { paceMs: options.paceMs, commitMs: took.slowest }, deps.log, 'Commit');
    }
  }
  done('committed');
  status.progress({ status: 'working', request, steps });

  const own = tarballBody(built.tarball);
  const locations = await promoteVersion(backends, request.name, request.version, committed.entry, {
    own,
    rebuild: async () => tarballBody(await build(deps, options, request, committed.entry.commit)),
    ...(staged && own.sha256Hex === sriToHex(committed.entry.sha256) ? { staged: staged.etags } : {}),
    ...(finals ? { finals } : {}),
  }, ecosystem);
  done('promoted');
  // Rule 6's re-check and the clean-up touch different things: they run side by side.
  const [verdict] = await Promise.all([
    recheck(deps, request, committed.entry, ecosystem),
    cleanStaging(backends, request.name, request.version, stagingKey(request.name, request.version, sriToHex(committed.entry.sha256), ecosystem), ecosystem),
  ]);
  done('cleaned');
  if (verdict === 'rolled-back') {
    return { status: 'refused', request, problems: [], final: false, steps,
      message: `${quote(`${request.name}@${request.version}`)} was rolled back by a trustee while it was being promoted; the copy this attempt made was removed again.`,
      hint: 'Read the rollback comment for the reason; publish a corrected new version, or ask the trustee.' };
  }
  return { status: 'published', request, ...committed, locations, steps };
}

/**
 * A refusal is a judgement on the request (its content, its tag, the registry's rules), made before anything
 * was committed. A service refusing Registrar (a token's permission, a rate limit, a misconfigured backend)
 * is a failed attempt, and nothing committed is ever reported as refused.
 */
function refusesTheRequest(failure: RegistrarError, steps: Step[]): boolean {
  return !steps.includes('committed') && judgesTheRequest(failure);
}

export interface Prepared {
  repositoryId: number;
  commit: string;
  tarball: CanonicalTarball;
}

/**
 * No side effects: resolve the tag, build the canonical tarball, check the manifest (the ecosystem's: where the
 * manifest has no version, as a bower.json may not, the tag supplies it and must match the request). A dry run is
 * this and a plan.
 */
export async function prepare(deps: Pick<PublishDeps, 'source' | 'log'>, options: AttemptOptions, request: PublishRequest): Promise<Prepared> {
  const { githubOwner: owner, githubRepo: repo } = request.location;
  const repository = await deps.source.repository(owner, repo);
  const commit = await deps.source.resolveTag(owner, repo, request.ref);
  const tarball = await build(deps, options, request, commit);
  const manifest = ecosystemOf(options).checkManifest(tarball.manifests, { name: request.name, version: request.version, ref: request.ref });
  if (!manifest.ok) {
    throw refused(`The package's ${quote(manifest.file)} at ${quote(request.ref)} does not match the request: ${manifest.problems.join(' ')}`,
      `Fix ${manifest.file}, tag a new version, and comment a corrected request.`);
  }
  deps.log.info(`Built ${request.name}-${request.version}.tar.gz: ${tarball.size} bytes, ${tarball.integrity}, ${tarball.files.length} files.`);
  return { repositoryId: repository.id, commit, tarball };
}

async function build(deps: Pick<PublishDeps, 'source'>, options: AttemptOptions, request: PublishRequest, commit: string): Promise<CanonicalTarball> {
  const { githubOwner: owner, githubRepo: repo, subdir } = request.location;
  const archive = await deps.source.archive(owner, repo, commit);
  // A directory per build: a rebuild never meets the files of the one before.
  const workDir = await mkdtemp(join(options.scratch, 'build-'));
  const ecosystem = ecosystemOf(options);
  return buildCanonicalTarball(archive, {
    name: request.name, version: request.version, manifestFiles: ecosystem.manifestFiles, limits: options.limits, workDir,
    topDirectory: ecosystem.topDirectory(request.name, request.version), ...(subdir ? { subdir } : {}),
  });
}

/** Rule 4's last resort: the tag moved after our commit, so rebuild from the commit the metadata records. */
async function rebuild(deps: PublishDeps, options: AttemptOptions, request: PublishRequest, entry: PublishedVersion,
  built: Prepared): Promise<Prepared> {
  const tarball = await build(deps, options, request, entry.commit);
  if (tarball.integrity !== entry.sha256) {
    throw refused(`${quote(`${request.name}@${request.version}`)} was committed by this issue as ${quote(entry.sha256)} from commit ${entry.commit}, `
      + `but rebuilding that commit gives ${tarball.integrity}.`,
      'A registry trustee must look at this version (it cannot be completed as committed).');
  }
  return { ...built, commit: entry.commit, tarball };
}

/** What this attempt staged: per backend, the entity tag a write's own answer proved (absent where it proved nothing). */
interface Staged {
  etags: Map<Storage, string>;
}

/**
 * Rule 3: right before the commit, the tarball is at its content-addressed staging key in every backend,
 * verified. The first stage of a run always writes (it refreshes an old attempt's object, so its age counts
 * from now) and is verified by the write's own answer, or a HEAD where the answer proves nothing; a re-plan
 * (`before` given) HEADs and writes only where the object is missing or differs.
 */
async function stage(backends: Storage[], request: PublishRequest, tarball: CanonicalTarball, before: Staged | undefined,
  ecosystem: Ecosystem): Promise<Staged> {
  const key = stagingKey(request.name, request.version, tarball.sha256Hex, ecosystem);
  const body = tarballBody(tarball);
  const staged = async (b: Storage) => {
    const object = await b.head(key);
    return object !== undefined && object.bytes === tarball.size && object.sha256 === tarball.sha256Hex;
  };
  const etags = new Map<Storage, string>();
  await Promise.all(backends.map(async (b) => {
    const known = before?.etags.get(b);
    if (before && await staged(b)) {
      if (known !== undefined) etags.set(b, known);
      return;
    }
    const receipt = await b.put(key, body.body, { sha256Hex: body.sha256Hex, ...(body.md5Hex ? { md5Hex: body.md5Hex } : {}) });
    if (receipt.verified && receipt.etag !== undefined) {
      etags.set(b, receipt.etag);
    } else if (!(await staged(b))) {
      throw transient(`The staged tarball in backend ${b.name} is missing or differs from what was written.`);
    }
  }));
  return { etags };
}

function tarballBody(tarball: CanonicalTarball): TarballBody {
  return { body: { file: tarball.file, bytes: tarball.size }, bytes: tarball.size, sha256Hex: tarball.sha256Hex, md5Hex: tarball.md5Hex };
}

/**
 * A refused run takes back the staging object it wrote — unless those bytes are the committed ones and
 * not yet promoted in that backend: then the winner still needs them, and its own clean-up removes them.
 */
async function unstage(backends: Storage[], request: PublishRequest, tarball: CanonicalTarball,
  current: PackageMetadata | undefined, ecosystem: Ecosystem): Promise<void> {
  const key = stagingKey(request.name, request.version, tarball.sha256Hex, ecosystem);
  const committed = current?.published[request.version];
  await Promise.all(backends.map(async (backend) => {
    if (committed?.sha256 === tarball.integrity && !(await finalMatches(backend, request.name, request.version, committed, ecosystem))) return;
    await backend.delete(key);
  }));
}

/** Rule 6: a rollback that landed while we promoted means the copy we made must go again. */
async function recheck(deps: PublishDeps, request: PublishRequest, entry: PublishedVersion,
  ecosystem: Ecosystem): Promise<'kept' | 'rolled-back' | 'unconfirmed'> {
  const verdict = await recheckPromoted(deps.registry, deps.backends, request.name, request.version, entry, ecosystem);
  if (verdict === 'unconfirmed') {
    deps.log.warning(`The registry head did not show ${request.name}@${request.version} on repeated reads; leaving the promoted tarball for reconcile to judge.`);
  }
  return verdict;
}

async function report(deps: PublishDeps, event: PublishEvent, outcome: PublishOutcome, status: StatusComment): Promise<void> {
  if (outcome.status === 'published') {
    // Published either way: the result comment and the closing go out together (the client still paces them).
    await Promise.all([status.final(outcome), event.issue === undefined ? undefined : deps.tracker.close(event.issue, 'completed')]);
    return;
  }
  await status.final(outcome);
  // A final refusal closes the issue only once the comment saying why is there.
  if (outcome.status === 'refused' && outcome.final && event.issue !== undefined) await deps.tracker.close(event.issue, 'not_planned');
}

