/**
 * The claim store the tasks of a node use, audited: each lease won (`claim`), renewed
 * (`renewal`), lost (`loss`: a renewal that finds it gone, or a release that finds it already
 * lost) and given back (`release`) is an entry of the node's audit log with the lease's token.
 * A decorator around the {@link ClaimStore} port, like the counting one (counted-claims.ts);
 * entries are recorded without waiting, so a slow disk never delays a renewal, and the log's
 * queue keeps them in call order. A contended claim (null) is no event of this node's lease.
 */
import type { AuditInput, AuditRecorder } from '../adapters/audit/index.js';
import { LeaseLostError, type ClaimStore, type Lease } from '../adapters/claims/index.js';

export function auditedClaims(store: ClaimStore, record: AuditRecorder): ClaimStore {
  const entry = (kind: AuditInput['kind'], lease: Lease, data: AuditInput['data']): void =>
    record({ kind, task: lease.key, token: lease.token, data: { holder: lease.holder, ...data } });
  return {
    claim: async (key, holder, ttlMs) => {
      const lease = await store.claim(key, holder, ttlMs);
      if (lease !== null) entry('claim', lease, { expiresAt: lease.expiresAt, ttlMs });
      return lease;
    },
    renew: async (lease, ttlMs) => {
      try {
        const renewed = await store.renew(lease, ttlMs);
        entry('renewal', renewed, { expiresAt: renewed.expiresAt });
        return renewed;
      } catch (error) {
        if (error instanceof LeaseLostError) entry('loss', lease, { reason: error.reason, on: 'renew' });
        throw error;
      }
    },
    release: async (lease, reason) => {
      const released = await store.release(lease, reason);
      if (released) entry('release', lease, { reason: reason ?? null });
      else entry('loss', lease, { reason: reason ?? null, on: 'release' });
      return released;
    },
    read: (key) => store.read(key),
    list: () => store.list(),
    start: () => store.start(),
    stop: () => store.stop(),
  };
}
