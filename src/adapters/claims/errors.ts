/**
 * Errors of the claim port. A lost lease is final for the grant that lost it: the holder must
 * stop its effects; it may try to claim the key again, which yields a new, higher token.
 */
import { BzzzError } from '../../lib/errors.js';

/** Why a lease is no longer held. */
export type LeaseLostReason =
  /** The TTL ran out before a renewal. */
  | 'expired'
  /** The key was released (by this grant or an operator). */
  | 'released'
  /** Another grant (a different token) now owns the key. */
  | 'taken'
  /** The store was stopped. */
  | 'stopped';

/** The lease is gone: every effect fenced by it must stop. */
export class LeaseLostError extends BzzzError {
  override readonly name = 'LeaseLostError';

  constructor(
    readonly key: string,
    readonly holder: string,
    readonly token: number,
    readonly reason: LeaseLostReason,
    options: { cause?: unknown; current?: { holder: string; token: number } } = {},
  ) {
    const now =
      options.current === undefined
        ? ''
        : ` (now held by ${options.current.holder}, token ${options.current.token})`;
    // Retrying the same grant cannot help; a fresh claim is a different operation.
    super(`lease on ${key} lost by ${holder} at token ${token}: ${reason}${now}`, {
      cause: options.cause,
      retryable: false,
    });
    this.current = options.current;
  }

  /** The grant that replaced this one, when known. */
  readonly current: { holder: string; token: number } | undefined;
}

/** A call with arguments no store can honour (empty key or holder, non-positive TTL). */
export class InvalidLeaseRequestError extends BzzzError {
  override readonly name = 'InvalidLeaseRequestError';

  constructor(
    readonly field: 'key' | 'holder' | 'ttlMs' | 'lease',
    readonly value: unknown,
    reason: string,
  ) {
    super(`invalid ${field}: ${reason}`, { retryable: false });
  }
}

/** The store was stopped; nothing can be claimed through it any more. */
export class ClaimStoreStoppedError extends BzzzError {
  override readonly name = 'ClaimStoreStoppedError';

  constructor(operation: string) {
    super(`claim store stopped: cannot ${operation}`, { retryable: false });
  }
}
