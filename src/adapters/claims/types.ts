/**
 * The claims port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock, Logger } from '../../lib/index.js';

/** What a store knows about the current grant of one key. */
export interface LeaseInfo {
  readonly key: string;
  readonly holder: string;
  /** The fencing token: strictly increasing per key over all grants, stable across renewals. */
  readonly token: number;
  /** Milliseconds since the epoch (the store's clock) after which the lease is void. */
  readonly expiresAt: number;
}

/** A grant held by this process. Immutable: `renew` returns a new `Lease`. */
export interface Lease extends LeaseInfo {
  /** The TTL used when this lease was granted or last renewed; `renew` reuses it by default. */
  readonly ttlMs: number;
  /**
   * Checks against the store that this holder still holds the key under this token and that
   * the lease has not expired. Throws {@link LeaseLostError} otherwise. Call it before every
   * external side effect (push, pull request, comment, status report).
   */
  assertHeld(): Promise<void>;
}

/** The lease store. Every method is linearizable per key. */
export interface ClaimStore {
  /**
   * Grants `key` to `holder` for `ttlMs` if nobody holds a live lease on it (a key never
   * claimed, released, or whose lease expired). Returns null while a live lease exists, even
   * when it belongs to the same holder: a live lease is extended with {@link renew} only.
   */
  claim(key: string, holder: string, ttlMs: number): Promise<Lease | null>;
  /**
   * Extends a lease by `ttlMs` (default: the lease's own TTL) from now, by compare-and-set on
   * its grant. Throws {@link LeaseLostError} when the lease expired, was released or was taken.
   */
  renew(lease: Lease, ttlMs?: number): Promise<Lease>;
  /**
   * Gives the key up. Returns true when this lease was the live grant and is now released,
   * false when it was already lost (a stale lease never releases a newer holder's grant).
   */
  release(lease: Lease, reason?: string): Promise<boolean>;
  /** The live grant on `key`, or null when there is none (never claimed, released, expired). */
  read(key: string): Promise<LeaseInfo | null>;
  /** Every live grant, sorted by key. */
  list(): Promise<LeaseInfo[]>;
  /** Safe to call twice. */
  start(): Promise<void>;
  /** Safe to call twice; a stopped store rejects further calls. */
  stop(): Promise<void>;
}

/** What a claim store gets injected. */
export interface ClaimStoreComponents {
  logger: Logger;
  clock: Clock;
}
