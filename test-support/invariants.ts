// Checks DESIGN.md's invariants with its own eyes — git on the registry's bare repository, a raw listing and hash of every bucket, the emulator's issues — sharing no code with src/.
import { git } from './git.js';
import type { RawObject } from './s3.js';
import { REGISTRY, type World } from './world.js';

export interface Expectation {
  name: string;
  version: string;
  /** The publish issue the request came from; for `kept`, the issue the entry already records. */
  issue: number;
  /**
   * `published`: committed by this issue, promoted everywhere, staging gone, issue closed;
   * `absent`: no trace in metadata or final keys;
   * `kept`: committed before the scenario began (seeded by hand, or published by an earlier test sharing the world)
   * and still committed with the same issue; its final objects are checked only if present (invariant 2), its
   * issue's comments not at all. Every version committed at the head must be named `published` or `kept`.
   */
  outcome: 'published' | 'absent' | 'kept';
}

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 'comments';
  message: string;
}

export interface CheckOptions {
  expect: Expectation[];
  /** The registry branch; `main` unless given. */
  branch?: string;
  /** The registry repository; REGISTRY unless given. */
  registry?: { owner: string; repo: string };
}

// ---------- the few formats we re-implement from DESIGN.md's text ----------

/** Where a package's metadata file lives: `metadata/1/`, `metadata/2/`, `metadata/3/<c1>/`, else `metadata/<c1c2>/<c3c4>/`. */
export function metadataPath(name: string): string {
  const chars = [...name];
  if (chars.length <= 2) return `metadata/${chars.length}/${name}.json`;
  if (chars.length === 3) return `metadata/3/${chars[0]}/${name}.json`;
  return `metadata/${chars.slice(0, 2).join('')}/${chars.slice(2, 4).join('')}/${name}.json`;
}

/** `sha256-<base64>` (or 64 hex digits) → lower-case hex; undefined when it is neither or not 32 bytes. */
export function sriToHex(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  const match = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(value);
  if (!match) return undefined;
  const bytes = Buffer.from(match[1] ?? '', 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}

/** Lower-case hex → `sha256-<base64>`. */
export function hexToSri(hex: string): string {
  return `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;
}

const finalKey = (name: string, version: string) => `${name}/${version}.tar.gz`;
const versionId = (name: string, version: string) => `${name}@${version}`;
const short = (sha: string) => sha.slice(0, 12);

/** A final key `<name>/<version>.tar.gz` split into its parts; undefined for staging and other keys. */
function parseFinalKey(key: string): { name: string; version: string } | undefined {
  if (key.startsWith('staging/') || !key.endsWith('.tar.gz')) return undefined;
  const slash = key.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const version = key.slice(slash + 1, -'.tar.gz'.length);
  return version ? { name: key.slice(0, slash), version } : undefined;
}

/** A staging key `staging/<name>/<version>/<sha256-hex>.tar.gz` split into its parts; undefined when it is not of that form. */
function parseStagingKey(key: string): { name: string; version: string } | undefined {
  const match = /^staging\/(.+)\/([^/]+)\/[^/]+\.tar\.gz$/.exec(key);
  return match ? { name: match[1] ?? '', version: match[2] ?? '' } : undefined;
}

/** The trailer block: the last paragraph of a message of at least two, when every line of it is `Key: value`. */
function trailers(message: string): Map<string, string[]> | undefined {
  const paragraphs = message.replace(/\r\n/g, '\n').trim().split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return undefined;
  const found = new Map<string, string[]>();
  for (const line of (paragraphs.at(-1) ?? '').split('\n')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)$/.exec(line);
    if (!match) return undefined;
    const [, key = '', value = ''] = match;
    found.set(key, [...(found.get(key) ?? []), value.trim()]);
  }
  return found;
}

// ---------- reading the registry with git ----------

interface Entry {
  name: string;
  version: string;
  path: string;
  /** Hex of the recorded sha256, undefined when the record is malformed. */
  hex: string | undefined;
  bytes: unknown;
  issue: unknown;
}

interface PackageFile {
  path: string;
  name: string;
  json: unknown;
  versions: Map<string, Entry>;
  rolledBack: { version: string; hex: string | undefined }[];
  /** Format problems (reported under 7: a record nobody can read audits nothing). */
  problems: string[];
}

interface RegistryView {
  commit: string;
  /** path → blob SHA of every `metadata/**.json`. */
  blobs: Map<string, string>;
  files: PackageFile[];
  byName: Map<string, PackageFile>;
  /** `name@version` → entry. */
  versions: Map<string, Entry>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// Commits and blobs are content-addressed, so what they hold can be cached across calls and repositories.
const treeCache = new Map<string, Map<string, string>>();
const blobCache = new Map<string, string>();

async function metadataBlobs(repository: string, commit: string): Promise<Map<string, string>> {
  const cached = treeCache.get(commit);
  if (cached) return cached;
  const out = await git(repository, 'ls-tree', '-r', '-z', '--full-tree', commit, '--', 'metadata');
  const blobs = new Map<string, string>();
  for (const record of out.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [, type, sha] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    if (type === 'blob' && sha && path.startsWith('metadata/') && path.endsWith('.json')) blobs.set(path, sha);
  }
  treeCache.set(commit, blobs);
  return blobs;
}

async function blobText(repository: string, sha: string): Promise<string> {
  const cached = blobCache.get(sha);
  if (cached !== undefined) return cached;
  const text = await git(repository, 'cat-file', 'blob', sha);
  blobCache.set(sha, text);
  return text;
}

function parsePackageFile(path: string, text: string): PackageFile {
  const fallbackName = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
  const file: PackageFile = { path, name: fallbackName, json: text, versions: new Map(), rolledBack: [], problems: [] };
  try {
    file.json = JSON.parse(text);
  } catch {
    file.problems.push(`${path} is not JSON`);
    return file;
  }
  const json = file.json;
  if (!isRecord(json)) {
    file.problems.push(`${path} is not a JSON object`);
    return file;
  }
  if (typeof json.name === 'string' && json.name !== '') file.name = json.name;
  else file.problems.push(`${path} has no "name"`);
  if (json.published !== undefined && !isRecord(json.published)) file.problems.push(`${path}: "published" is not an object`);
  for (const [version, raw] of Object.entries(isRecord(json.published) ? json.published : {})) {
    const record = isRecord(raw) ? raw : {};
    const hex = sriToHex(record.sha256);
    if (hex === undefined) file.problems.push(`${path}: ${version} has no valid sha256 (${JSON.stringify(record.sha256)})`);
    if (typeof record.bytes !== 'number') file.problems.push(`${path}: ${version} has no byte size`);
    if (typeof record.issue !== 'number') file.problems.push(`${path}: ${version} records no issue`);
    file.versions.set(version, { name: file.name, version, path, hex, bytes: record.bytes, issue: record.issue });
  }
  if (json.rolledBack !== undefined && !Array.isArray(json.rolledBack)) file.problems.push(`${path}: "rolledBack" is not a list`);
  for (const raw of Array.isArray(json.rolledBack) ? (json.rolledBack as unknown[]) : []) {
    if (!isRecord(raw) || typeof raw.version !== 'string') {
      file.problems.push(`${path}: a rollback record has no version`);
      continue;
    }
    file.rolledBack.push({ version: raw.version, hex: sriToHex(raw.sha256) });
  }
  return file;
}

async function viewAt(repository: string, commit: string): Promise<RegistryView> {
  const blobs = await metadataBlobs(repository, commit);
  const view: RegistryView = { commit, blobs, files: [], byName: new Map(), versions: new Map() };
  for (const [path, sha] of blobs) {
    const file = parsePackageFile(path, await blobText(repository, sha));
    view.files.push(file);
    const other = view.byName.get(file.name);
    if (other) file.problems.push(`${file.name} has two metadata files: ${other.path} and ${path}`);
    else view.byName.set(file.name, file);
    for (const entry of file.versions.values()) view.versions.set(versionId(entry.name, entry.version), entry);
  }
  return view;
}

interface CommitInfo {
  sha: string;
  parents: string[];
  message: string;
}

/** The branch's first-parent history, oldest first. */
async function history(repository: string, branch: string): Promise<CommitInfo[]> {
  const out = await git(repository, 'log', '-z', '--first-parent', '--reverse', '--format=%H %P%n%B', `refs/heads/${branch}`);
  return out.split('\0').filter((record) => record.trim() !== '').map((record) => {
    const newline = record.indexOf('\n');
    const [sha = '', ...parents] = record.slice(0, newline < 0 ? undefined : newline).trim().split(' ');
    return { sha, parents: parents.filter(Boolean), message: newline < 0 ? '' : record.slice(newline + 1) };
  });
}

// ---------- the checks ----------

class Findings {
  readonly list: Violation[] = [];
  private readonly seen = new Set<string>();
  add(invariant: Violation['invariant'], message: string): void {
    const key = `${String(invariant)}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ invariant, message });
  }
}

/** Invariants 1 and 7 over the whole first-parent history; returns the view at the head. */
async function checkHistory(repository: string, branch: string, findings: Findings): Promise<RegistryView> {
  const commits = await history(repository, branch);
  if (commits.length === 0) throw new Error(`the registry branch ${branch} has no commits`);
  /** Every version ever committed and not legitimately rolled back → the hex it was committed with. */
  const known = new Map<string, { hex: string | undefined; commit: string }>();
  /** Versions a commit added and no recorded rollback removed since → the commit that added them. */
  const added = new Map<string, string>();
  let previous: RegistryView | undefined;
  for (const [index, commit] of commits.entries()) {
    const view = await viewAt(repository, commit.sha);
    for (const file of view.files) {
      for (const problem of file.problems) findings.add(7, `${problem} (first seen at ${short(commit.sha)})`);
      const expected = metadataPath(file.name);
      if (file.path !== expected) findings.add(7, `${file.name}'s metadata is at ${file.path}, not where its name shards to (${expected}) (first seen at ${short(commit.sha)})`);
    }

    // 1. Immutable versions.
    for (const [id, entry] of view.versions) {
      const before = known.get(id);
      if (before && before.hex !== entry.hex) {
        findings.add(1, `${id} was committed with sha256 ${before.hex ?? '(none)'} at ${short(before.commit)} but commit ${short(commit.sha)} records ${entry.hex ?? '(none)'}`);
      }
      if (!before || before.hex !== entry.hex) known.set(id, { hex: entry.hex, commit: commit.sha });
    }
    for (const [id, entry] of previous?.versions ?? []) {
      if (view.versions.has(id)) continue;
      const record = view.byName.get(entry.name)?.rolledBack.find((r) => r.version === entry.version && r.hex !== undefined && r.hex === entry.hex);
      if (record) {
        known.delete(id);
        added.delete(id);
      } else {
        findings.add(1, `${id} disappeared in commit ${short(commit.sha)} without a rollback record of that version and sha256 in ${metadataPath(entry.name)}`);
      }
    }

    // 7. Auditable.
    if (index > 0 && previous) auditCommit(commit, previous, view, added, findings);
    previous = view;
  }
  return previous!;
}

function auditCommit(commit: CommitInfo, previous: RegistryView, view: RegistryView, added: Map<string, string>, findings: Findings): void {
  const at = `commit ${short(commit.sha)}`;
  const changed = [...new Set([...previous.blobs.keys(), ...view.blobs.keys()])].some((p) => previous.blobs.get(p) !== view.blobs.get(p));
  const headline = commit.message.split('\n')[0]?.trim() ?? '';
  const publish = /^Publish (\S+)@(\S+) \(#([1-9][0-9]*)\)$/.exec(headline);
  const rollback = /^Rollback (\S+)@(\S+)/.exec(headline);
  if (!changed && !publish && !rollback) return;
  if (!publish && !rollback) findings.add(7, `${at} changes metadata/ but its first line is ${JSON.stringify(headline)}, not "Publish <name>@<version> (#<issue>)" or "Rollback <name>@<version>…"`);

  const block = trailers(commit.message);
  const one = (key: string, pattern: RegExp): string | undefined => {
    const values = block?.get(key);
    if (!values || values.length !== 1 || !pattern.test(values[0] ?? '')) {
      findings.add(7, `${at} (${JSON.stringify(headline)}) has no single valid "${key}" trailer in a trailer block at its end`);
      return undefined;
    }
    return values[0];
  };
  const trailerIssue = one('Registrar-Issue', /^[1-9][0-9]*$/);
  one('Registrar-Run', /^\S+$/);
  one('Registrar-Attempt', /^[1-9][0-9]*$/);

  const newIds = [...view.versions.keys()].filter((id) => !previous.versions.has(id));
  if (publish) {
    const [, name = '', version = '', issue = ''] = publish;
    const id = versionId(name, version);
    if (trailerIssue !== undefined && trailerIssue !== issue) findings.add(7, `${at} says #${issue} in its first line but Registrar-Issue: ${trailerIssue}`);
    if (previous.versions.has(id)) findings.add(7, `${at} publishes ${id} again: it was already committed (a retry must not commit twice)`);
    else if (!view.versions.has(id)) findings.add(7, `${at} is headed "Publish ${id}" but does not add that version`);
  }
  for (const id of newIds) {
    const entry = view.versions.get(id)!;
    if (!publish || versionId(publish[1] ?? '', publish[2] ?? '') !== id) findings.add(7, `${at} adds ${id}, which its first line does not name`);
    if (trailerIssue !== undefined && entry.issue !== Number(trailerIssue)) {
      findings.add(7, `${at} adds ${id} recording issue ${JSON.stringify(entry.issue)} but its Registrar-Issue trailer is ${trailerIssue}`);
    }
    const earlier = added.get(id);
    if (earlier !== undefined) findings.add(7, `${id} is added by two commits, ${short(earlier)} and ${short(commit.sha)}, with no recorded rollback in between`);
    added.set(id, commit.sha);
  }
}

function checkStorage(head: RegistryView, listings: Record<string, RawObject[]>, expectations: Expectation[], findings: Findings): void {
  // 2. No uncommitted final objects.
  for (const [bucket, objects] of Object.entries(listings)) {
    for (const object of objects) {
      const parts = parseFinalKey(object.key);
      if (!parts) continue;
      const entry = head.versions.get(versionId(parts.name, parts.version));
      if (!entry) findings.add(2, `${bucket}/${object.key} exists but ${versionId(parts.name, parts.version)} is not in the registry head's metadata`);
      else if (entry.hex !== object.sha256 || entry.bytes !== object.bytes) {
        findings.add(2, `${bucket}/${object.key} holds ${object.bytes} bytes with sha256 ${object.sha256}, but the metadata records ${String(entry.bytes)} bytes with sha256 ${entry.hex ?? '(invalid)'}`);
      }
    }
  }

  // No vacuous pass: an empty listing or an empty registry where something is expected published means nothing
  // was promoted or committed — or the checker is looking in the wrong place. Either way, say so once, plainly.
  const expectedPublished = expectations.filter((e) => e.outcome === 'published');
  const named = expectedPublished.map((e) => versionId(e.name, e.version)).join(', ');
  const emptyBuckets = new Set<string>();
  const noMetadata = head.blobs.size === 0;
  if (expectedPublished.length > 0) {
    if (Object.keys(listings).length === 0) findings.add(3, `there is no bucket to list, but ${expectedPublished.length} version(s) are expected published: ${named}`);
    for (const [bucket, objects] of Object.entries(listings)) {
      if (objects.length > 0) continue;
      emptyBuckets.add(bucket);
      findings.add(3, `bucket ${bucket} is empty (its raw listing has no object at all), but ${expectedPublished.length} version(s) are expected published there: ${named}`);
    }
    if (noMetadata) findings.add(3, `the registry head ${short(head.commit)} has no metadata file at all (nothing under metadata/), but ${expectedPublished.length} version(s) are expected published: ${named}`);
  }

  for (const expected of expectations) {
    const id = versionId(expected.name, expected.version);
    const entry = head.versions.get(id);
    const key = finalKey(expected.name, expected.version);
    if (expected.outcome === 'kept') {
      // 1. A version committed before the scenario must still be there, as it was.
      if (!entry) findings.add(1, `${id} (issue #${expected.issue}) was committed before the scenario and should have been kept, but the registry head's metadata no longer lists it`);
      else if (entry.issue !== expected.issue) findings.add(1, `${id} was committed before the scenario with issue #${expected.issue}, but the head records issue ${JSON.stringify(entry.issue)}`);
    } else if (expected.outcome === 'published') {
      // 3. Convergence.
      if (!entry) {
        if (!noMetadata) findings.add(3, `${id} (issue #${expected.issue}) should be published but is not in the registry head's metadata`);
      } else if (entry.issue !== expected.issue) findings.add(3, `${id} is recorded with issue ${JSON.stringify(entry.issue)}, expected #${expected.issue}`);
      for (const [bucket, objects] of Object.entries(listings)) {
        if (emptyBuckets.has(bucket)) continue;
        const object = objects.find((o) => o.key === key);
        if (!object) findings.add(3, `${id} should be published but ${bucket}/${key} does not exist`);
        else if (entry && (entry.hex !== object.sha256 || entry.bytes !== object.bytes)) {
          findings.add(3, `${bucket}/${key} does not match the metadata of ${id} (${object.bytes} bytes, sha256 ${object.sha256})`);
        }
      }
    } else {
      if (entry) findings.add(3, `${id} should be absent but the registry head's metadata lists it (issue ${JSON.stringify(entry.issue)})`);
      for (const [bucket, objects] of Object.entries(listings)) {
        if (objects.some((o) => o.key === key)) findings.add(3, `${id} should be absent but ${bucket}/${key} exists`);
      }
    }
  }

  // 6. Every committed version is accounted for: one that no expectation publishes or keeps is a write nobody asked
  // for (a refused or repeated request that wrote after all, or a plan that committed the wrong version).
  // Versions an expectation calls absent are already reported under 3.
  const outcomes = new Map(expectations.map((e) => [versionId(e.name, e.version), e.outcome]));
  for (const [id, entry] of head.versions) {
    if (outcomes.has(id)) continue;
    findings.add(6, `${id} is committed at the registry head (${entry.path}, issue ${JSON.stringify(entry.issue)}) but no expectation publishes or keeps it`);
  }

  // 5. No garbage: after the scenario's last run, no staging object of any package is left in any bucket.
  for (const [bucket, objects] of Object.entries(listings)) {
    for (const object of objects.filter((o) => o.key.startsWith('staging/'))) {
      const parts = parseStagingKey(object.key);
      findings.add(5, parts
        ? `staging object ${bucket}/${object.key} of ${versionId(parts.name, parts.version)} was left behind`
        : `staging object ${bucket}/${object.key} was left behind (not of the form staging/<name>/<version>/<sha256>.tar.gz)`);
    }
  }
}

const MARKER_LINE = /^[ \t]*(<!-- registrar:.*?-->)[ \t]*$/m;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkComments(world: World, registry: { owner: string; repo: string }, expectations: Expectation[], findings: Findings): void {
  const markersChecked = new Set<number>();
  // A kept version's issue belongs to whoever seeded it; this scenario said nothing there.
  for (const expected of expectations.filter((e) => e.outcome !== 'kept')) {
    const id = versionId(expected.name, expected.version);
    let issue: ReturnType<World['github']['issue']>;
    try {
      issue = world.github.issue(registry.owner, registry.repo, expected.issue);
    } catch {
      findings.add('comments', `issue #${expected.issue} of ${id} does not exist`);
      continue;
    }
    // Registrar may break mentions with zero-width characters (`name@\u200bversion`); read the text a person sees.
    const bots = issue.comments.filter((c) => c.user.type === 'Bot').map((c) => ({ id: c.id, body: c.body.replace(/[\u200b-\u200d\u2060\ufeff]/g, '') }));
    const ownAlreadyPublished = new RegExp(`already published \\(issue #${expected.issue}\\)`, 'i');
    for (const comment of bots) {
      if (/already exists/i.test(comment.body)) findings.add('comments', `issue #${expected.issue}: bot comment ${comment.id} says "already exists"`);
      if (ownAlreadyPublished.test(comment.body)) findings.add('comments', `issue #${expected.issue}: bot comment ${comment.id} refuses the issue's own version as "already published (issue #${expected.issue})"`);
    }
    if (!markersChecked.has(expected.issue)) {
      markersChecked.add(expected.issue);
      const byMarker = new Map<string, number[]>();
      for (const comment of bots) {
        const marker = MARKER_LINE.exec(comment.body)?.[1];
        if (marker !== undefined) byMarker.set(marker, [...(byMarker.get(marker) ?? []), comment.id]);
      }
      for (const [marker, ids] of byMarker) {
        if (ids.length > 1) findings.add('comments', `issue #${expected.issue}: ${ids.length} bot comments (${ids.join(', ')}) carry the same marker ${marker} — a lost POST was repeated`);
      }
    }
    if (expected.outcome === 'published') {
      const newest = bots.at(-1);
      const saysPublished = newest !== undefined && new RegExp(`\\bpublished\\b[^\\n]*${escape(id)}`, 'i').test(newest.body)
        && !/(already|not|never) published/i.test(newest.body);
      if (!saysPublished) findings.add('comments', `issue #${expected.issue}: the newest bot comment does not say ${id} was published${newest ? `: ${JSON.stringify(newest.body.slice(0, 160))}` : ' (there is none)'}`);
      if (issue.state !== 'closed') findings.add('comments', `issue #${expected.issue} of published ${id} is still ${issue.state}`);
    }
  }
}

/** Every invariant the world can be checked for, each violation with a message naming what and where. */
export async function checkInvariants(world: World, options: CheckOptions): Promise<Violation[]> {
  const branch = options.branch ?? 'main';
  const registry = options.registry ?? REGISTRY;
  const repository = world.github.repoPath(registry.owner, registry.repo);
  const findings = new Findings();
  // Storage first, then the registry: the order reconcile uses, so a late commit cannot make a fresh object look orphaned.
  const listings = await storageState(world);
  const head = await checkHistory(repository, branch, findings);
  checkStorage(head, listings, options.expect, findings);
  checkComments(world, registry, options.expect, findings);
  return findings.list;
}

export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `- [${v.invariant === 'comments' ? 'comments' : `invariant ${v.invariant}`}] ${v.message}`).join('\n');
}

/** Throws one Error listing every violation; resolves when there is none. */
export async function assertInvariants(world: World, options: CheckOptions): Promise<void> {
  const violations = await checkInvariants(world, options);
  if (violations.length > 0) throw new Error(`${violations.length} invariant violation(s):\n${formatViolations(violations)}`);
}

/** The registry branch head and every metadata file there, by path (parsed JSON, or the raw text when it is not JSON). */
export async function registryState(world: World, options: { branch?: string; registry?: { owner: string; repo: string } } = {}): Promise<{ head: string; packages: Record<string, unknown> }> {
  const registry = options.registry ?? REGISTRY;
  const repository = world.github.repoPath(registry.owner, registry.repo);
  const head = (await git(repository, 'rev-parse', '--verify', `refs/heads/${options.branch ?? 'main'}^{commit}`)).trim();
  const view = await viewAt(repository, head);
  return { head, packages: Object.fromEntries(view.files.map((f) => [f.path, f.json])) };
}

/**
 * Every version committed at the registry head right now, as `kept` expectations: taken before a scenario runs in a
 * world that already holds versions (seeded ones, or an earlier test's in a shared world), so the scenario's check
 * can account for them. Entries without a numeric issue are left out (they are reported under 7 anyway).
 */
export async function keptVersions(world: World, options: { branch?: string; registry?: { owner: string; repo: string } } = {}): Promise<Expectation[]> {
  const registry = options.registry ?? REGISTRY;
  const repository = world.github.repoPath(registry.owner, registry.repo);
  const head = (await git(repository, 'rev-parse', '--verify', `refs/heads/${options.branch ?? 'main'}^{commit}`)).trim();
  const view = await viewAt(repository, head);
  return [...view.versions.values()]
    .filter((entry) => typeof entry.issue === 'number')
    .map((entry) => ({ name: entry.name, version: entry.version, issue: entry.issue as number, outcome: 'kept' as const }));
}

/** Every object of every bucket, downloaded and hashed (staging included). */
export async function storageState(world: World): Promise<Record<string, RawObject[]>> {
  const listings: Record<string, RawObject[]> = {};
  for (const bucket of world.buckets) listings[bucket] = await world.s3.listRaw(bucket);
  return listings;
}
