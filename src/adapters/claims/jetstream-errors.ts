/**
 * Errors of the JetStream claim store that the port's own errors do not cover: the store
 * cannot be reached (retryable: the call may succeed once the connection is back) and a
 * configuration no server can accept.
 */
import { BzzzError } from '../../lib/errors.js';

/**
 * The NATS server or its JetStream could not answer: disconnected, restarting, timed out.
 * Nothing is known about the lease; callers retry, and a holder treats a lease it cannot renew
 * before its deadline as lost.
 */
export class ClaimStoreUnavailableError extends BzzzError {
  override readonly name = 'ClaimStoreUnavailableError';

  constructor(
    readonly operation: string,
    options: { cause?: unknown } = {},
  ) {
    const why = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`claim store unavailable: cannot ${operation}${why}`, { cause: options.cause, retryable: true });
  }
}

/** A store option no server accepts (a cluster name that cannot name a bucket, a bad skew). */
export class ClaimStoreConfigError extends BzzzError {
  override readonly name = 'ClaimStoreConfigError';

  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`invalid claim store option ${field}=${JSON.stringify(value)}: ${reason}`, { retryable: false });
  }
}
