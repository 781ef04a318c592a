// The error answers the fault proxy sends in the real services' place — GitHub's 502, secondary rate limits and GraphQL errors, S3's InternalError and SlowDown — each shaped after a recorded or documented original.
import { randomBytes } from 'node:crypto';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

/** What the proxy sends instead of forwarding: status, headers and body (empty for HEAD). */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** A short name for the plan's log, e.g. `Server Error`, `secondary-rate-limit`, `graphql:FORBIDDEN`, `SlowDown`. */
  name: string;
}

/** The GraphQL error types the proxy can answer with (GitHub's `errors[].type`). */
export type GraphqlErrorType = 'FORBIDDEN' | 'STALE_DATA' | 'NOT_FOUND' | 'RATE_LIMITED';
export const GRAPHQL_ERROR_TYPES: readonly GraphqlErrorType[] = ['FORBIDDEN', 'STALE_DATA', 'NOT_FOUND', 'RATE_LIMITED'];

/** Which service a route string belongs to: S3 routes read `<METHOD> s3:…`, GitHub's archive and raw hosts `codeload:` / `raw:`. */
export type Service = 's3' | 'github-api' | 'github-download';

export function serviceOf(route: string): Service {
  if (/^[A-Z]+ s3:/.test(route)) return 's3';
  if (/^[A-Z]+ (codeload|raw):/.test(route)) return 'github-download';
  return 'github-api';
}

export function isGraphqlRoute(route: string): boolean {
  return route.startsWith('POST graphql:');
}

/** GitHub's request ids look like `9884:254A:D40D9A8:1B153B64:64838C0D` (hex groups); clients only echo them. */
function githubRequestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase().replace(/^0+(?=.)/, '');
  return [hex(2), hex(2), hex(4), hex(4), hex(4)].join(':');
}

/** The rate-limit headers api.github.com sends with API answers (see the emulator's, which mirror them). */
function rateLimitHeaders(resource: 'core' | 'graphql', remaining: number, resetInSeconds: number): Record<string, string> {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(5000 - remaining),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInSeconds),
    'x-ratelimit-resource': resource,
  };
}

/**
 * api.github.com's 502, as octokit/request.js#589 recorded it: `{"message":"Server Error"}` pretty-printed
 * (content-length 32, an nginx-style static etag `"…-20"`), content-type application/json, no rate-limit headers —
 * the gateway answers it, not the API. Used for codeload/raw too: the same edge fronts them (their own error page
 * is not recorded anywhere we could find; every client treats it as a 502 either way).
 */
export function githubServerError(): Answer {
  const body = Buffer.from('{\n  "message": "Server Error"\n}\n');
  return {
    status: 502,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      etag: `"${Math.floor(Date.now() / 1000).toString(16)}-${body.length.toString(16)}"`,
      server: 'GitHub.com',
      vary: 'Accept-Encoding, Accept, X-Requested-With',
      'x-github-request-id': githubRequestId(),
    },
    body,
    name: 'Server Error',
  };
}

/**
 * A secondary rate limit: 403 (or 429) with `retry-after` and a body naming it. Shape: GitHub's "Rate limits for the
 * REST API" page ("you will receive a 403 or 429 response and an error message that indicates that you exceeded a
 * secondary rate limit … If the retry-after response header is present …") and recorded bodies (apache/devlake#1322,
 * plugin-throttling.js#566), with today's `status` field. `x-ratelimit-remaining` is not 0: the primary budget is
 * fine, which is how clients tell the two limits apart. GraphQL gets the same 403, counted against `graphql`.
 * @octokit/plugin-throttling recognises it by /secondary rate/ in the message and waits `retry-after` × its base;
 * it reads `retry-after: 0` as absent (`Number(h) || fallbackSecondaryRateRetryAfter`), hence the default of 1.
 */
export function githubSecondaryRateLimit(options: { status: 403 | 429; retryAfterSeconds: number; graphql: boolean }): Answer {
  const id = githubRequestId();
  const body = Buffer.from(
    JSON.stringify({
      message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: String(options.status),
    }),
  );
  return {
    status: options.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'retry-after': String(options.retryAfterSeconds),
      ...rateLimitHeaders(options.graphql ? 'graphql' : 'core', 4987, 3600),
      'x-github-request-id': id,
    },
    body,
    name: 'secondary-rate-limit',
  };
}

interface RootField {
  /** The response key: the alias if there is one. */
  key: string;
  line: number;
  column: number;
}

/** The selected operation's kind and root fields (with their source positions), or undefined for an unparsable request. */
export function graphqlOperation(body: Buffer): { kind: 'query' | 'mutation' | 'subscription'; fields: RootField[]; variables: unknown } | undefined {
  let request: { query?: unknown; operationName?: unknown; variables?: unknown };
  try {
    request = JSON.parse(body.toString('utf8')) as typeof request;
    if (typeof request !== 'object' || request === null || typeof request.query !== 'string') return undefined;
    const operations = parse(request.query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = typeof request.operationName === 'string' ? operations.find((o) => o.name?.value === request.operationName) : operations[0];
    if (!operation) return undefined;
    const fields = operation.selectionSet.selections.flatMap((s) =>
      s.kind === Kind.FIELD ? [{ key: s.alias?.value ?? s.name.value, line: s.loc?.startToken.line ?? 1, column: s.loc?.startToken.column ?? 1 }] : [],
    );
    return { kind: operation.operation as 'query' | 'mutation' | 'subscription', fields, variables: request.variables };
  } catch {
    return undefined;
  }
}

/** The first string value named `name` anywhere in the variables, e.g. `input.expectedHeadOid`. */
function findVariable(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key === name && typeof inner === 'string') return inner;
    const found = findVariable(inner, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The literal argument `name: "…"` in the document, for requests that inline their values instead of using variables. */
function findLiteral(body: Buffer, name: string): string | undefined {
  const text = body.toString('utf8').replace(/\\"/g, '"');
  return new RegExp(`\\b${name}\\s*:\\s*"([^"]*)"`).exec(text)?.[1];
}

/**
 * A GraphQL error inside HTTP 200, as GitHub sends them:
 * - FORBIDDEN: `{"data":{<field>:null},"errors":[{"type":"FORBIDDEN","path":[…],"extensions":{"saml_failure":false},
 *   "locations":[…],"message":"Resource not accessible by integration"}]}` (recorded in fpicalausa/remove-stale-branches#49);
 *   the root field is nullable in GitHub's schema, so data keeps it as null rather than dropping `data`.
 * - NOT_FOUND: same frame, "Could not resolve to a Repository with the name '<owner>/<name>'." (GitHub's wording for a
 *   repository the token cannot see).
 * - STALE_DATA: createCommitOnBranch's answer when `expectedHeadOid` is not the head: `Expected branch to point to
 *   "<oid>" but it did not.` (TOOLCHAIN.md, learned on the landed code).
 * - RATE_LIMITED: `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]}` without
 *   `data` (github/docs#22607), with `x-ratelimit-remaining: 0` and the reset `retryAfterSeconds` ahead. GitHub has also
 *   been seen sending `type: "RATE_LIMIT"` (yanyongyu/githubkit#271), which plugin-throttling 11 does not recognise;
 *   the documented enum value is what it and Registrar handle.
 */
export function graphqlError(type: GraphqlErrorType, requestBody: Buffer, retryAfterSeconds: number): Answer {
  const operation = graphqlOperation(requestBody);
  const first = operation?.fields[0] ?? { key: 'unknown', line: 1, column: 1 };
  let payload: unknown;
  if (type === 'RATE_LIMITED') {
    payload = { errors: [{ type, message: 'API rate limit exceeded for user ID 1.' }] };
  } else {
    const vars = operation?.variables;
    let message: string;
    if (type === 'FORBIDDEN') message = 'Resource not accessible by integration';
    else if (type === 'STALE_DATA') {
      const oid = findVariable(vars, 'expectedHeadOid') ?? findLiteral(requestBody, 'expectedHeadOid') ?? '0'.repeat(40);
      message = `Expected branch to point to "${oid}" but it did not.`;
    } else {
      const nwo =
        findVariable(vars, 'repositoryNameWithOwner') ??
        findLiteral(requestBody, 'repositoryNameWithOwner') ??
        `${findVariable(vars, 'owner') ?? findLiteral(requestBody, 'owner') ?? '?'}/${findVariable(vars, 'name') ?? findLiteral(requestBody, 'name') ?? '?'}`;
      message = `Could not resolve to a Repository with the name '${nwo}'.`;
    }
    const error: Record<string, unknown> = { type, path: [first.key] };
    if (type === 'FORBIDDEN') error['extensions'] = { saml_failure: false };
    error['locations'] = [{ line: first.line, column: first.column }];
    error['message'] = message;
    payload = { data: Object.fromEntries((operation?.fields ?? [first]).map((f) => [f.key, null])), errors: [error] };
  }
  const body = Buffer.from(JSON.stringify(payload));
  const limited = type === 'RATE_LIMITED';
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      ...rateLimitHeaders('graphql', limited ? 0 : 4987, limited ? retryAfterSeconds : 3600),
      'x-github-request-id': githubRequestId(),
    },
    body,
    name: `graphql:${type}`,
  };
}

/**
 * S3's REST error response (AWS "Error responses" page, Amazon S3 API reference): an XML `<Error>` with Code, Message,
 * RequestId and HostId, content-type application/xml, and the ids in `x-amz-request-id` / `x-amz-id-2` too.
 * InternalError is 500 "We encountered an internal error. Please try again."; SlowDown is 503 "Please reduce your
 * request rate." (no retry-after: S3 leaves the back-off to the client). A HEAD answer has no body, so a client
 * knows the failure only by its status — as with real S3.
 */
export function s3Error(code: 'InternalError' | 'SlowDown', method: string): Answer {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const hostId = randomBytes(48).toString('base64');
  const status = code === 'SlowDown' ? 503 : 500;
  const message = code === 'SlowDown' ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.';
  const body =
    method === 'HEAD'
      ? Buffer.alloc(0)
      : Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`,
        );
  return {
    status,
    headers: {
      'x-amz-request-id': requestId,
      'x-amz-id-2': hostId,
      ...(body.length > 0 ? { 'content-type': 'application/xml' } : {}),
      'content-length': String(body.length),
      server: 'AmazonS3',
    },
    body,
    name: code,
  };
}

/** The 5xx a service answers with: GitHub's 502 (GraphQL included — the gateway answers before GraphQL runs), S3's 500 InternalError. */
export function serverError(route: string, method: string): Answer {
  return serviceOf(route) === 's3' ? s3Error('InternalError', method) : githubServerError();
}
