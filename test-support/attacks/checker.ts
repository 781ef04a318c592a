// The attacks' independent eyes: the registry's refs by git on the bare repository, every object of every bucket by a raw S3 client of our own, every issue of the registry from the emulator's own model — sharing no code with src/.
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { git } from '../git.js';
import { REGISTRY, type World } from '../world.js';

export interface StoredObject {
  sha256: string;
  bytes: number;
  body: Buffer;
}

export interface IssueView {
  state: string;
  stateReason: string | null;
  labels: string[];
  title: string;
  /** Comments by Registrar's identity (the token's user): id → body. */
  botComments: Map<number, string>;
  /** Reactions by Registrar's identity: `issue:<content>` or `comment:<id>:<content>`. */
  botReactions: string[];
  /** Every comment id of the issue, whoever wrote it. */
  commentIds: number[];
}

export interface SideState {
  /** `git for-each-ref` of the registry's bare repository. */
  refs: string;
  /** bucket → key → object (downloaded and hashed). */
  storage: Map<string, Map<string, StoredObject>>;
  issues: Map<number, IssueView>;
}

const clients = new WeakMap<World, S3Client>();
function client(world: World): S3Client {
  let found = clients.get(world);
  if (!found) {
    found = new S3Client({ endpoint: world.s3.endpoint, region: world.s3.region, credentials: world.s3.credentials, forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    clients.set(world, found);
  }
  return found;
}

export function closeChecker(world: World): void {
  clients.get(world)?.destroy();
  clients.delete(world);
}

const seenObjects = new Map<string, StoredObject>();

async function bucketObjects(world: World, bucket: string): Promise<Map<string, StoredObject>> {
  const s3 = client(world);
  const objects = new Map<string, StoredObject>();
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      // An object is downloaded and hashed once per (bucket, key, ETag, size, last-modified); a rewrite changes one of them.
      const version = `${bucket}\0${item.Key}\0${item.ETag}\0${item.Size}\0${item.LastModified?.toISOString()}`;
      let object = seenObjects.get(version);
      if (!object) {
        const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
        const body = Buffer.from((await answer.Body?.transformToByteArray()) ?? new Uint8Array());
        object = { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length, body };
        seenObjects.set(version, object);
      }
      objects.set(item.Key, object);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** Every issue of the registry repository, as the emulator holds it (numbers count from 1). */
export function issueViews(world: World): Map<number, IssueView> {
  const bot = world.github.botUser;
  const views = new Map<number, IssueView>();
  for (let number = 1; ; number++) {
    let issue;
    try {
      issue = world.github.issue(REGISTRY.owner, REGISTRY.repo, number);
    } catch {
      break;
    }
    const mine = (user: { id: number }) => user.id === bot.id;
    views.set(number, {
      state: issue.state,
      stateReason: issue.state_reason,
      labels: [...issue.labels].sort(),
      title: issue.title,
      botComments: new Map(issue.comments.filter((c) => mine(c.user)).map((c) => [c.id, c.body])),
      botReactions: [
        ...issue.reactions.filter((r) => mine(r.user)).map((r) => `issue:${r.content}`),
        ...issue.comments.flatMap((c) => c.reactions.filter((r) => mine(r.user)).map((r) => `comment:${c.id}:${r.content}`)),
      ].sort(),
      commentIds: issue.comments.map((c) => c.id),
    });
  }
  return views;
}

export async function sideState(world: World): Promise<SideState> {
  const refs = await git(world.registryPath, 'for-each-ref', '--format=%(refname) %(objectname)');
  const storage = new Map<string, Map<string, StoredObject>>();
  for (const bucket of world.buckets) storage.set(bucket, await bucketObjects(world, bucket));
  return { refs, storage, issues: issueViews(world) };
}

/** What changed in the registry and in storage: each a sentence; empty when nothing did. */
export function writesBetween(before: SideState, after: SideState): string[] {
  const changes: string[] = [];
  if (before.refs !== after.refs) {
    const was = new Map(before.refs.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
    const now = new Map(after.refs.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
    for (const [ref, sha] of now) if (was.get(ref) !== sha) changes.push(`registry ${ref} moved ${was.get(ref)?.slice(0, 12) ?? '(new)'} → ${sha.slice(0, 12)}`);
    for (const ref of was.keys()) if (!now.has(ref)) changes.push(`registry ${ref} deleted`);
  }
  for (const [bucket, objects] of after.storage) {
    const old = before.storage.get(bucket) ?? new Map<string, StoredObject>();
    for (const [key, object] of objects) {
      const was = old.get(key);
      if (!was) changes.push(`storage ${bucket}/${key} written (${object.bytes} bytes)`);
      else if (was.sha256 !== object.sha256) changes.push(`storage ${bucket}/${key} overwritten`);
    }
    for (const key of old.keys()) if (!objects.has(key)) changes.push(`storage ${bucket}/${key} deleted`);
  }
  return changes;
}

export interface IssueChange {
  issue: number;
  kind: 'state' | 'labels' | 'title' | 'comment-new' | 'comment-updated' | 'comment-deleted' | 'reaction';
  commentId?: number;
  detail: string;
}

const OPEN: IssueView = { state: 'open', stateReason: null, labels: [], title: '', botComments: new Map(), botReactions: [], commentIds: [] };

/** What Registrar's identity changed on issues between two views (issues opened meanwhile start from an open, empty one). */
export function issueChanges(before: Map<number, IssueView>, after: Map<number, IssueView>): IssueChange[] {
  const changes: IssueChange[] = [];
  for (const [issue, now] of after) {
    const was = before.get(issue) ?? { ...OPEN, title: now.title };
    if (was.state !== now.state || was.stateReason !== now.stateReason) {
      changes.push({ issue, kind: 'state', detail: `#${issue} ${was.state}${was.stateReason ? `(${was.stateReason})` : ''} → ${now.state}${now.stateReason ? `(${now.stateReason})` : ''}` });
    }
    if (was.labels.join('\0') !== now.labels.join('\0')) changes.push({ issue, kind: 'labels', detail: `#${issue} labels [${was.labels.join(', ')}] → [${now.labels.join(', ')}]` });
    if (was.title !== now.title) changes.push({ issue, kind: 'title', detail: `#${issue} retitled` });
    for (const [id, body] of now.botComments) {
      const old = was.botComments.get(id);
      if (old === undefined) changes.push({ issue, kind: 'comment-new', commentId: id, detail: `#${issue} new Registrar comment ${id}` });
      else if (old !== body) changes.push({ issue, kind: 'comment-updated', commentId: id, detail: `#${issue} Registrar comment ${id} updated` });
    }
    for (const id of was.botComments.keys()) if (!now.botComments.has(id)) changes.push({ issue, kind: 'comment-deleted', commentId: id, detail: `#${issue} Registrar comment ${id} deleted` });
    const gone = was.commentIds.filter((id) => !now.commentIds.includes(id) && !was.botComments.has(id));
    for (const id of gone) changes.push({ issue, kind: 'comment-deleted', commentId: id, detail: `#${issue} someone's comment ${id} deleted` });
    const added = now.botReactions.filter((r) => !was.botReactions.includes(r));
    for (const reaction of added) changes.push({ issue, kind: 'reaction', detail: `#${issue} Registrar reacted ${reaction}` });
  }
  return changes;
}

/** Puts the registry's refs and every bucket back as they were (after an attack that wrote, so the next attack starts from the same world). */
export async function restore(world: World, to: SideState): Promise<void> {
  const was = new Map(to.refs.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  const nowText = await git(world.registryPath, 'for-each-ref', '--format=%(refname) %(objectname)');
  const now = new Map(nowText.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  for (const [ref, sha] of was) if (now.get(ref) !== sha) await git(world.registryPath, 'update-ref', ref, sha);
  for (const ref of now.keys()) if (!was.has(ref)) await git(world.registryPath, 'update-ref', '-d', ref);
  const s3 = client(world);
  for (const bucket of world.buckets) {
    const old = to.storage.get(bucket) ?? new Map<string, StoredObject>();
    const current = await bucketObjects(world, bucket);
    for (const key of current.keys()) if (!old.has(key)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    for (const [key, object] of old) {
      if (current.get(key)?.sha256 !== object.sha256) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: object.body }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Is a comment inert? Our own reading of CommonMark, not Registrar's renderer.

export const COMMENT_LIMIT = 65_536;
/** Bidi controls and zero-width characters: never raw in a comment, not even inside code. */
const INVISIBLE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]/u;

/** Removes fenced code blocks (``` or ~~~, closed by the same character at least as long, or by the end). */
function withoutFences(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '');
    // An info string after backticks may not hold a backtick (then it is no fence).
    if (!open || (open[1]![0] === '`' && open[2]!.includes('`'))) {
      out.push(lines[i] ?? '');
      continue;
    }
    const fence = open[1]!;
    let j = i + 1;
    while (j < lines.length) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[j] ?? '');
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      j++;
    }
    out.push('');
    i = j;
  }
  return out.join('\n');
}

/** Removes code spans: a run of N backticks up to the next run of exactly N, not across a blank line; escaped backticks open nothing. */
function withoutCodeSpans(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      out += text[i];
      i++;
      continue;
    }
    let n = 0;
    while (text[i + n] === '`') n++;
    let slashes = 0;
    for (let k = i - 1; k >= 0 && text[k] === '\\'; k--) slashes++;
    if (slashes % 2 === 1) {
      // `\`` is a literal backtick; the rest of the run may still open a span.
      out += '`';
      i += 1;
      continue;
    }
    let j = i + n;
    let closed = -1;
    while (j < text.length) {
      if (text[j] === '\n' && /^\n[ \t]*\n/.test(text.slice(j, j + 64))) break;
      if (text[j] !== '`') {
        j++;
        continue;
      }
      let m = 0;
      while (text[j + m] === '`') m++;
      if (m === n) {
        closed = j;
        break;
      }
      j += m;
    }
    if (closed < 0) {
      out += '`'.repeat(n);
      i += n;
    } else {
      out += ' ';
      i = closed + n;
    }
  }
  return out;
}

/** Every way a Registrar comment is not inert, as sentences; empty when it is. */
export function inertProblems(body: string): string[] {
  const problems: string[] = [];
  const length = [...body].length;
  if (length > COMMENT_LIMIT) problems.push(`comment is ${length} characters (> ${COMMENT_LIMIT})`);
  const invisible = INVISIBLE.exec(body);
  if (invisible) problems.push(`raw U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} in the comment`);
  const prose = withoutCodeSpans(withoutFences(body.replace(/<!-- registrar:[^\n]*?-->/g, ' ')).replace(/<\/?sub>/g, ' '))
    // Registrar's own links, built from the runner's environment and numbers it wrote, never from a stranger's text:
    // the workflow run under every comment, and `/status`'s links to its own status comments.
    .replace(/\[workflow run [0-9A-Za-z_-]+, attempt \d+\]\(https?:\/\/[^\s()]+\/actions\/runs\/[0-9A-Za-z_-]+\)/g, ' ')
    .replace(/\[run [0-9A-Za-z_-]+, attempt \d+\]\(#issuecomment-\d+\)/g, ' ');
  const checks: [RegExp, string][] = [
    [/!\[/, 'an image `![`'],
    [/\]\(/, 'a link `](`'],
    [/https?:\/\//i, 'a live URL'],
    [/@\w/u, 'a mention `@…`'],
    // Registrar's own "issue #N" names the registry issue that published a version (a number from the
    // registry's metadata, never a stranger's text); any other `#N` outside code is a live reference.
    [/(?<!\bissue )#\d/, 'an issue reference `#N`'],
    [/</, 'raw `<`'],
  ];
  for (const [pattern, what] of checks) {
    const found = pattern.exec(prose);
    if (found) {
      const at = found.index;
      problems.push(`${what} outside code: ${JSON.stringify(prose.slice(Math.max(0, at - 20), at + 30))}`);
    }
  }
  return problems;
}
