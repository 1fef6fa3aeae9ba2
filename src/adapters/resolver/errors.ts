/**
 * The resolver's errors. Each carries the HTTP status and the `code` of the JSON error the
 * resolver answers with (`{ "error": { "code", "message", "part"? } }`), so the HTTP port, the
 * MCP server and `bzzz resolve` report one failure the same way.
 */
import type { BzzzUrlPart, InvalidBzzzUrlError } from '../../protocol/bzzz-url.js';
import { BzzzError, describeError } from '../../lib/errors.js';

export type ResolveErrorCode =
  'bad_address' | 'not_found' | 'names_unavailable' | 'bad_replica' | 'unavailable';

/** The base of every resolver error. */
export class ResolveError extends BzzzError {
  override readonly name: string = 'ResolveError';
  constructor(
    message: string,
    readonly code: ResolveErrorCode,
    readonly status: 400 | 404 | 502 | 503,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options);
  }
}

/** A malformed address; `part` names the wrong part (`hash`, `agent`, `number`, `path`...). */
export class BadAddressError extends ResolveError {
  override readonly name = 'BadAddressError';
  readonly part: BzzzUrlPart;
  constructor(cause: InvalidBzzzUrlError) {
    super(cause.message, 'bad_address', 400, { cause, retryable: false });
    this.part = cause.part;
  }
}

/** Nothing answers the address: no record for a name, no holder for a blob. */
export class NotFoundError extends ResolveError {
  override readonly name: string = 'NotFoundError';
  constructor(message: string) {
    super(message, 'not_found', 404, { retryable: true });
  }
}

/** This resolver has no name index (names are published by the task artifacts layer). */
export class NamesUnavailableError extends ResolveError {
  override readonly name = 'NamesUnavailableError';
  constructor() {
    super('semantic names are not available on this node (it runs no name index)', 'names_unavailable', 404, {
      retryable: false,
    });
  }
}

/** A replica sent bytes that do not hash to the blob asked for: nothing was served or kept. */
export class ReplicaMismatchError extends ResolveError {
  override readonly name = 'ReplicaMismatchError';
  constructor(
    readonly hash: string,
    readonly actual: string,
  ) {
    super(`a replica sent bytes hashing to ${actual} for blob ${hash}; refused`, 'bad_replica', 502);
  }
}

/** The name index or the replicas could not be asked (a lost connection): retrying may help. */
export class LookupFailedError extends ResolveError {
  override readonly name = 'LookupFailedError';
  constructor(what: string, cause: unknown) {
    super(`${what} failed: ${describeError(cause)}`, 'unavailable', 503, { cause });
  }
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: { code: ResolveErrorCode | 'internal'; message: string; part?: BzzzUrlPart };
}

/** The status and JSON body for any error (an unexpected one is a 500 `internal`). */
export function errorAnswer(error: unknown): { status: 400 | 404 | 500 | 502 | 503; body: ErrorBody } {
  if (!(error instanceof ResolveError))
    return { status: 500, body: { error: { code: 'internal', message: describeError(error) } } };
  const part = error instanceof BadAddressError ? { part: error.part } : {};
  return { status: error.status, body: { error: { code: error.code, message: error.message, ...part } } };
}
