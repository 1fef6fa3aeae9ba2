/**
 * The in-process claim store of the embedded default: one table per process, linearizable
 * because every operation runs to completion synchronously on the event loop. Tokens come
 * from a per-key counter that survives release and expiry, so they never repeat.
 */
import { toError, type Clock, type Logger } from '../../lib/index.js';
import { ClaimStoreStoppedError, InvalidLeaseRequestError, LeaseLostError } from './errors.js';
import type { ClaimStore, ClaimStoreComponents, Lease, LeaseInfo } from './types.js';

interface Grant {
  holder: string;
  token: number;
  expiresAt: number;
}

/** Leases in a Map, time from the injected clock. */
export class MemoryClaimStore implements ClaimStore {
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Live or expired grants; a released key has no entry. */
  readonly #grants = new Map<string, Grant>();
  /** The last token handed out per key; never decreases, never forgotten. */
  readonly #lastToken = new Map<string, number>();
  #stopped = false;

  constructor(components: ClaimStoreComponents) {
    this.#clock = components.clock;
    this.#logger = components.logger;
  }

  /** After a `stop` (a restart by the supervisor) takes calls again; the table is kept. */
  start(): Promise<void> {
    this.#stopped = false;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    return Promise.resolve();
  }

  claim(key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    return this.#run('claim', () => {
      checkKey(key);
      checkHolder(holder);
      checkTtl(ttlMs);
      const now = this.#clock.now();
      const current = this.#grants.get(key);
      if (current !== undefined && current.expiresAt > now) return null;
      const token = (this.#lastToken.get(key) ?? 0) + 1;
      this.#lastToken.set(key, token);
      const grant = { holder, token, expiresAt: now + ttlMs };
      this.#grants.set(key, grant);
      this.#logger.debug({ key, holder, token, takeover: current !== undefined }, 'lease granted');
      return this.#lease(key, grant, ttlMs);
    });
  }

  renew(lease: Lease, ttlMs: number = lease.ttlMs): Promise<Lease> {
    return this.#run('renew', () => {
      checkTtl(ttlMs);
      const grant = this.#liveGrantOf(lease);
      grant.expiresAt = this.#clock.now() + ttlMs;
      return this.#lease(lease.key, grant, ttlMs);
    });
  }

  release(lease: Lease, reason?: string): Promise<boolean> {
    return this.#run('release', () => {
      const grant = this.#grants.get(lease.key);
      if (grant === undefined || grant.token !== lease.token || grant.expiresAt <= this.#clock.now()) {
        return false;
      }
      this.#grants.delete(lease.key);
      this.#logger.debug(
        { key: lease.key, holder: lease.holder, token: lease.token, reason },
        'lease released',
      );
      return true;
    });
  }

  read(key: string): Promise<LeaseInfo | null> {
    return this.#run('read', () => {
      const grant = this.#grants.get(key);
      if (grant === undefined || grant.expiresAt <= this.#clock.now()) return null;
      return { key, holder: grant.holder, token: grant.token, expiresAt: grant.expiresAt };
    });
  }

  list(): Promise<LeaseInfo[]> {
    return this.#run('list', () => {
      const now = this.#clock.now();
      return [...this.#grants]
        .filter(([, grant]) => grant.expiresAt > now)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, g]) => ({ key, holder: g.holder, token: g.token, expiresAt: g.expiresAt }));
    });
  }

  /** The stored grant that `lease` still owns, or a {@link LeaseLostError} saying why not. */
  #liveGrantOf(lease: Lease): Grant {
    if (this.#stopped) throw new LeaseLostError(lease.key, lease.holder, lease.token, 'stopped');
    const grant = this.#grants.get(lease.key);
    if (grant === undefined) throw new LeaseLostError(lease.key, lease.holder, lease.token, 'released');
    if (grant.token !== lease.token) {
      throw new LeaseLostError(lease.key, lease.holder, lease.token, 'taken', {
        current: { holder: grant.holder, token: grant.token },
      });
    }
    if (grant.expiresAt <= this.#clock.now()) {
      throw new LeaseLostError(lease.key, lease.holder, lease.token, 'expired');
    }
    return grant;
  }

  #lease(key: string, grant: Grant, ttlMs: number): Lease {
    const info = { key, holder: grant.holder, token: grant.token, expiresAt: grant.expiresAt, ttlMs };
    const lease: Lease = Object.freeze({
      ...info,
      assertHeld: () => {
        try {
          this.#liveGrantOf(lease);
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(toError(error));
        }
      },
    });
    return lease;
  }

  /** Runs one operation atomically; async only to match stores that do I/O. */
  #run<T>(operation: string, fn: () => T): Promise<T> {
    if (this.#stopped) return Promise.reject(new ClaimStoreStoppedError(operation));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidLeaseRequestError('key', key, 'must be non-empty');
}

function checkHolder(holder: string): void {
  if (typeof holder !== 'string' || holder.length === 0) {
    throw new InvalidLeaseRequestError('holder', holder, 'must be non-empty');
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new InvalidLeaseRequestError('ttlMs', ttlMs, 'must be > 0');
}
