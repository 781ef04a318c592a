// Audit: a read-only check of invariants 1, 2 and 5 over the registry's whole history and every backend's objects.
import type { AuditReport, AuditViolation } from '../core/outcomes.js';
import { DEFAULT_ECOSYSTEM, type Ecosystem } from '../core/ecosystem.js';
import { parseFinalKey, parseStagingKey } from '../core/keys.js';
import { packageIn } from '../core/registry-contents.js';
import { sriToHex } from '../core/integrity.js';
import type { PackageMetadata } from '../core/types.js';
import type { RegistryHistory, Storage, StoredObject } from '../ports.js';

export interface AuditDeps {
  history: RegistryHistory;
  backends: Storage[];
}

export interface AuditOptions {
  now: () => Date;
  stagingTtlMs: number;
  /** Objects read and hashed at once per backend (default 16). */
  concurrency?: number;
  /**
   * How final objects are checked against the registry head: `hash` (default) reads each one whole and compares its
   * sha256 and size, one GET per object; `size` compares the listing's sizes only, no request per object, so a
   * same-size object with other bytes goes unseen (reconcile's own check, for a quick pass over a large registry).
   */
  finals?: 'hash' | 'size';
  /** The registry's ecosystem: how storage keys read back to names and versions (default: today's rules). */
  ecosystem?: Ecosystem;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function audit(deps: AuditDeps, options: AuditOptions): Promise<AuditReport> {
  const concurrency = options.concurrency ?? 16;
  const ecosystem = options.ecosystem ?? DEFAULT_ECOSYSTEM;
  const violations: AuditViolation[] = [];
  // Storage first, then the registry (rule 9): an object written after a commit we have not seen yet cannot look uncommitted.
  const listings = await Promise.all(deps.backends.map(async (backend) => ({ backend, objects: await backend.list('') })));
  const head = await deps.history.head();

  const commits = await checkHistory(deps.history, concurrency, violations);
  // Every package at the head from one snapshot. A corrupt file is reported under invariant 1 by the history walk;
  // here it only means "cannot judge its objects".
  const contents = await deps.history.packagesAt(head);
  const atHead = contents.packages;
  const unreadableNames = new Set(contents.unreadable.keys());
  const unreadable = { has: (name: string) => unreadableNames.has(ecosystem.canonicalName(name)) };

  let hashed = 0;
  /** `backend\0name@version` of final objects read and found matching the head. */
  const verified = new Set<string>();
  for (const { backend, objects } of listings) {
    await pool(objects, concurrency, async (object) => {
      const final = parseFinalKey(object.key, ecosystem);
      if (!final || unreadable.has(final.name)) return;
      const entry = packageIn(contents, final.name, ecosystem)?.published[final.version];
      const where = { backend: backend.name, key: object.key, name: final.name, version: final.version };
      if (!entry) {
        violations.push({ invariant: 2, ...where,
          message: `${backend.name}: final object ${object.key} has no published entry for ${final.name}@${final.version} at the registry head` });
        return;
      }
      if (options.finals === 'size') {
        if (object.bytes !== entry.bytes) {
          violations.push({ invariant: 2, ...where,
            message: `${backend.name}: final object ${object.key} is ${object.bytes} bytes; the registry records ${entry.bytes} bytes with ${entry.sha256}` });
        } else verified.add(`${backend.name}\0${final.name}@${final.version}`);
        return;
      }
      // Hashed as it streams by (one GET, never held whole), whatever the tarball's size.
      const digest = await backend.digest(object.key);
      hashed += 1;
      if (digest === undefined) return; // deleted since the listing: nothing at the key to judge
      const hex = digest.sha256Hex;
      if (hex !== sriToHex(entry.sha256) || digest.bytes !== entry.bytes) {
        violations.push({ invariant: 2, ...where,
          message: `${backend.name}: final object ${object.key} holds ${digest.bytes} bytes with sha256 ${hex}; `
            + `the registry records ${entry.bytes} bytes with ${entry.sha256} (${sriToHex(entry.sha256)})` });
        return;
      }
      verified.add(`${backend.name}\0${final.name}@${final.version}`);
    });
  }

  const now = options.now().getTime();
  for (const { backend, objects } of listings) {
    for (const object of objects) checkStaging(object, backend, deps.backends, contents, ecosystem, verified, now, options.stagingTtlMs, violations);
  }

  return {
    head,
    checked: { commits, packages: atHead.size + unreadableNames.size, objects: listings.reduce((n, l) => n + l.objects.length, 0), hashed },
    violations: violations.sort(byPlace),
  };
}

function checkStaging(object: StoredObject, backend: Storage, all: Storage[], atHead: { packages: Map<string, PackageMetadata> },
  ecosystem: Ecosystem, verified: Set<string>, now: number, ttlMs: number, violations: AuditViolation[]): void {
  const staging = parseStagingKey(object.key, ecosystem);
  if (!staging) return;
  const where = { backend: backend.name, key: object.key, name: staging.name, version: staging.version };
  const age = object.lastModified ? now - object.lastModified.getTime() : undefined;
  if (age !== undefined && age > ttlMs) {
    violations.push({ invariant: 5, ...where,
      message: `${backend.name}: staging object ${object.key} is ${formatAge(age)} old, older than the staging TTL (${formatAge(ttlMs)})` });
    return;
  }
  const entry = packageIn(atHead, staging.name, ecosystem)?.published[staging.version];
  const promotedEverywhere = entry !== undefined && all.every((b) => verified.has(`${b.name}\0${staging.name}@${staging.version}`));
  if (promotedEverywhere) {
    violations.push({ invariant: 5, ...where,
      message: `${backend.name}: staging object ${object.key} is left although ${staging.name}@${staging.version} is committed and promoted in every backend` });
  }
}

/**
 * Invariant 1 over the whole first-parent history: once a (name, version) has a sha256, every later commit
 * keeps it — unless that commit's file records a rollback of exactly that version and hash, which frees it.
 */
async function checkHistory(history: RegistryHistory, concurrency: number, violations: AuditViolation[]): Promise<number> {
  const commits = await history.commitsTouchingMetadata();
  /** name → version → sha256 as last committed. */
  const known = new Map<string, Map<string, string>>();
  for (const commit of commits) {
    const names = await history.changedPackages(commit);
    const files = await pool(names, concurrency, async (name) => {
      try {
        return { name, metadata: await history.readPackage(name, commit), problem: undefined };
      } catch (error) {
        return { name, metadata: undefined, problem: message(error) };
      }
    });
    for (const { name, metadata, problem } of files) {
      const before = known.get(name) ?? new Map<string, string>();
      if (problem !== undefined) {
        // What it records cannot be judged; keep the last readable state so a later commit is still held to it.
        violations.push({ invariant: 1, name, commit, message: `${name}: the metadata at commit ${commit.slice(0, 12)} cannot be read: ${problem}` });
        continue;
      }
      const after = new Map<string, string>(Object.entries(metadata?.published ?? {}).map(([v, e]) => [v, e.sha256]));
      for (const [version, sha256] of before) {
        const now = after.get(version);
        if (now === sha256) continue;
        const rolledBack = metadata?.rolledBack.some((r) => r.version === version && r.sha256 === sha256) ?? false;
        if (rolledBack) continue;
        violations.push({ invariant: 1, name, version, commit,
          message: now === undefined
            ? `${name}@${version} (${sha256}) disappears at commit ${commit.slice(0, 12)}${metadata ? '' : ' (the metadata file is deleted)'} without a rollback record of that hash`
            : `${name}@${version} changes from ${sha256} to ${now} at commit ${commit.slice(0, 12)} without a rollback record of the old hash` });
      }
      if (metadata) known.set(name, after);
      else known.delete(name);
    }
  }
  return commits.length;
}

function byPlace(a: AuditViolation, b: AuditViolation): number {
  return a.invariant - b.invariant || (a.backend ?? '').localeCompare(b.backend ?? '') || (a.key ?? a.name ?? '').localeCompare(b.key ?? b.name ?? '')
    || a.message.localeCompare(b.message);
}

/** `3d 4h`, `2h 5m`, `40s`: ages for people. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
