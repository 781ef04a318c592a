// A package's metadata file in the registry repository: where it lives, how it is read (strictly) and written (canonically), and how it changes.
import semver from 'semver';
import { z } from 'zod';
import { conflict, refused } from '../errors.js';
import { DEFAULT_ECOSYSTEM, type Ecosystem } from './ecosystem.js';
import { isSri } from './integrity.js';
import { checkGithubOwner, checkGithubRepo, checkPackageName, checkSubdir, checkTag, checkVersion, quote } from './names.js';
import { formatPath, parseStrictJson } from './request.js';
import type { PackageMetadata, RollbackActor, PublishRequest, PublishedVersion, RollbackRecord } from './types.js';

// =============================================================================================
// Where

/**
 * The file of a package, sharded like the crates.io index so no directory grows with the
 * registry and a commit rewrites only the few small trees on its path:
 * `metadata/1/a.json`, `metadata/2/ab.json`, `metadata/3/a/abc.json`, `metadata/le/ft/left-pad.json`.
 *
 * The file is named by the ecosystem's canonical name (crates: `Serde` and `serde` share one file, so a plan
 * sees the other spelling at its snapshot). A scoped npm name's `/` is written `%2f`, as npm's own registry
 * spells it in URLs (`@scope%2fname.json`); no npm name holds a `%`, so this reads back one way only. The
 * shard directories come from the name with a scope's `@` dropped and every character but a-z, 0-9 and `-`
 * written `_`: never empty, `.` or `..`. The default preset's names are already in that form, so its paths
 * are today's.
 */
export function metadataPath(name: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string {
  const problem = ecosystem.checkName(name);
  if (problem !== undefined) throw new TypeError(`metadata path from an unvalidated name: ${problem}`);
  const canonical = ecosystem.canonicalName(name);
  const file = `${canonical.replace('/', '%2f')}.json`;
  const shard = canonical.replace(/^@/, '').toLowerCase().replace(/[^a-z0-9-]/g, '_');
  if (shard.length <= 2) return `metadata/${shard.length}/${file}`;
  if (shard.length === 3) return `metadata/3/${shard.slice(0, 1)}/${file}`;
  return `metadata/${shard.slice(0, 2)}/${shard.slice(2, 4)}/${file}`;
}

/**
 * The package a repository path holds, in the ecosystem's canonical form, when the path is exactly where that
 * name's file lives; undefined otherwise.
 */
export function packageOfPath(path: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string | undefined {
  const match = /^metadata\/(?:[^/]+\/)+([^/]+)\.json$/.exec(path);
  const stem = match?.[1];
  if (stem === undefined) return undefined;
  const name = stem.replace('%2f', '/');
  if (ecosystem.checkName(name) !== undefined || ecosystem.canonicalName(name) !== name) return undefined;
  return metadataPath(name, ecosystem) === path ? name : undefined;
}

// =============================================================================================
// Reading

const checked = (check: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

const sri = z.string().refine(isSri, 'must be sha256-<base64> of 32 bytes');
const commitSha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-hex commit SHA');
// Times are written by Registrar from Date#toISOString; anything else was written by hand.
const time = z.iso.datetime({ offset: true });
const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const publishedVersionSchema = z.strictObject({
  sha256: sri,
  bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ref: checked(checkTag),
  commit: commitSha,
  subdir: checked(checkSubdir).optional(),
  publishedTime: time,
  issue: positiveId.optional(),
});

const rollbackRecordSchema = z.strictObject({
  version: checked(checkVersion),
  sha256: sri,
  by: z.strictObject({ id: positiveId.optional(), login: z.string().min(1) }),
  at: time,
  reason: z.string(),
  issue: positiveId.optional(),
  commentId: positiveId.optional(),
  cleaned: z.boolean(),
});

function metadataSchemaOf(ecosystem: Ecosystem) {
  return z.strictObject({
    name: checked(ecosystem.checkName),
    location: z.strictObject({
      githubOwner: checked(checkGithubOwner),
      githubRepo: checked(checkGithubRepo),
      repositoryId: positiveId,
    }),
    published: z.record(checked(ecosystem.checkVersion), publishedVersionSchema),
    rolledBack: z.array(rollbackRecordSchema.extend({ version: checked(ecosystem.checkVersion) })),
  });
}

type MetadataSchema = ReturnType<typeof metadataSchemaOf>;
const schemas = new WeakMap<Ecosystem, MetadataSchema>();

function schemaOf(ecosystem: Ecosystem): MetadataSchema {
  let schema = schemas.get(ecosystem);
  if (schema === undefined) {
    schema = metadataSchemaOf(ecosystem);
    schemas.set(ecosystem, schema);
  }
  return schema;
}

function firstProblem(value: unknown, ecosystem: Ecosystem): string | undefined {
  const result = schemaOf(ecosystem).safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  if (issue === undefined) return 'it does not match the metadata schema';
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  return `${path.length === 0 ? '' : `${formatPath(path)}: `}${issue.message}`;
}

/**
 * Reads a metadata file strictly. A file that is not exactly what Registrar writes (bad JSON,
 * duplicate keys, unknown fields, another package's name) is a `conflict` naming the path: the
 * registry's record is never silently replaced, a maintainer must look at it. Where the ecosystem
 * holds two spellings to be one name (crates), the file may name the other spelling: the plan
 * refuses that request, naming the package that holds the name.
 */
export function parseMetadata(text: string, expectedName: string, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): PackageMetadata {
  const path = metadataPath(expectedName, ecosystem);
  const corrupt = (why: string) =>
    conflict(`The registry file ${path} is corrupt: ${why}.`, 'A registry maintainer must repair the file; Registrar will not overwrite it.');
  const parsed = parseStrictJson(text);
  if (!parsed.ok) throw corrupt(parsed.problems.map((p) => (p.field === 'request' ? p.message.replace('the request', 'it') : `${p.field}: ${p.message}`)).join('; '));
  const problem = firstProblem(parsed.value, ecosystem);
  if (problem !== undefined) throw corrupt(problem);
  const metadata = toPlain(parsed.value as PackageMetadata);
  if (ecosystem.canonicalName(metadata.name) !== ecosystem.canonicalName(expectedName)) {
    throw corrupt(`it names the package ${quote(metadata.name)}, not ${quote(expectedName)}`);
  }
  return metadata;
}

// =============================================================================================
// Writing

function publishedEntry(entry: PublishedVersion): PublishedVersion {
  return {
    sha256: entry.sha256,
    bytes: entry.bytes,
    ref: entry.ref,
    commit: entry.commit,
    ...(entry.subdir === undefined ? {} : { subdir: entry.subdir }),
    publishedTime: entry.publishedTime,
    ...(entry.issue === undefined ? {} : { issue: entry.issue }),
  };
}

function rollbackEntry(record: RollbackRecord): RollbackRecord {
  return {
    version: record.version,
    sha256: record.sha256,
    by: { ...(record.by.id === undefined ? {} : { id: record.by.id }), login: record.by.login },
    at: record.at,
    reason: record.reason,
    ...(record.issue === undefined ? {} : { issue: record.issue }),
    ...(record.commentId === undefined ? {} : { commentId: record.commentId }),
    cleaned: record.cleaned,
  };
}

/**
 * A copy with the canonical key order everywhere and versions sorted by semver: built field by
 * field, so neither insertion order nor stray properties reach the file.
 */
function toPlain(metadata: PackageMetadata): PackageMetadata {
  const versions = Object.keys(metadata.published).sort(semver.compare);
  const published: Record<string, PublishedVersion> = {};
  for (const version of versions) {
    const entry = metadata.published[version];
    if (entry !== undefined) published[version] = publishedEntry(entry);
  }
  return {
    name: metadata.name,
    location: {
      githubOwner: metadata.location.githubOwner,
      githubRepo: metadata.location.githubRepo,
      repositoryId: metadata.location.repositoryId,
    },
    published,
    // The rollback log keeps its order: it is a history, oldest first.
    rolledBack: metadata.rolledBack.map(rollbackEntry),
  };
}

/**
 * The file's bytes: fixed key order, versions in semver order, 2-space JSON, trailing newline.
 * The same metadata always gives the same bytes, so a retry's commit is recognisable and diffs stay
 * small. Metadata that `parseMetadata` would refuse is never written (throws a TypeError: a bug).
 */
export function serializeMetadata(metadata: PackageMetadata, ecosystem: Ecosystem = DEFAULT_ECOSYSTEM): string {
  // Validated before sorting: the sort needs valid versions, and stray fields are a bug to report, not drop.
  const problem = firstProblem(metadata, ecosystem);
  if (problem !== undefined) throw new TypeError(`refusing to write invalid metadata for ${quote(String(metadata.name))}: ${problem}`);
  return `${JSON.stringify(toPlain(metadata), null, 2)}\n`;
}

// =============================================================================================
// Transitions: each returns a new object and never mutates its input.

/**
 * Records a newly published version. The first publish creates the file and binds the name to the
 * source repository's numeric id; later publishes keep that binding and refresh the owner and repo
 * names (a renamed repository keeps its id). The plan has already refused other repositories and
 * existing versions; the checks here keep that true even if a caller skips the plan.
 */
export function addPublished(
  current: PackageMetadata | undefined,
  args: { request: PublishRequest; repositoryId: number; entry: PublishedVersion },
): PackageMetadata {
  const { request, repositoryId, entry } = args;
  const location = { githubOwner: request.location.githubOwner, githubRepo: request.location.githubRepo, repositoryId };
  if (current === undefined) {
    return toPlain({ name: request.name, location, published: { [request.version]: entry }, rolledBack: [] });
  }
  if (current.name !== request.name) throw new TypeError(`metadata of ${quote(current.name)} updated for ${quote(request.name)}`);
  if (current.location.repositoryId !== repositoryId) {
    throw refused(`${request.name} is published from repository id ${current.location.repositoryId}; requests from other repositories are refused.`);
  }
  if (Object.hasOwn(current.published, request.version)) {
    throw conflict(`${request.name}@${request.version} is already published; versions are immutable.`);
  }
  return toPlain({ ...current, location, published: { ...current.published, [request.version]: entry } });
}

/**
 * Phase one of a rollback: removes a published version and appends a record with `cleaned: false`
 * that keeps the removed hash, who, when and why. Publishing that version is refused until cleaned.
 */
export function removeForRollback(
  current: PackageMetadata,
  args: { version: string; by: RollbackActor; at: string; reason: string; issue?: number; commentId?: number },
): PackageMetadata {
  const entry = Object.hasOwn(current.published, args.version) ? current.published[args.version] : undefined;
  if (entry === undefined) throw refused(`${current.name}@${args.version} is not published, so there is nothing to roll back.`);
  const published = { ...current.published };
  delete published[args.version];
  const record: RollbackRecord = {
    version: args.version,
    sha256: entry.sha256,
    by: args.by,
    at: args.at,
    reason: args.reason,
    ...(args.issue === undefined ? {} : { issue: args.issue }),
    ...(args.commentId === undefined ? {} : { commentId: args.commentId }),
    cleaned: false,
  };
  return toPlain({ ...current, published, rolledBack: [...current.rolledBack, record] });
}

/** Phase two of a rollback: marks the version's uncleaned records cleaned, once storage no longer holds it. */
export function markRollbackCleaned(current: PackageMetadata, version: string): PackageMetadata {
  if (!current.rolledBack.some((r) => r.version === version && !r.cleaned)) {
    throw conflict(`${current.name}@${version} has no rollback waiting to be cleaned.`);
  }
  return toPlain({
    ...current,
    rolledBack: current.rolledBack.map((r) => (r.version === version ? { ...r, cleaned: true } : r)),
  });
}

/** The rollback of `version` still waiting for its storage deletes, if any. */
export function pendingRollback(metadata: PackageMetadata, version: string): RollbackRecord | undefined {
  return metadata.rolledBack.find((r) => r.version === version && !r.cleaned);
}

/**
 * Rule 11's last line, checked right before every registry commit: what `after` would lose of `before` — a
 * committed version, its bytes, or a rollback record. Only a rollback may remove, and only `removable`
 * (the version it rolls back, which must then gain a record of exactly those bytes). Empty: nothing lost.
 */
export function historyLost(before: PackageMetadata | undefined, after: PackageMetadata, removable?: string): string[] {
  if (before === undefined) return [];
  const lost: string[] = [];
  for (const [version, entry] of Object.entries(before.published)) {
    const kept = Object.hasOwn(after.published, version) ? after.published[version] : undefined;
    if (kept !== undefined && kept.sha256 !== entry.sha256) lost.push(`${before.name}@${version} would change its sha256`);
    if (kept === undefined) {
      const recorded = version === removable && after.rolledBack.some((r) => r.version === version && r.sha256 === entry.sha256);
      if (!recorded) lost.push(`${before.name}@${version} would disappear without a rollback record`);
    }
  }
  const records = after.rolledBack.map((r) => `${r.version}\n${r.sha256}\n${r.at}`);
  for (const record of before.rolledBack) {
    if (!records.includes(`${record.version}\n${record.sha256}\n${record.at}`)) lost.push(`the rollback record of ${before.name}@${record.version} would disappear`);
  }
  if (after.location.repositoryId !== before.location.repositoryId) lost.push(`${before.name} would be bound to another repository`);
  return lost;
}
