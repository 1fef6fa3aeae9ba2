/**
 * Claiming: the lease first (after a crashed predecessor has released its own), its renewal
 * while the task runs, then the forge's marker and WHOOSH's claim, which are advice for humans
 * and come only once the lease is won (SPEC §8). The issue is read again here: the
 * announcement may be stale or come from WHOOSH.
 */
import { fromPromise } from 'xstate';
import type { ClaimedIssue } from '../../../machines/task.js';
import { leaseRenewalLogic } from '../../lease.js';
import type { TaskEnv } from './env.js';

export function claimLease({ key, deps, resources }: TaskEnv) {
  return fromPromise<number | null, { key: string }>(async () => {
    await resources.predecessor;
    const lease = await deps.claims.claim(key, deps.agent, deps.leaseTtlMs);
    if (lease === null || !(await resources.adoptLease(lease))) return null;
    deps.logger.info({ task: key, token: lease.token, expiresAt: lease.expiresAt }, 'lease won');
    return lease.token;
  });
}

export function renewLease({ key, deps, resources }: TaskEnv) {
  return leaseRenewalLogic({
    store: deps.claims,
    clock: deps.clock,
    skewMs: deps.leaseSkewMs,
    logger: deps.logger,
    lease: () => {
      if (resources.lease === undefined) throw new Error(`task ${key} is active without a lease`);
      return resources.lease;
    },
    onRenewed: (lease) => {
      if (resources.lease !== undefined) resources.lease = lease;
    },
  });
}

export function markClaimed({ key, deps, resources }: TaskEnv) {
  return fromPromise<ClaimedIssue, { token: number }>(async ({ input }) => {
    const issue = await deps.forge.getTask(key);
    await deps.forge.markClaimed(key, { agent: deps.agent, token: input.token, fence: resources.fence });
    await resources.fence();
    await deps.whoosh?.claimed(key, deps.agent);
    return { title: issue.title, body: issue.body, labels: issue.labels };
  });
}
