// The four ports the pipelines talk through; adapters for S3, GitHub and local git implement them.
import type { Readable } from 'node:stream';
import type { PackageMetadata, RegistryCommit } from './core/types.js';
export type { RegistryCommit } from './core/types.js';
export type { RegistryContents } from './core/registry-contents.js';
import type { RegistryContents } from './core/registry-contents.js';

/** An object as a storage backend reports it. */
export interface StoredObject {
  key: string;
  bytes: number;
  /** Lower-case hex sha256 recorded with the object when it was written (user metadata), if any. */
  sha256?: string;
  lastModified?: Date;
  /** The server's entity tag for this exact object (as the server sent it, quotes included), when it reported one. */
  etag?: string;
}

/** What a backend stores: bytes in memory, or a file read as a stream (so memory stays flat whatever its size). */
export type Body = Uint8Array | { file: string; bytes: number };

/** The digests of a body, computed by Registrar before it is sent. */
export interface BodyDigest {
  sha256Hex: string;
  /** Lower-case hex md5 of the whole body: what S3 answers as the entity tag of a single-part object. */
  md5Hex?: string;
}

/** A backend's answer to a write: the entity tag of the object it now holds, when it sent one. */
export interface WriteReceipt {
  etag?: string;
  /**
   * True when that answer proves the backend holds exactly the bytes sent: its entity tag is the md5 of the body
   * (single part) or of the parts' md5s (multipart), both computed as the bytes left. False proves nothing either way
   * (e.g. a bucket encrypting with KMS answers other tags): the caller then verifies with a read.
   */
  verified: boolean;
}

/** An object's bytes as a backend served them, hashed as they flowed (never held whole). */
export interface ObjectDigest {
  bytes: number;
  sha256Hex: string;
  /** The entity tag of exactly the object that was read, for a delete conditional on it (rule 5). */
  etag?: string;
}

/**
 * One S3-compatible backend. Keys are relative to the backend's prefix. Every method is idempotent;
 * failures are RegistrarErrors: `transient` (network, 5xx), `conflict` (a failed precondition),
 * `not-found` (a missing bucket, or the source of a copy), `refused` (credentials, configuration).
 */
export interface Storage {
  /** A short name for reports, e.g. `primary` or `s3://bucket/prefix`. */
  readonly name: string;
  /**
   * Writes (always, even if the key exists: re-staging refreshes the object's age) and records sha256.
   * With `md5Hex`, a single-part write also asks the server to check the body against it (Content-MD5).
   */
  put(key: string, body: Body, digest: BodyDigest): Promise<WriteReceipt>;
  /** Size and recorded sha256, or undefined when the key does not exist. */
  head(key: string): Promise<StoredObject | undefined>;
  /** The object's bytes, or undefined when the key does not exist. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** The object's size and sha256 computed from its bytes as they stream by, or undefined when the key does not exist. */
  digest(key: string): Promise<ObjectDigest | undefined>;
  /**
   * Server-side copy, keeping the recorded sha256. The receipt is `verified` when the copy's entity tag equals
   * `source.etag`, the tag of the object the caller verified at `fromKey`.
   */
  copy(fromKey: string, toKey: string, source?: { etag?: string }): Promise<WriteReceipt>;
  /**
   * Deletes; deleting a missing key succeeds. With `expected.etag` (from a read that just verified the
   * object's hash, rule 5) the backend is asked to delete only that exact object (`If-Match`): a `conflict`
   * when the key now holds another object. Backends that ignore the condition delete unconditionally.
   */
  delete(key: string, expected?: { etag?: string }): Promise<void>;
  /** Every object under a key prefix, paging through the listing. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Where people can download a key from, when the backend has a public URL base. */
  publicUrl(key: string): string | undefined;
}

/** A file change in one registry commit. `content: null` deletes the file. */
export interface FileChange {
  path: string;
  content: string | null;
}


/** The branch head and one package's metadata as of exactly that commit. */
export interface Snapshot {
  head: string;
  /** Undefined only when the head commit's tree has no file for the package (positive proof, never an error read as absence). */
  metadata: PackageMetadata | undefined;
}

/**
 * The registry repository: package metadata files on one branch, written by compare-and-swap commits.
 * Reads fail with `transient` (also when a lagging replica does not know a commit yet), `refused`
 * (permissions), `not-found` (no such branch or repository) or `conflict` (a corrupt file) — never with
 * "absent": absence is only ever what a commit's tree says.
 */
export interface Registry {
  /** The branch's current head commit SHA. */
  head(): Promise<string>;
  /** Rule 1: the head and the package's metadata at that head, from one consistent read; plans are made on it. */
  snapshot(name: string): Promise<Snapshot>;
  /** The package's metadata file as of commit `at` (read by SHA, never by branch name). */
  readPackage(name: string, at: string): Promise<PackageMetadata | undefined>;
  /**
   * One commit with all `changes` whose parent is exactly `expectedHead`.
   * Throws a `conflict` RegistrarError when the branch is no longer at `expectedHead`.
   */
  commit(changes: FileChange[], message: string, expectedHead: string): Promise<RegistryCommit>;
  /**
   * Every package's metadata as of commit `at`, read from one snapshot of that commit's tree in a few requests
   * (what reconcile plans from, whatever the registry's size). Fails `transient` when the commit is not known
   * yet (a lagging replica): never an empty registry inferred from an error.
   */
  packagesAt(at: string): Promise<RegistryContents>;
  /** The full message of a commit (to recognise our own change after an ambiguous failure). */
  commitMessage(sha: string): Promise<string>;
  /** A link people can open for a commit. */
  commitUrl(sha: string): string;
}

/** The registry as a history: what audit needs beyond the Registry port (the local git registry implements it). */
export interface RegistryHistory {
  /** The branch's current head commit SHA. */
  head(): Promise<string>;
  /** A package's metadata as of commit `at`; undefined when the file does not exist there. */
  readPackage(name: string, at: string): Promise<PackageMetadata | undefined>;
  /** Every package's metadata as of commit `at`, as Registry.packagesAt reads it. */
  packagesAt(at: string): Promise<RegistryContents>;
  /** The branch's first-parent commits that change anything under `metadata/`, oldest first. */
  commitsTouchingMetadata(): Promise<string[]>;
  /** Packages whose metadata file a commit adds, changes or deletes (compared with its first parent). */
  changedPackages(commit: string): Promise<string[]>;
}

/** A source repository as the registry binds it: by numeric id, which survives renames. */
export interface SourceRepository {
  id: number;
  owner: string;
  repo: string;
  /** As GitHub reports it (`visibility`, else `private`); internal repositories are private to outsiders. */
  visibility: 'public' | 'private' | 'internal';
}

/** Package source on GitHub. */
export interface Source {
  /**
   * The repository's identity. Rule 12: a private or internal repository is `not-found` with exactly the
   * message of one that does not exist (unless the adapter was built to allow private sources), so nothing
   * about it (existence, tags, manifest) reaches a message; callers read tags and archives only after this.
   */
  repository(owner: string, repo: string): Promise<SourceRepository>;
  /** The commit SHA a tag points to (annotated tags peeled). `not-found` when there is no such tag. */
  resolveTag(owner: string, repo: string, tag: string): Promise<string>;
  /** The gzipped tar archive of the repository at a commit SHA, as a stream. */
  archive(owner: string, repo: string, commit: string): Promise<Readable>;
}

/** A comment as the tracker reports it; people are identified by numeric id, never by login alone. */
export interface TrackerComment {
  id: number;
  body: string;
  author: { id: number; login: string; bot: boolean };
  createdAt: string;
}

/** The issue tracker the requests arrive on and the results are reported to. */
export interface Tracker {
  /** Every comment of the issue, oldest first. */
  comments(issue: number): Promise<TrackerComment[]>;
  /**
   * Writes the comment carrying `marker` (an HTML comment): updates `knownId` when given, else the
   * bot's comment carrying the marker, else creates one (`knownId: null`: the caller looked and found none). Never creates a second comment with the same
   * marker, even when a create's answer is lost. Returns the comment's id.
   */
  upsertComment(issue: number, marker: string, body: string, knownId?: number | null): Promise<number>;
  /** The bot's comment carrying `marker`, if there is one (`null` passed to upsertComment says it was looked for and none found). */
  findComment(issue: number, marker: string): Promise<number | undefined>;
  /** Closes the issue. */
  close(issue: number, reason: 'completed' | 'not_planned'): Promise<void>;
  /** Adds a reaction to a comment (or to the issue itself when commentId is undefined). */
  react(issue: number, commentId: number | undefined, content: '+1' | '-1' | 'eyes' | 'rocket' | 'confused'): Promise<void>;
  /** The names of the labels on the issue. */
  labels(issue: number): Promise<string[]>;
  /**
   * Puts a label on the issue, creating it in the repository first (with this colour and description) when
   * missing; a label that already exists is used as it is. Idempotent.
   */
  addLabel(issue: number, label: TrackerLabel): Promise<void>;
  /** Takes a label off the issue; a label that is not on it is fine. Idempotent. */
  removeLabel(issue: number, name: string): Promise<void>;
}

/** A label as Registrar creates it: a name, a colour (six hex digits, no `#`) and a short description. */
export interface TrackerLabel {
  name: string;
  color: string;
  description: string;
}

/**
 * The one issue on the registry repository that lists what reconcile left for a person. It is found again by
 * its label and Registrar's hidden marker in an issue a bot opened — never by title, which anyone can copy.
 */
export interface RepairIssues {
  /** Opens the repair issue (creating its label if missing), or rewrites the open one; returns its number. */
  upsert(title: string, body: string): Promise<number>;
  /** Comments `body` on the open repair issue and closes it; returns its number, or undefined when none was open. */
  resolve(body: string): Promise<number | undefined>;
}
