/**
 * The claim store the tasks of a node use, counted: claims refused because another grant was
 * live, leases held now, renewals, and losses by reason. A decorator around the
 * {@link ClaimStore} port, so neither the store nor the task code knows about metrics.
 *
 * A lease counts as held from its claim until it is released, a renewal finds it lost
 * (`LeaseLostError`, whose reason is counted), a release finds it already gone (counted as
 * `expired` or `taken`, by its own expiry), or its expiry passes without a renewal (counted as
 * `expired`: a holder that stopped renewing without releasing).
 */
import { LeaseLostError, type ClaimStore, type Lease } from '../adapters/claims/index.js';

/** What the counter reports to (NodeMetrics). */
export interface ClaimMetrics {
  claimContended(): void;
  leaseRenewed(): void;
  leaseLost(reason: string): void;
  countHeldLeases(source: () => number): void;
}

/** Wraps `store`; the held count is read by `metrics` at each scrape. */
export function countedClaims(store: ClaimStore, metrics: ClaimMetrics, now: () => number): ClaimStore {
  /** The grants held now, by key: their token and when they end. */
  const held = new Map<string, { token: number; expiresAt: number }>();
  const isHeld = (lease: Lease) => held.get(lease.key)?.token === lease.token;
  const lost = (lease: Lease, reason: string) => {
    if (!isHeld(lease)) return;
    held.delete(lease.key);
    metrics.leaseLost(reason);
  };
  metrics.countHeldLeases(() => {
    const at = now();
    for (const [key, grant] of held) {
      if (grant.expiresAt > at) continue;
      held.delete(key);
      metrics.leaseLost('expired');
    }
    return held.size;
  });
  return {
    claim: async (key, holder, ttlMs) => {
      const lease = await store.claim(key, holder, ttlMs);
      if (lease === null) metrics.claimContended();
      else held.set(key, { token: lease.token, expiresAt: lease.expiresAt });
      return lease;
    },
    renew: async (lease, ttlMs) => {
      try {
        const renewed = await store.renew(lease, ttlMs);
        metrics.leaseRenewed();
        held.set(renewed.key, { token: renewed.token, expiresAt: renewed.expiresAt });
        return renewed;
      } catch (error) {
        if (error instanceof LeaseLostError) lost(lease, error.reason);
        throw error;
      }
    },
    release: async (lease, reason) => {
      const released = await store.release(lease, reason);
      if (released) {
        if (isHeld(lease)) held.delete(lease.key);
      } else {
        lost(lease, now() >= lease.expiresAt ? 'expired' : 'taken');
      }
      return released;
    },
    read: (key) => store.read(key),
    list: () => store.list(),
    start: () => store.start(),
    stop: () => store.stop(),
  };
}
