/**
 * Errors of the claim port. A lost lease is final for the grant that lost it: the holder must
 * stop its effects; it may try to claim the key again, which yields a new, higher token. A
 * store that cannot answer says so with a retryable error; nothing is known about the lease.
 */
import { BzzzError } from '../../lib/errors.js';
import type { Lease } from './types.js';

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

/**
 * The store could not answer: its server disconnected, restarting or timed out (JetStream), its
 * files unreadable or their lock not obtained in time (forge). Nothing is known about the
 * lease; callers retry, and a holder treats a lease it cannot renew before its deadline as lost.
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

/** A store option no store accepts (a cluster name that cannot name a bucket or a folder, a bad skew). */
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

/** The error of an operation on a lease that is no longer the holder's. */
export function lostLease(
  lease: Lease,
  reason: LeaseLostReason,
  current?: { holder: string; token: number },
): LeaseLostError {
  return new LeaseLostError(
    lease.key,
    lease.holder,
    lease.token,
    reason,
    current === undefined ? {} : { current },
  );
}

/** Refuses a claim whose key, holder or TTL no store could accept. */
export function checkLeaseRequest(key: string, holder: string, ttlMs: number): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidLeaseRequestError('key', key, 'must be non-empty');
  if (typeof holder !== 'string' || holder.length === 0) {
    throw new InvalidLeaseRequestError('holder', holder, 'must be non-empty');
  }
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new InvalidLeaseRequestError('ttlMs', ttlMs, 'must be > 0');
}
