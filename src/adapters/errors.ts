// The one place where every answer GitHub and S3 can give becomes an error kind the pipeline acts on and a next step for people.
//
// Shapes, as the services document them (and as the test emulator and fault proxy reproduce them):
// - GitHub REST: 401 bad credentials; 403 is a permission problem, a primary rate limit (`x-ratelimit-remaining: 0`)
//   or a secondary one (body "You have exceeded a secondary rate limit", usually with `retry-after`); 429 is a
//   rate limit; 404 is "not found *on the replica that answered*" (a read by SHA can lag, so it is never proof of
//   absence: rule 11); 409/422 are decisions about the request; 5xx and network failures are accidents.
// - GitHub GraphQL: errors arrive inside HTTP 200 as `errors[].type` (STALE_DATA, FORBIDDEN, RATE_LIMITED,
//   NOT_FOUND, …); Octokit throws them as GraphqlResponseError (`errors`), or, for RATE_LIMITED, the throttling
//   plugin throws a plain Error carrying the response (`data.errors`) once it gave up waiting.
// - S3: errors carry a `Code` (NoSuchKey, NoSuchBucket, AccessDenied, PreconditionFailed, SlowDown,
//   InternalError, …) and an HTTP status; SlowDown (503) and InternalError (500) are accidents to retry.
import { inert } from '../core/inert.js';
import { redact } from '../redact.js';
import { RegistrarError, type ErrorKind, type ErrorReason } from '../errors.js';

const RETRY = 'Comment `/retry` on the issue to try again.';
const TOKEN_PERMISSIONS = "Check the workflow token's permissions: `contents: write` on the registry repository and `issues: write` for the comments.";

// ---------------------------------------------------------------------------------------------
// GitHub

interface GitHubFacts {
  /** HTTP status; undefined when no answer arrived (or for GraphQL errors inside HTTP 200). */
  status: number | undefined;
  headers: Record<string, string | undefined>;
  /** The answer's message (REST `message`), when there was an answer. */
  message: string;
  /** GraphQL error types inside an HTTP 200 answer. */
  graphqlTypes: string[];
  graphqlMessages: string[];
}

function gitHubFacts(error: unknown): GitHubFacts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    status?: unknown; response?: { status?: unknown; headers?: Record<string, unknown>; data?: unknown };
    errors?: unknown; data?: unknown; headers?: Record<string, unknown>;
  };
  const rawHeaders = e.response?.headers ?? e.headers ?? {};
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(rawHeaders)) headers[name.toLowerCase()] = value === undefined ? undefined : String(value);
  // An Octokit RequestError without a response is a request that never got an answer (Octokit reports those as 500).
  const answered = e.response !== undefined;
  const status = answered && typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
  const body = e.response?.data;
  const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
    ? (body as { message: string }).message : '';
  const graphqlErrors = [e.errors, (e.data as { errors?: unknown } | undefined)?.errors, (body as { errors?: unknown } | undefined)?.errors]
    .find((list): list is unknown[] => Array.isArray(list)) ?? [];
  const graphqlTypes = graphqlErrors.flatMap((g) => (typeof (g as { type?: unknown }).type === 'string' ? [(g as { type: string }).type] : []));
  const graphqlMessages = graphqlErrors.flatMap((g) => (typeof (g as { message?: unknown }).message === 'string' ? [(g as { message: string }).message] : []));
  return { status, headers, message, graphqlTypes, graphqlMessages };
}

/** A service's own words, quoted in a message people read: credentials cut (before the cap), one line, an inert code span. */
function quoted(text: string): string {
  return inert(redact(text).replace(/\s+/g, ' ').trim());
}

/** Seconds to wait, from `retry-after` or the primary limit's reset time; undefined when the answer does not say. */
function retryAfterSeconds(headers: Record<string, string | undefined>, now = Date.now()): number | undefined {
  const after = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(after) && after >= 0) return Math.ceil(after);
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-reset'] !== undefined && Number.isFinite(reset)) return Math.max(0, Math.ceil(reset - now / 1000));
  return undefined;
}

function rateLimitHint(seconds: number | undefined): string {
  const when = seconds === undefined ? 'in a few minutes' : seconds <= 60 ? `after ${Math.max(seconds, 1)} s` : `after ${Math.ceil(seconds / 60)} min`;
  return `GitHub is rate-limiting this token; comment \`/retry\` ${when}.`;
}

/**
 * The kind, reason and next step for a failed GitHub request. `what` names the request in the registry's
 * words ("read the tag v1.2.0 of acme/left-pad").
 */
export function gitHubError(error: unknown, what: string): RegistrarError {
  if (error instanceof RegistrarError) return error;
  const facts = gitHubFacts(error);
  const { status, headers } = facts;
  const make = (kind: ErrorKind, reason: ErrorReason, message: string, hint?: string, retryAfter?: number) =>
    new RegistrarError(kind, message, hint, { cause: error, reason, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) });

  if (facts.graphqlTypes.length > 0) {
    const types = [...new Set(facts.graphqlTypes)];
    const said = `GitHub answered ${types.join(', ')}${facts.graphqlMessages[0] ? ` (${quoted(facts.graphqlMessages[0])})` : ''} when Registrar tried to ${what}.`;
    if (types.includes('RATE_LIMITED')) {
      const after = retryAfterSeconds(headers);
      return make('transient', 'rate-limited', said, rateLimitHint(after), after);
    }
    if (types.includes('FORBIDDEN')) return make('refused', 'permission', said, TOKEN_PERMISSIONS);
    if (types.includes('STALE_DATA')) return make('conflict', 'stale', said);
    if (types.includes('NOT_FOUND')) return make('not-found', 'missing', said);
    // Types GitHub may add later: not proof of anything, so the author may try again.
    return make('transient', 'server', said, RETRY);
  }

  if (status === undefined) {
    const cause = error instanceof Error && error.message ? ` (${error.message})` : '';
    return make('transient', 'network', `Could not ${what}: the request failed before GitHub answered${cause}.`, RETRY);
  }
  const said = `GitHub answered ${status}${facts.message ? ` (${quoted(facts.message)})` : ''} when Registrar tried to ${what}.`;
  const secondary = /secondary rate limit/i.test(facts.message);
  const primary = headers['x-ratelimit-remaining'] === '0';
  if (status === 429 || (status === 403 && (secondary || primary))) {
    const after = retryAfterSeconds(headers);
    return make('transient', 'rate-limited', said, rateLimitHint(after), after);
  }
  if (status === 401) return make('refused', 'credentials', said, 'The workflow token is invalid or expired: check the `github-token` input.');
  if (status === 403) return make('refused', 'permission', said, TOKEN_PERMISSIONS);
  if (status === 404) return make('not-found', 'missing', said);
  if (status === 409) return make('conflict', 'stale', said);
  if (status === 422) {
    // 422 is GitHub refusing the request's content; a moved ref is the one 422 that means "re-plan".
    return /fast forward|reference already exists|reference does not exist/i.test(facts.message)
      ? make('conflict', 'stale', said)
      : make('refused', 'invalid', said, 'This is a bug in Registrar or a GitHub limit it did not respect: please report it.');
  }
  if (status >= 500 || status === 408) return make('transient', 'server', said, RETRY);
  return make('refused', 'invalid', said, 'This is a bug in Registrar or a GitHub change it does not know: please report it.');
}

/** The HTTP status of a GitHub answer, or undefined when none arrived (network failures). */
export function gitHubStatus(error: unknown): number | undefined {
  return gitHubFacts(error).status;
}

/**
 * GitHub's answer to creating a label whose name is taken (case-insensitively): 422 with the code `already_exists`.
 * Any other 422 (a bad colour, a description too long) is a real refusal, never "it is there".
 */
export function labelAlreadyExists(error: unknown): boolean {
  const { status, response } = error as { status?: unknown; response?: { data?: { errors?: { code?: unknown }[] } } };
  return status === 422 && (response?.data?.errors ?? []).some((e) => e.code === 'already_exists');
}

// ---------------------------------------------------------------------------------------------
// S3

/** Network failures that mean "the request may not have reached the server, or its answer was lost". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const ACCESS_CODES = new Set([
  'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled',
  'AccountProblem', 'InvalidSecurity', 'TokenRefreshRequired', 'CredentialsProviderError',
]);
const THROTTLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests', 'ServiceUnavailable']);

export function s3Facts(error: unknown): { status: number | undefined; code: string | undefined } {
  if (typeof error !== 'object' || error === null) return { status: undefined, code: undefined };
  const e = error as { name?: unknown; Code?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.Code === 'string' ? e.Code
    : typeof e.code === 'string' ? e.code
      : typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  return { status, code };
}

/**
 * "The object does not exist". S3 is strongly consistent (read-after-write, list-after-write), so unlike a
 * GitHub 404 this is an answer — but a missing *bucket* is a configuration problem, not an absent object.
 */
export function isMissingObject(error: unknown): boolean {
  const { status, code } = s3Facts(error);
  if (code === 'NoSuchBucket') return false;
  return code === 'NoSuchKey' || code === 'NotFound' || status === 404;
}

function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) || (typeof e.name === 'string' && NETWORK_NAMES.has(e.name));
}

export interface S3Request {
  /** The backend's name in reports, e.g. `primary`. */
  backend: string;
  bucket: string;
  /** What was asked, e.g. `S3 backend "primary": put of "staging/…"`. */
  what: string;
}

/** Messages name the backend, the operation and the key; never credentials, signed URLs or server-echoed request details. */
export function s3Error(error: unknown, request: S3Request): RegistrarError {
  if (error instanceof RegistrarError) return error;
  const { backend, bucket, what } = request;
  const { status, code } = s3Facts(error);
  const reason = [code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ');
  const because = reason === '' ? '' : ` (${reason})`;
  const make = (kind: ErrorKind, why: ErrorReason, message: string, hint?: string) =>
    new RegistrarError(kind, message, hint, { cause: error, reason: why });

  if (code === 'NoSuchBucket') {
    return make('not-found', 'configuration', `S3 backend "${backend}": bucket "${bucket}" does not exist (${what})`,
      `Create the bucket or fix the bucket name of backend "${backend}".`);
  }
  if (isMissingObject(error)) return make('not-found', 'missing', `${what} failed: the object does not exist${because}`);
  if (status === 412 || code === 'PreconditionFailed') return make('conflict', 'stale', `${what} failed: the object is not as expected${because}`);
  if (status === 429 || status === 503 || (code !== undefined && THROTTLE_CODES.has(code))) {
    return make('transient', 'rate-limited', `${what} failed: the backend asked to slow down${because}`, RETRY);
  }
  if (status === 403 || (code !== undefined && ACCESS_CODES.has(code))) {
    return make('refused', 'permission', `${what} was refused by the server${because}`,
      `Check the credentials and bucket permissions of backend "${backend}".`);
  }
  if (status === undefined || status >= 500 || status === 408 || isNetworkError(error)) {
    return make('transient', status === undefined ? 'network' : 'server', `${what} failed${because}`, RETRY);
  }
  // Any other 4xx: the server will answer the same way next time, so a retry would not help.
  return make('refused', 'configuration', `${what} was rejected by the server${because}`, `Check the configuration of backend "${backend}".`);
}
