// Names a request by route — the same string for the same kind of request whatever package, issue or key it is about — for GitHub and for S3.
import type { IncomingHttpHeaders } from 'node:http';
import { CODELOAD_ROUTE } from '../github/emulator.js';
import { rootFieldsOf } from '../github/graphql.js';
import { matchRoute } from '../github/openapi.js';

/** What a classifier sees: the whole request, body included (GraphQL names its operation in the body). */
export interface ClassifiedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Classifier = (req: ClassifiedRequest) => string;

/**
 * GitHub emulator routes:
 * - REST: `<METHOD> <OpenAPI template>`, e.g. `GET /repos/{owner}/{repo}/git/ref/{ref}`;
 *   GitHub's rename redirect target `/repositories/{id}/…` keeps its own prefix: `GET /repositories/{repository_id}/contents/{path}`;
 * - GraphQL: `POST graphql:<first root field of the operation>`, e.g. `POST graphql:createCommitOnBranch`;
 * - the archive download the tarball endpoint redirects to: `GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}`
 *   (the emulator's own request-log name for it, so one string names it in fault plans and emulator hooks);
 * - raw file downloads: `GET raw:/{owner}/{repo}/{sha}/{path}`;
 * - anything else: `<METHOD> unknown:<path>`.
 */
export function githubRoute(req: ClassifiedRequest): string {
  const method = req.method.toUpperCase();
  const path = req.url.pathname;
  if (path === '/graphql' && method === 'POST') {
    let request: unknown;
    try {
      request = JSON.parse(req.body.toString('utf8'));
    } catch {
      request = undefined;
    }
    // The emulator's own helper, so a route here and a hook there name the same operation the same way.
    return `POST graphql:${rootFieldsOf(request)[0] ?? 'unknown'}`;
  }
  if (path.startsWith('/_codeload/')) return `${method} ${CODELOAD_ROUTE}`;
  if (path.startsWith('/_raw/')) return `${method} raw:/{owner}/{repo}/{sha}/{path}`;
  const byId = /^\/repositories\/\d+(\/.*)?$/.exec(path);
  if (byId) {
    // Match the rest as if under /repos/{owner}/{repo}, then name it by the path the client really used.
    const match = matchRoute(method, `/repos/_/_${byId[1] ?? ''}`);
    if (match) return `${method} ${match.operation.template.replace('/repos/{owner}/{repo}', '/repositories/{repository_id}')}`;
  }
  const match = matchRoute(method, path);
  return match ? `${method} ${match.operation.template}` : `${method} unknown:${path}`;
}

export type S3Operation =
  | 'PutObject'
  | 'CopyObject'
  | 'HeadObject'
  | 'GetObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'ListObjectsV2'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'other';

/** `staging/<name>/<version>/<hex>.tar.gz`, after an optional backend prefix. */
const STAGING_KEY = /(^|\/)staging\/[^/]+\/[^/]+\/[0-9a-f]+\.tar\.gz$/;
/** `<name>/<version>.tar.gz`, after an optional backend prefix. */
const FINAL_KEY = /(^|\/)[^/]+\/[^/]+\.tar\.gz$/;
const STAGING_SEGMENT = /(^|\/)staging(\/|$)/;

/** A key's class: `staging`, `final` or `other` — never its package, version or hash, so routes recur across packages. */
export function s3KeyClass(key: string): 'staging' | 'final' | 'other' {
  if (STAGING_KEY.test(key)) return 'staging';
  // A malformed key under staging/ is not a final key, even if it ends like one.
  if (FINAL_KEY.test(key) && !STAGING_SEGMENT.test(key)) return 'final';
  return 'other';
}

/** A listing prefix's class: `all` (no prefix), `staging` (under a staging/ segment), else `other`. */
export function s3PrefixClass(prefix: string | null): 'all' | 'staging' | 'other' {
  if (!prefix) return 'all';
  return STAGING_SEGMENT.test(prefix) ? 'staging' : 'other';
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The keys a DeleteObjects body names (`<Key>…</Key>`, XML-escaped). */
function deletedKeys(body: Buffer): string[] {
  const keys: string[] = [];
  for (const match of body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)) {
    keys.push(
      (match[1] ?? '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
        .replace(/&amp;/g, '&'),
    );
  }
  return keys;
}

/** The S3 operation and the class of what it touches, for a path-style request `/<bucket>/<key>`. */
export function s3Operation(req: ClassifiedRequest): { operation: S3Operation; bucket: string; cls: string } {
  const method = req.method.toUpperCase();
  const query = req.url.searchParams;
  const path = req.url.pathname.replace(/^\//, '');
  const slash = path.indexOf('/');
  const bucket = decode(slash === -1 ? path : path.slice(0, slash));
  const key = slash === -1 ? '' : decode(path.slice(slash + 1));
  // Multipart uploads, ACLs, tagging and the like are sub-resources Registrar does not use: `other`, whatever the method.
  const subresource = ['uploads', 'uploadId', 'acl', 'tagging', 'versioning', 'policy', 'lifecycle', 'cors', 'location'].some((name) =>
    query.has(name),
  );
  if (key === '') {
    if (method === 'POST' && query.has('delete')) {
      const classes = new Set(deletedKeys(req.body).map(s3KeyClass));
      const [only] = classes;
      return { operation: 'DeleteObjects', bucket, cls: classes.size === 1 && only ? only : 'other' };
    }
    if (subresource || bucket === '') return { operation: 'other', bucket, cls: 'other' };
    if (method === 'GET' && query.get('list-type') === '2') {
      return { operation: 'ListObjectsV2', bucket, cls: `list:${s3PrefixClass(query.get('prefix'))}` };
    }
    if (method === 'PUT') return { operation: 'CreateBucket', bucket, cls: 'other' };
    if (method === 'HEAD') return { operation: 'HeadBucket', bucket, cls: 'other' };
    return { operation: 'other', bucket, cls: 'other' };
  }
  const cls = s3KeyClass(key);
  if (subresource) return { operation: 'other', bucket, cls };
  switch (method) {
    case 'PUT':
      return { operation: req.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject', bucket, cls };
    case 'HEAD':
      return { operation: 'HeadObject', bucket, cls };
    case 'GET':
      return { operation: 'GetObject', bucket, cls };
    case 'DELETE':
      return { operation: 'DeleteObject', bucket, cls };
    default:
      return { operation: 'other', bucket, cls };
  }
}

/**
 * S3 routes, path-style only: `<METHOD> s3:<Operation> <bucket>/<class>`, e.g. `PUT s3:PutObject registry-primary/staging`,
 * `PUT s3:CopyObject registry-primary/final` (the class of the destination), `GET s3:ListObjectsV2 registry-primary/list:staging`.
 */
export function s3Route(req: ClassifiedRequest): string {
  const { operation, bucket, cls } = s3Operation(req);
  return `${req.method.toUpperCase()} s3:${operation} ${bucket}/${cls}`;
}
