/**
 * The claim store the tasks of a node use, counted: claims refused because another grant was
 * live, leases held now, renewals, and losses by reason. A decorator around the
 * {@link ClaimStore} port, so neither the store nor the task code knows about metrics.
 *
 * A lease counts as held from its claim until it is released, a renewal finds it lost
 * (`LeaseLostError`, whose reason is counted), a release finds it already gone (counted as
 * `expired` or `taken`, by its own expiry), or its expiry passes without a renewal (counted as
 * `expired`: a holder that stopped renewing without releasing; a grant that expired and was
 * then taken counts as `expired` or `taken` by which of the two this node saw first).
 */
import { LeaseLostError, type ClaimStore, type Lease, type LeaseInfo } from '../adapters/claims/index.js';

/** What the counter reports to (NodeMetrics). */
export interface ClaimMetrics {
  claimContended(): void;
  leaseRenewed(): void;
  leaseLost(reason: string): void;
  countHeldLeases(source: () => number): void;
}

/** Wraps `store`; the held count is read by `metrics` at each scrape. */
export function countedClaims(store: ClaimStore, metrics: ClaimMetrics, now: () => number): ClaimStore {
  /** When each grant held now ends, by key and token (two agents of a node may hold one key in turn). */
  const held = new Map<string, number>();
  const grant = (lease: LeaseInfo) => `${lease.key}\u0000${lease.token}`;
  const lost = (lease: Lease, reason: string) => {
    // counted once per grant, by whichever sees it first
    if (held.delete(grant(lease))) metrics.leaseLost(reason);
  };
  metrics.countHeldLeases(() => {
    const at = now();
    for (const [id, expiresAt] of held) {
      if (expiresAt > at) continue;
      held.delete(id);
      metrics.leaseLost('expired');
    }
    return held.size;
  });
  return {
    claim: async (key, holder, ttlMs) => {
      const lease = await store.claim(key, holder, ttlMs);
      if (lease === null) metrics.claimContended();
      else held.set(grant(lease), lease.expiresAt);
      return lease;
    },
    renew: async (lease, ttlMs) => {
      try {
        const renewed = await store.renew(lease, ttlMs);
        metrics.leaseRenewed();
        held.set(grant(renewed), renewed.expiresAt);
        return renewed;
      } catch (error) {
        if (error instanceof LeaseLostError) lost(lease, error.reason);
        throw error;
      }
    },
    release: async (lease, reason) => {
      const released = await store.release(lease, reason);
      if (released) held.delete(grant(lease));
      else lost(lease, now() >= lease.expiresAt ? 'expired' : 'taken');
      return released;
    },
    read: (key) => store.read(key),
    list: () => store.list(),
    start: () => store.start(),
    stop: () => store.stop(),
  };
}
