// Errors as values with a kind the pipeline acts on, and a message written for people.

/**
 * - `refused`: the request or the actor is not acceptable; nothing may be written, tell the author what to fix.
 * - `conflict`: the world is not as we planned it (a moved branch, an object with other bytes); re-plan or refuse.
 * - `not-found`: a thing we asked for does not exist (a tag, a repository, an object).
 * - `transient`: the network or a server failed; the same request may succeed later (the author retries).
 */
export type ErrorKind = 'refused' | 'conflict' | 'not-found' | 'transient';

export class RegistrarError extends Error {
  override readonly name = 'RegistrarError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** What the person reading the message should do next, when there is something to do. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const refused = (message: string, hint?: string) => new RegistrarError('refused', message, hint);
export const conflict = (message: string, hint?: string) => new RegistrarError('conflict', message, hint);
export const notFound = (message: string, hint?: string) => new RegistrarError('not-found', message, hint);
export const transient = (message: string, cause?: unknown) =>
  new RegistrarError('transient', message, 'Comment `/retry` on the issue to try again.', { cause });

export function isKind(error: unknown, kind: ErrorKind): error is RegistrarError {
  return error instanceof RegistrarError && error.kind === kind;
}
