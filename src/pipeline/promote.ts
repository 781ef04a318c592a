// Promote: put a committed version's tarball at its final key in every backend, from what is there, verified (rules 4 and 5).
import type { TarballLocation } from '../core/outcomes.js';
import type { Ecosystem } from '../core/ecosystem.js';
import { finalKey, stagingKey, stagingPrefix } from '../core/keys.js';
import { sha256Hex, sriToHex } from '../core/integrity.js';
import type { PublishedVersion } from '../core/types.js';
import { RegistrarError, conflict, isKind, transient } from '../errors.js';
import type { Body, Registry, Storage, StoredObject, WriteReceipt } from '../ports.js';

/** A tarball's bytes (in memory or in a file) with the digests Registrar computed as they were made. */
export interface TarballBody {
  body: Body;
  bytes: number;
  sha256Hex: string;
  md5Hex?: string;
}

/** Where promote may take the committed bytes from, and what this attempt already knows about each backend. */
export interface PromoteSources {
  /** This attempt's own build; used only if it hashes to the committed sha256. */
  own?: TarballBody;
  /** A rebuild from the commit the metadata records (tags move; commits don't). */
  rebuild?: () => Promise<TarballBody>;
  /**
   * Per backend, the entity tag of the staging object this attempt wrote and saw verified by the write's own answer:
   * a copy answering the same tag holds those bytes, so it needs no read-back.
   */
  staged?: Map<Storage, string>;
  /**
   * Per backend, a look at the final key taken while the commit was in flight (nothing writes a final key before
   * its commit): rule 5's look before the copy, off the critical path. Absent: promote looks itself.
   */
  finals?: Map<Storage, Promise<StoredObject | undefined>>;
}

/** Thrown when some backends were promoted and others were not: the commit stands, a retry finishes. */
export class PromotionIncomplete extends RegistrarError {
  constructor(readonly backends: string[], readonly causes: unknown[]) {
    super('transient', `Committed; promotion incomplete on ${backends.join(', ')}.`,
      'Comment `/retry` on the issue (or let the scheduled reconcile run) to finish promoting it.', { cause: causes[0] });
  }
}

/** Looks at the final key in every backend now; the answers are awaited by promote. */
export function lookAtFinals(backends: Storage[], name: string, version: string, ecosystem?: Ecosystem): Map<Storage, Promise<StoredObject | undefined>> {
  const key = finalKey(name, version, ecosystem);
  return new Map(backends.map((backend) => {
    const look = backend.head(key);
    // Awaited later (or never, when the commit is lost and re-planned): its failure must not go unhandled meanwhile.
    look.catch(() => {});
    return [backend, look];
  }));
}

/** Promotes in every backend in parallel; each backend's failure is collected, none hides another's. */
export async function promoteVersion(backends: Storage[], name: string, version: string, entry: PublishedVersion,
  sources: PromoteSources, ecosystem?: Ecosystem): Promise<TarballLocation[]> {
  const key = finalKey(name, version, ecosystem);
  const results = await Promise.allSettled(backends.map(async (backend) => {
    await promoteTo(backend, backends, name, version, entry, sources, ecosystem);
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
  sources: PromoteSources, ecosystem?: Ecosystem): Promise<void> {
  const key = finalKey(name, version, ecosystem);
  // Rule 5: a final object already there is hashed, never copied over; with other bytes it is an alarm.
  const there = await (sources.finals?.get(backend) ?? backend.head(key));
  if (there !== undefined && await finalMatches(backend, name, version, entry, ecosystem)) return;
  let receipt = await copyFromStaging(backend, name, version, entry, sources.staged?.get(backend), ecosystem);
  if (receipt === undefined) {
    const committed = await committedBytes(backend, all, name, version, entry, sources, ecosystem);
    receipt = await backend.put(key, committed.body, { sha256Hex: committed.sha256Hex, ...(committed.md5Hex ? { md5Hex: committed.md5Hex } : {}) });
  }
  // A write whose answer proves the bytes (hashed before they were sent) needs no read-back; any other is read and hashed.
  if (receipt.verified) return;
  if (!(await finalMatches(backend, name, version, entry, ecosystem))) {
    throw transient(`The promoted tarball in backend ${backend.name} does not match the committed hash.`);
  }
}

/** The copy's receipt, or undefined when there is no staging object of the committed bytes to copy. */
async function copyFromStaging(backend: Storage, name: string, version: string, entry: PublishedVersion,
  stagedEtag: string | undefined, ecosystem?: Ecosystem): Promise<WriteReceipt | undefined> {
  const staging = stagingKey(name, version, sriToHex(entry.sha256), ecosystem);
  try {
    return await backend.copy(staging, finalKey(name, version, ecosystem), stagedEtag === undefined ? {} : { etag: stagedEtag });
  } catch (error) {
    if (isKind(error, 'not-found')) return undefined; // gone (cleaned, expired) or never staged in this backend
    throw error;
  }
}

/** Rule 4's order: another backend's verified final object, this attempt's bytes, a rebuild; each only if it hashes right. */
async function committedBytes(backend: Storage, all: Storage[], name: string, version: string, entry: PublishedVersion,
  sources: PromoteSources, ecosystem?: Ecosystem): Promise<TarballBody> {
  const hex = sriToHex(entry.sha256);
  const right = (t: TarballBody) => t.bytes === entry.bytes && t.sha256Hex === hex;
  for (const other of all) {
    if (other === backend) continue;
    // A rare path (staging gone in this backend only): the other backend's object is held to be hashed and sent.
    const bytes = await other.read(finalKey(name, version, ecosystem));
    if (bytes && bytes.length === entry.bytes && sha256Hex(bytes) === hex) return { body: bytes, bytes: bytes.length, sha256Hex: hex };
  }
  if (sources.own && right(sources.own)) return sources.own;
  if (sources.rebuild) {
    const rebuilt = await sources.rebuild();
    if (right(rebuilt)) return rebuilt;
    throw conflict(`Rebuilding ${name}@${version} from its recorded commit ${entry.commit} does not give ${entry.sha256}.`,
      'A registry trustee must look at this version: it cannot be completed as committed.');
  }
  throw conflict(`Backend ${backend.name} has no staged tarball of ${name}@${version} with the committed hash, and no other source has it.`);
}

/**
 * True when the final object exists with the committed bytes (hashed as they stream by, not trusted from
 * metadata). An object with other bytes is an alarm and is never overwritten (rule 5).
 */
export async function finalMatches(backend: Storage, name: string, version: string, entry: PublishedVersion,
  ecosystem?: Ecosystem): Promise<boolean> {
  const key = finalKey(name, version, ecosystem);
  const found = await backend.digest(key);
  if (found === undefined) return false;
  if (found.bytes === entry.bytes && found.sha256Hex === sriToHex(entry.sha256)) return true;
  throw conflict(`Backend ${backend.name} holds ${key} with bytes that differ from the committed hash; Registrar will not overwrite it.`,
    'A registry maintainer must look at this object: it does not match the registry metadata.');
}

/**
 * Deletes every staging object of a version in every backend (after a promote or a rollback). `known` is the key
 * this attempt staged: it is deleted at once while the prefix is listed, so a clean attempt costs one round trip
 * and only an earlier attempt's leftovers cost a second.
 */
export async function cleanStaging(backends: Storage[], name: string, version: string, known?: string,
  ecosystem?: Ecosystem): Promise<string[]> {
  const prefix = stagingPrefix(name, version, ecosystem);
  const deleted = await Promise.all(backends.map(async (backend) => {
    const [objects] = await Promise.all([backend.list(prefix), known === undefined ? undefined : backend.delete(known)]);
    const others = objects.filter((o) => o.key !== known);
    await Promise.all(others.map((o) => backend.delete(o.key)));
    return [...(known === undefined ? [] : [known]), ...others.map((o) => o.key)].map((k) => `${backend.name}:${k}`);
  }));
  return deleted.flat();
}

/** Deletes a final object only if it holds exactly these bytes (rule 5); returns whether it deleted. */
export async function deleteFinalIfHash(backend: Storage, name: string, version: string, sha256: string,
  ecosystem?: Ecosystem): Promise<boolean> {
  const key = finalKey(name, version, ecosystem);
  for (let attempt = 1; ; attempt++) {
    // The read answers with the ETag of exactly the object it hashed, so a delete conditional on it removes exactly
    // that; where the backend enforces If-Match, an object replaced in between answers 412 and is looked at again.
    const found = await backend.digest(key);
    if (found === undefined || found.sha256Hex !== sriToHex(sha256)) return false;
    try {
      await backend.delete(key, found.etag === undefined ? undefined : { etag: found.etag });
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
  entry: PublishedVersion, ecosystem?: Ecosystem): Promise<'kept' | 'rolled-back' | 'unconfirmed'> {
  for (let read = 1; read <= RECHECK_READS; read++) {
    const { metadata: current } = await registry.snapshot(name);
    if (current?.published[version]?.sha256 === entry.sha256) return 'kept';
    if (current?.rolledBack.some((r) => r.version === version && r.sha256 === entry.sha256)) {
      await Promise.all(backends.map((backend) => deleteFinalIfHash(backend, name, version, entry.sha256, ecosystem)));
      return 'rolled-back';
    }
  }
  return 'unconfirmed';
}
