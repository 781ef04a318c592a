// Promote: put a committed version's tarball at its final key in every backend, from what is there, verified (rules 4 and 5).
import type { TarballLocation } from '../core/outcomes.js';
import { finalKey, stagingKey, stagingPrefix } from '../core/keys.js';
import { sha256Hex, sriToHex } from '../core/integrity.js';
import type { PublishedVersion } from '../core/types.js';
import { RegistrarError, conflict, isKind, transient } from '../errors.js';
import type { Registry, Storage } from '../ports.js';

export interface TarballBytes { bytes: Uint8Array; sha256Hex: string }

/** Where promote may take the committed bytes from when a backend's staging object is gone. */
export interface PromoteSources {
  /** This attempt's own build; used only if it hashes to the committed sha256. */
  own?: TarballBytes;
  /** A rebuild from the commit the metadata records (tags move; commits don't). */
  rebuild?: () => Promise<TarballBytes>;
}

/** Thrown when some backends were promoted and others were not: the commit stands, a retry finishes. */
export class PromotionIncomplete extends RegistrarError {
  constructor(readonly backends: string[], readonly causes: unknown[]) {
    super('transient', `Committed; promotion incomplete on ${backends.join(', ')}.`,
      'Comment `/retry` on the issue (or let the scheduled reconcile run) to finish promoting it.', { cause: causes[0] });
  }
}

/** Promotes in every backend in parallel; each backend's failure is collected, none hides another's. */
export async function promoteVersion(backends: Storage[], name: string, version: string, entry: PublishedVersion,
  sources: PromoteSources): Promise<TarballLocation[]> {
  const key = finalKey(name, version);
  const results = await Promise.allSettled(backends.map(async (backend) => {
    await promoteTo(backend, backends, name, version, entry, sources);
    return { backend: backend.name, key, url: backend.publicUrl(key) };
  }));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ backend: backends[i]!.name, reason: r.reason as unknown }] : []));
  // An alarm (a final object with other bytes) must surface as itself, not as a retryable incompleteness.
  const alarm = failed.find((f) => isKind(f.reason, 'conflict'));
  if (alarm) throw alarm.reason;
  if (failed.length > 0) throw new PromotionIncomplete(failed.map((f) => f.backend), failed.map((f) => f.reason));
  return results.map((r) => (r as PromiseFulfilledResult<TarballLocation>).value);
}

async function promoteTo(backend: Storage, all: Storage[], name: string, version: string, entry: PublishedVersion,
  sources: PromoteSources): Promise<void> {
  if (await finalMatches(backend, name, version, entry)) return;
  if (!(await copyFromStaging(backend, name, version, entry))) {
    const bytes = await committedBytes(backend, all, name, version, entry, sources);
    await backend.put(finalKey(name, version), bytes.bytes, bytes.sha256Hex);
  }
  if (!(await finalMatches(backend, name, version, entry))) {
    throw transient(`The promoted tarball in backend ${backend.name} does not match the committed hash.`);
  }
}

async function copyFromStaging(backend: Storage, name: string, version: string, entry: PublishedVersion): Promise<boolean> {
  const staging = stagingKey(name, version, sriToHex(entry.sha256));
  if (!(await backend.head(staging))) return false;
  try {
    await backend.copy(staging, finalKey(name, version));
    return true;
  } catch (error) {
    if (isKind(error, 'not-found')) return false; // removed between the HEAD and the copy
    throw error;
  }
}

/** Rule 4's order: another backend's verified final object, this attempt's bytes, a rebuild; each only if it hashes right. */
async function committedBytes(backend: Storage, all: Storage[], name: string, version: string, entry: PublishedVersion,
  sources: PromoteSources): Promise<TarballBytes> {
  const hex = sriToHex(entry.sha256);
  const right = (bytes: Uint8Array) => bytes.length === entry.bytes && sha256Hex(bytes) === hex;
  for (const other of all) {
    if (other === backend) continue;
    const bytes = await other.read(finalKey(name, version));
    if (bytes && right(bytes)) return { bytes, sha256Hex: hex };
  }
  if (sources.own && right(sources.own.bytes)) return sources.own;
  if (sources.rebuild) {
    const rebuilt = await sources.rebuild();
    if (right(rebuilt.bytes)) return rebuilt;
    throw conflict(`Rebuilding ${name}@${version} from its recorded commit ${entry.commit} does not give ${entry.sha256}.`,
      'A registry trustee must look at this version: it cannot be completed as committed.');
  }
  throw conflict(`Backend ${backend.name} has no staged tarball of ${name}@${version} with the committed hash, and no other source has it.`);
}

/**
 * True when the final object exists with the committed bytes (read and hashed, not trusted from
 * metadata). An object with other bytes is an alarm and is never overwritten (rule 5).
 */
export async function finalMatches(backend: Storage, name: string, version: string, entry: PublishedVersion): Promise<boolean> {
  const key = finalKey(name, version);
  const body = await backend.read(key);
  if (body === undefined) return false;
  if (body.length === entry.bytes && sha256Hex(body) === sriToHex(entry.sha256)) return true;
  throw conflict(`Backend ${backend.name} holds ${key} with bytes that differ from the committed hash; Registrar will not overwrite it.`,
    'A registry maintainer must look at this object: it does not match the registry metadata.');
}

/** Deletes every staging object of a version in every backend (after a promote or a rollback). */
export async function cleanStaging(backends: Storage[], name: string, version: string): Promise<string[]> {
  const prefix = stagingPrefix(name, version);
  const deleted = await Promise.all(backends.map(async (backend) => {
    const objects = await backend.list(prefix);
    for (const object of objects) await backend.delete(object.key);
    return objects.map((o) => `${backend.name}:${o.key}`);
  }));
  return deleted.flat();
}

/** Deletes a final object only if it holds exactly these bytes (rule 5); returns whether it deleted. */
export async function deleteFinalIfHash(backend: Storage, name: string, version: string, sha256: string): Promise<boolean> {
  const key = finalKey(name, version);
  for (let attempt = 1; ; attempt++) {
    // The ETag is taken before the bytes are hashed, so a delete conditional on it removes exactly what was hashed;
    // where the backend enforces If-Match, an object replaced in between answers 412 and is looked at again.
    const before = await backend.head(key);
    if (before === undefined) return false;
    const body = await backend.read(key);
    if (body === undefined || sha256Hex(body) !== sriToHex(sha256)) return false;
    try {
      await backend.delete(key, before.etag === undefined ? undefined : { etag: before.etag });
      return true;
    } catch (error) {
      if (!isKind(error, 'conflict') || attempt >= FINAL_DELETE_ATTEMPTS) throw error;
    }
  }
}

/** Looks at a final object again after a conditional delete lost to a replacement, this many times in all. */
const FINAL_DELETE_ATTEMPTS = 3;

/** Reads of a fresh head after promote before deciding the branch is lagging behind the commit (a stale read). */
const RECHECK_READS = 3;

/**
 * Rule 6, after promoting: `kept` when a fresh head still lists exactly this entry; `rolled-back` when a
 * rollback record of exactly these bytes says it left (the copies just made are then deleted,
 * hash-checked); `unconfirmed` when repeated reads show neither, e.g. a head read from before the commit.
 */
export async function recheckPromoted(registry: Registry, backends: Storage[], name: string, version: string,
  entry: PublishedVersion): Promise<'kept' | 'rolled-back' | 'unconfirmed'> {
  for (let read = 1; read <= RECHECK_READS; read++) {
    const { metadata: current } = await registry.snapshot(name);
    if (current?.published[version]?.sha256 === entry.sha256) return 'kept';
    if (current?.rolledBack.some((r) => r.version === version && r.sha256 === entry.sha256)) {
      for (const backend of backends) await deleteFinalIfHash(backend, name, version, entry.sha256);
      return 'rolled-back';
    }
  }
  return 'unconfirmed';
}
