/**
 * A claim store for unit tests: the memory store on a simulated clock, with a switch that
 * makes it unreachable (every call fails with the retryable `ClaimStoreUnavailableError`) or
 * makes calls hang, the way a network partition looks to a client.
 */
import {
  ClaimStoreUnavailableError,
  MemoryClaimStore,
  type ClaimStore,
  type Lease,
  type LeaseInfo,
} from '../../src/adapters/claims/index.js';
import { silentLogger, type Clock } from '../../src/lib/index.js';

export type FlakyMode = 'ok' | 'unavailable' | 'hang';

export class FlakyStore implements ClaimStore {
  readonly inner: MemoryClaimStore;
  mode: FlakyMode = 'ok';
  /** Calls made, by operation. */
  readonly calls = { claim: 0, renew: 0, release: 0, read: 0 };

  constructor(clock: Clock) {
    this.inner = new MemoryClaimStore({ clock, logger: silentLogger() });
  }

  #gate<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.mode === 'unavailable') return Promise.reject(new ClaimStoreUnavailableError(operation));
    if (this.mode === 'hang') return new Promise<T>(() => undefined);
    return run();
  }

  claim(key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    this.calls.claim++;
    return this.#gate('claim', () => this.inner.claim(key, holder, ttlMs));
  }
  renew(lease: Lease, ttlMs?: number): Promise<Lease> {
    this.calls.renew++;
    return this.#gate('renew', () => this.inner.renew(lease, ttlMs));
  }
  release(lease: Lease, reason?: string): Promise<boolean> {
    this.calls.release++;
    return this.#gate('release', () => this.inner.release(lease, reason));
  }
  read(key: string): Promise<LeaseInfo | null> {
    this.calls.read++;
    return this.#gate('read', () => this.inner.read(key));
  }
  list(): Promise<LeaseInfo[]> {
    return this.#gate('list', () => this.inner.list());
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
}
