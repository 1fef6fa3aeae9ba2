/**
 * Claiming: the lease first (a crashed predecessor's, continued: same holder and token,
 * renewed; else a new grant), its renewal while the task runs, then the forge's marker and
 * WHOOSH's claim, which are advice for humans and come only once the lease is won (SPEC §8).
 * The issue is read again here: the announcement may be stale or come from WHOOSH, and the
 * task may have been finished by the holder before (then the lease goes back at once). The task
 * branch's head is read then too: the pushes under this lease expect it.
 */
import { fromPromise } from 'xstate';
import type { Lease } from '../../../adapters/claims/index.js';
import { isOpenTask } from '../../../adapters/forge/index.js';
import { describeError } from '../../../lib/errors.js';
import type { ClaimedIssue } from '../../../machines/task.js';
import { leaseRenewalLogic } from '../../lease.js';
import type { TaskEnv } from './env.js';

/** The predecessor's lease renewed, or null when it is gone (expired, taken). */
async function continueLease({ key, deps }: TaskEnv, inherited: Lease): Promise<Lease | null> {
  try {
    const lease = await deps.claims.renew(inherited, deps.leaseTtlMs);
    deps.logger.info({ task: key, token: lease.token }, 'lease continued from a crashed predecessor');
    return lease;
  } catch (error) {
    deps.logger.warn({ task: key, err: describeError(error) }, "predecessor's lease is gone");
    return null;
  }
}

/**
 * True when the task got its outcome before this grant: its last holder reports, then
 * releases, so a lease won after that release finds the outcome on the forge. Such a lease
 * is given back at once: a finished task is never claimed again.
 */
async function finishedBefore({ key, deps }: TaskEnv, lease: Lease): Promise<boolean> {
  let task;
  try {
    task = await deps.forge.getTask(key);
  } catch (error) {
    await deps.claims.release(lease, 'task unreadable').catch(() => false);
    throw error;
  }
  if (isOpenTask(task.state === 'closed', task.labels)) return false;
  deps.logger.info(
    { task: key, token: lease.token, labels: task.labels },
    'task already finished: lease given back',
  );
  await deps.claims.release(lease, 'task already finished').catch(() => false);
  return true;
}

export function claimLease(env: TaskEnv) {
  const { key, deps, resources } = env;
  return fromPromise<number | null, { key: string }>(async () => {
    const inherited = await resources.predecessor;
    const continued = inherited === undefined ? null : await continueLease(env, inherited);
    const lease = continued ?? (await deps.claims.claim(key, deps.agent, deps.leaseTtlMs));
    if (lease === null) return null;
    if (continued === null && (await finishedBefore(env, lease))) return null;
    if (!(await resources.adoptLease(lease))) return null;
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
    await deps.forge.markClaimed(key, { ...resources.fenced(), agent: deps.agent, token: input.token });
    resources.expectedHead = (await deps.forge.branchLease(key)).head;
    await resources.fence();
    await deps.whoosh?.claimed(key, deps.agent);
    return { title: issue.title, body: issue.body, labels: issue.labels };
  });
}
