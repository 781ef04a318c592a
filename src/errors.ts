// Errors as values with a kind the pipeline acts on, and a message written for people.

/**
 * - `refused`: the request or the actor is not acceptable; nothing may be written, tell the author what to fix.
 * - `conflict`: the world is not as we planned it (a moved branch, an object with other bytes); re-plan or refuse.
 * - `not-found`: a thing we asked for does not exist (a tag, a repository, an object).
 * - `transient`: the network or a server failed; the same request may succeed later (the author retries).
 */
export type ErrorKind = 'refused' | 'conflict' | 'not-found' | 'transient';

/**
 * Why, in finer grain, when a service said so (src/adapters/errors.ts decides): the pipeline acts on it where the
 * kind alone is not enough — a rate limit is transient but not ambiguous (the request was not applied, so
 * re-planning at once cannot help), a network failure is ambiguous (the request may have landed).
 */
export type ErrorReason =
  | 'network' | 'server' | 'rate-limited' | 'permission' | 'credentials' | 'stale' | 'missing' | 'invalid' | 'configuration';

export class RegistrarError extends Error {
  override readonly name = 'RegistrarError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** What the person reading the message should do next, when there is something to do. */
    readonly hint?: string,
    options?: { cause?: unknown; reason?: ErrorReason; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options?.reason;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  readonly reason: ErrorReason | undefined;
  /** How long the service asked us to wait before asking again, when it said. */
  readonly retryAfterSeconds: number | undefined;
}

export const refused = (message: string, hint?: string) => new RegistrarError('refused', message, hint);
export const conflict = (message: string, hint?: string) => new RegistrarError('conflict', message, hint);
export const notFound = (message: string, hint?: string) => new RegistrarError('not-found', message, hint);
export const transient = (message: string, cause?: unknown) =>
  new RegistrarError('transient', message, 'Comment `/retry` on the issue to try again.', { cause });

export function isKind(error: unknown, kind: ErrorKind): error is RegistrarError {
  return error instanceof RegistrarError && error.kind === kind;
}

/**
 * True for Registrar's own judgement on a request (its content, its target, the registry's rules): a refusal
 * the author can act on. A service refusing Registrar (permissions, rate limits, configuration) carries a
 * `reason` and is a failed attempt instead: the request itself may be fine.
 */
export function judgesTheRequest(error: RegistrarError): boolean {
  return (error.kind === 'refused' || error.kind === 'not-found') && error.reason === undefined;
}
