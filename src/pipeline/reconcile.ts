// Reconcile: bring storage back in line with the registry after crashed runs — promote what was committed, finish rollbacks, clear staging — acting only on exact matches and reporting what needs a person.
import { inert } from '../core/inert.js';
import type { RepairItem, RepairReport } from '../core/outcomes.js';
import { canonicalTarball } from '../core/tarball.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { ecosystemFor, type Ecosystem } from '../core/ecosystem.js';
import { finalKey, parseFinalKey, parseStagingKey } from '../core/keys.js';
import { packageIn } from '../core/registry-contents.js';
import { hexToSri, sriToHex } from '../core/integrity.js';
import type { PackageMetadata, PublishedVersion, RollbackRecord } from '../core/types.js';
import { conflict, transient } from '../errors.js';
import type { Registry, Source, Storage, StoredObject, Tracker } from '../ports.js';
import { MARKER_PREFIX, packageMarker } from '../core/markers.js';
import { formatAge } from './audit.js';
import { deleteFinalIfHash, finalMatches, promoteVersion, recheckPromoted, type TarballBody } from './promote.js';
import type { Log } from './publish.js';
import { finishRollback } from './rollback.js';

export const DEFAULT_STAGING_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_GRACE_MS = 60 * 60 * 1000;

export interface ReconcileDeps {
  registry: Registry;
  backends: Storage[];
  /** Lets promote rebuild a tarball from the commit the metadata records when no backend has its bytes. */
  source?: Source;
  /** Tells the publish issue when reconcile finished its version, and closes it: its author should not have to ask. */
  tracker?: Tracker;
  log: Log;
}

export interface ReconcileOptions {
  now: () => Date;
  /** Orphan staging objects older than this are deleted (default 7 days: far longer than any run). */
  stagingTtlMs?: number;
  /** A commit→promote window younger than this is left alone: a run may still be promoting (default 1 hour). */
  graceMs?: number;
  run: { id: string; attempt: number };
  /** Decide and report, write nothing. */
  dryRun?: boolean;
  /** The pacing setting, passed to finishRollback as the unit of back-off after a lost compare-and-swap. */
  paceMs?: number;
  /** For rebuilds: the manifest file and archive limits the publish used (defaults: package.json, DEFAULT_LIMITS). */
  manifestFile?: string;
  limits?: Limits;
  /** The registry's ecosystem: how storage keys read back and how tarballs are rebuilt (default: today's rules). */
  ecosystem?: Ecosystem;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const id = (name: string, version: string) => `${name}@${version}`;

/** One backend's object, classified by its key. */
type Classified =
  | { type: 'final'; backend: Storage; object: StoredObject; name: string; version: string }
  | { type: 'staging'; backend: Storage; object: StoredObject; name: string; version: string; sha256Hex: string }
  | { type: 'unknown'; backend: Storage; object: StoredObject };

export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions): Promise<RepairReport> {
  const ttl = options.stagingTtlMs ?? DEFAULT_STAGING_TTL_MS;
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const dryRun = options.dryRun ?? false;
  const { registry, backends, log } = deps;
  const ecosystem = options.ecosystem ?? ecosystemFor('default', options.manifestFile === undefined ? {} : { manifestFile: options.manifestFile });

  // Rule 9: list storage first, then read the registry. An object staged after our listing is simply not seen;
  // one listed before a commit we read is judged by that commit, never as an orphan of a stale view.
  // The backends are listed side by side (each listing pages serially), all before the head is read.
  const listings = await Promise.all(backends.map(async (backend) => ({ backend, objects: await backend.list('') })));
  const objects: Classified[] = listings.flatMap(({ backend, objects: listed }) => listed.map((object) => classify(backend, object, ecosystem)));
  // Then the whole registry from one snapshot of the head: a few requests, whatever the number of packages.
  const head = await registry.head();
  const contents = await registry.packagesAt(head);
  const report: RepairReport = { head, dryRun, actions: [], needsHuman: [], left: [] };
  const packages = contents.packages;
  // A corrupt file is a person's job; its objects are left untouched, since we cannot tell what it records.
  const unreadableNames = new Set(contents.unreadable.keys());
  const unreadable = { has: (name: string) => unreadableNames.has(ecosystem.canonicalName(name)) };
  for (const [name, error] of [...contents.unreadable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    report.needsHuman.push({ kind: 'unreadable-metadata', name, detail: describe(error) });
  }
  log.info(`Reconcile at registry ${head.slice(0, 12)}: ${packages.size} packages, ${objects.length} objects in ${backends.length} backends.`);

  const now = options.now().getTime();
  /** Versions a finished (or failed) rollback owns: later steps leave their objects to it. */
  const rollingBack = new Set<string>();
  /** The registry as of now, for the re-reads before every write (rule 9). */
  const fresh = async (name: string) => {
    const { metadata } = await registry.snapshot(name);
    // Another spelling's file (crates) says nothing about this name's objects.
    return metadata?.name === name ? metadata : undefined;
  };
  const act = async (item: RepairItem, write: () => Promise<void>) => {
    if (!dryRun) await write();
    report.actions.push(dryRun ? { ...item, detail: `(dry run) would: ${item.detail}` } : item);
    log.info(`${item.kind}: ${item.detail}`);
  };
  const attempt = async (what: RepairItem, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      report.needsHuman.push({ ...what, kind: what.kind, detail: `${what.detail}: ${describe(error)}` });
      log.warning(`${what.detail}: ${describe(error)}`);
    }
  };

  // 1. Rollbacks left `cleaned: false`: finishRollback deletes hash-checked and commits `cleaned: true`.
  for (const metadata of packages.values()) {
    for (const record of uniquePending(metadata.rolledBack)) {
      rollingBack.add(id(metadata.name, record.version));
      const item: RepairItem = { kind: 'rollback-finished', name: metadata.name, version: record.version, sha256: record.sha256,
        detail: `finished the rollback of ${id(metadata.name, record.version)} (${record.sha256}, ${record.issue === undefined ? 'from the command line' : `issue #${record.issue}`} by @${record.by.login})` };
      await attempt({ ...item, kind: 'rollback-failed', detail: `could not finish the rollback of ${id(metadata.name, record.version)}` },
        () => act(item, async () => {
          await finishRollback({ registry, backends, log }, metadata.name, record.version,
            { run: options.run, now: options.now, ecosystem, ...(options.paceMs === undefined ? {} : { paceMs: options.paceMs }) },
            { issue: record.issue, actor: record.by, removedAt: head });
        }));
    }
  }

  // 2. Committed versions whose final object is missing somewhere: promote once the grace period has passed.
  const finals = new Set(objects.filter((o) => o.type === 'final').map((o) => `${o.backend.name}\0${o.object.key}`));
  for (const metadata of packages.values()) {
    for (const [version, entry] of Object.entries(metadata.published)) {
      const key = finalKey(metadata.name, version, ecosystem);
      const missing = backends.filter((b) => !finals.has(`${b.name}\0${key}`));
      if (missing.length === 0) continue;
      const where = { name: metadata.name, version, sha256: entry.sha256, key };
      const age = now - Date.parse(entry.publishedTime);
      if (!(age > grace)) {
        report.left.push({ kind: 'promote-window', ...where,
          detail: `${id(metadata.name, version)} was committed ${formatAge(age)} ago, within the grace period (${formatAge(grace)}); a run may still be promoting it` });
        continue;
      }
      await attempt({ kind: 'promote-failed', ...where, detail: `could not promote ${id(metadata.name, version)}` }, async () => {
        const current = (await fresh(metadata.name))?.published[version];
        if (!sameEntry(current, entry)) {
          report.left.push({ kind: 'changed-meanwhile', ...where, detail: `${id(metadata.name, version)} changed in the registry since the plan; the next reconcile judges it` });
          return;
        }
        await act({ kind: 'promoted', ...where, detail: `promoted ${id(metadata.name, version)} (${entry.sha256}) to ${missing.map((b) => b.name).join(', ')}` },
          async () => {
            await promoteVersion(backends, metadata.name, version, entry, rebuildFrom(deps, options, ecosystem, metadata, version, entry), ecosystem);
            if (await recheckPromoted(registry, backends, metadata.name, version, entry, ecosystem) === 'rolled-back') {
              throw transient(`${id(metadata.name, version)} was rolled back while reconcile promoted it; the copies were removed again.`);
            }
          });
      });
      // A version published from the CLI has no issue to tell.
      if (deps.tracker && !dryRun && entry.issue !== undefined && report.actions.some((a) => a.kind === 'promoted' && a.name === metadata.name && a.version === version)) {
        const tracker = deps.tracker;
        const issue = entry.issue;
        await attempt({ kind: 'failed', ...where, detail: `could not tell issue #${entry.issue} that ${id(metadata.name, version)} is published` }, async () => {
          await tracker.upsertComment(issue, `${MARKER_PREFIX}reconcile promoted ${id(metadata.name, version)} -->`,
            `### ✅ Published ${inert(id(metadata.name, version))}\n\nThe scheduled reconcile finished what an interrupted run began: `
            + `the version was committed, and its tarball (${inert(entry.sha256)}) is now in every backend.\n${packageMarker(metadata.name, version)}`);
          await tracker.close(issue, 'completed');
        });
      }
    }
  }

  // 3. Staging objects: those of promoted versions go; orphans go once older than the TTL; the rest stay.
  for (const item of objects) {
    if (item.type !== 'staging') continue;
    const { backend, object, name, version, sha256Hex } = item;
    const sri = hexToSri(sha256Hex);
    const where = { backend: backend.name, key: object.key, name, version, sha256: sri };
    if (unreadable.has(name) || rollingBack.has(id(name, version))) {
      report.left.push({ kind: 'staging-unpromoted', ...where,
        detail: unreadable.has(name) ? `the metadata of ${name} cannot be read` : `the rollback of ${id(name, version)} owns it` });
      continue;
    }
    await attempt({ kind: 'failed', ...where, detail: `could not judge staging object ${object.key} in ${backend.name}` }, async () => {
      const entry = packageIn(contents, name, ecosystem)?.published[version];
      if (entry?.sha256 === sri) {
        // Committed: its staging object goes only once this backend's final object is verified (hash read back).
        if (!(await finalMatches(backend, name, version, entry, ecosystem))) {
          report.left.push({ kind: 'staging-unpromoted', ...where, detail: `${id(name, version)} is committed but not promoted in ${backend.name} yet; promote needs this object` });
          return;
        }
        const current = (await fresh(name))?.published[version];
        if (current?.sha256 !== sri) {
          report.left.push({ kind: 'changed-meanwhile', ...where, detail: `${id(name, version)} changed in the registry since the plan` });
          return;
        }
        await act({ kind: 'staging-deleted', ...where, detail: `deleted staging ${object.key} in ${backend.name}: ${id(name, version)} is promoted there` },
          () => backend.delete(object.key));
        return;
      }
      const age = object.lastModified ? now - object.lastModified.getTime() : undefined;
      if (age === undefined || !(age > ttl)) {
        report.left.push({ kind: 'young-staging', ...where,
          detail: `staging object of ${id(name, version)} with no committed entry of its hash, ${age === undefined ? 'of unknown age' : `${formatAge(age)} old`}: `
            + `younger than the staging TTL (${formatAge(ttl)}), a run may still be between stage and commit` });
        return;
      }
      const current = (await fresh(name))?.published[version];
      if (current?.sha256 === sri) {
        report.left.push({ kind: 'changed-meanwhile', ...where, detail: `${id(name, version)} was committed with this hash since the plan` });
        return;
      }
      await act({ kind: 'orphan-staging-deleted', ...where,
        detail: `deleted orphan staging ${object.key} in ${backend.name}: ${formatAge(age)} old, no committed entry has its hash` },
      () => backend.delete(object.key));
    });
  }

  // 4. Final objects: never deleted blind. Only a rollback record of exactly the object's hash lets one go.
  for (const item of objects) {
    if (item.type === 'unknown') {
      report.left.push({ kind: 'unknown-key', backend: item.backend.name, key: item.object.key,
        detail: `${item.object.bytes} bytes at a key Registrar never writes; left as it is` });
      continue;
    }
    if (item.type !== 'final') continue;
    const { backend, object, name, version } = item;
    const where = { backend: backend.name, key: object.key, name, version };
    if (unreadable.has(name) || rollingBack.has(id(name, version))) continue;
    await attempt({ kind: 'failed', ...where, detail: `could not judge final object ${object.key} in ${backend.name}` }, async () => {
      const metadata = packageIn(contents, name, ecosystem);
      const entry = metadata?.published[version];
      if (entry) {
        // Sizes come with the listing; a size that differs is certain evidence of other bytes (audit reads every hash).
        if (object.bytes !== entry.bytes) {
          report.needsHuman.push({ kind: 'final-mismatch', ...where, sha256: entry.sha256,
            detail: `${object.bytes} bytes, but ${id(name, version)} is committed as ${entry.bytes} bytes with ${entry.sha256}; Registrar will not overwrite or delete it` });
        }
        return;
      }
      const records = (metadata?.rolledBack ?? []).filter((r) => r.version === version);
      if (records.length === 0) {
        report.needsHuman.push({ kind: 'final-without-metadata', ...where,
          detail: `${object.bytes} bytes at a final key, but ${id(name, version)} is not in the registry and no rollback covers it` });
        return;
      }
      // A rolled-back version's object: delete it only if it holds exactly a recorded hash, after a fresh re-read.
      const current = await fresh(name);
      if (current?.published[version] !== undefined) {
        report.left.push({ kind: 'changed-meanwhile', ...where, detail: `${id(name, version)} is published again since the plan` });
        return;
      }
      const freshRecords = (current?.rolledBack ?? []).filter((r) => r.version === version);
      // Hashed as it streams by, once for all the version's records.
      const digest = freshRecords.length > 0 ? await backend.digest(object.key) : undefined;
      if (freshRecords.length > 0 && digest === undefined) return; // gone since the listing
      for (const record of freshRecords) {
        if (digest?.sha256Hex !== sriToHex(record.sha256)) continue;
        await act({ kind: 'rolled-back-final-deleted', ...where, sha256: record.sha256,
          detail: `deleted ${object.key} in ${backend.name}: it holds ${record.sha256}, which the rollback of ${id(name, version)} (${record.issue === undefined ? 'from the command line' : `issue #${record.issue}`}) removed` },
        async () => {
          // deleteFinalIfHash reads the bytes again right before the delete (rule 5).
          if (!(await deleteFinalIfHash(backend, name, version, record.sha256, ecosystem))) {
            throw conflict(`${object.key} in ${backend.name} changed before it could be deleted`);
          }
        });
        return;
      }
      report.needsHuman.push({ kind: 'final-mismatch', ...where,
        detail: `${id(name, version)} was rolled back (${freshRecords.map((r) => r.sha256).join(', ')}), but ${object.key} in ${backend.name} holds other bytes; Registrar will not delete it` });
    });
  }

  return report;
}

function classify(backend: Storage, object: StoredObject, ecosystem: Ecosystem): Classified {
  const staging = parseStagingKey(object.key, ecosystem);
  if (staging) return { type: 'staging', backend, object, ...staging };
  const final = parseFinalKey(object.key, ecosystem);
  if (final) return { type: 'final', backend, object, ...final };
  return { type: 'unknown', backend, object };
}

/** One pending record per version (a file may hold several for one version; finishRollback handles them together). */
function uniquePending(records: RollbackRecord[]): RollbackRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !r.cleaned && !seen.has(r.version) && seen.add(r.version));
}

function sameEntry(a: PublishedVersion | undefined, b: PublishedVersion): boolean {
  return a !== undefined && a.sha256 === b.sha256 && a.bytes === b.bytes && a.commit === b.commit;
}

/** Rule 4's last resort for promote: rebuild from the commit (and subdir) the metadata records, when a Source is given. */
function rebuildFrom(deps: ReconcileDeps, options: ReconcileOptions, ecosystem: Ecosystem, metadata: PackageMetadata, version: string,
  entry: PublishedVersion): { rebuild?: () => Promise<TarballBody> } {
  const { source } = deps;
  if (!source) return {};
  return {
    rebuild: async () => {
      const { githubOwner, githubRepo } = metadata.location;
      // Rule 12 holds here too: a source made private since its publish is not read (unless the registry opts in).
      await source.repository(githubOwner, githubRepo);
      const archive = await source.archive(githubOwner, githubRepo, entry.commit);
      const tarball = await canonicalTarball(archive, {
        name: metadata.name, version, manifestFiles: ecosystem.manifestFiles, topDirectory: ecosystem.topDirectory(metadata.name, version),
        limits: options.limits ?? DEFAULT_LIMITS,
        ...(entry.subdir ? { subdir: entry.subdir } : {}),
      });
      return { body: tarball.bytes, bytes: tarball.size, sha256Hex: tarball.sha256Hex };
    },
  };
}

/**
 * Rule 6 for reconcile's own promote: if a rollback of exactly these bytes landed while we copied, the copy
 * goes again (hash-checked). A head that merely lacks the version is left for the next run to judge.
 */

