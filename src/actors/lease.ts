/**
 * Binds the pure lease machine to a {@link ClaimStore}: renewals and the release go to the
 * store, timers run on the injected clock, and a loss reaches the task as `lease.lost`.
 *
 * Two shapes: {@link startLeaseKeeper} for code that holds a lease directly (the chaos harness,
 * an agent's claim actor), and {@link leaseRenewalLogic} for the task machine's `renewLease`
 * slot, which runs while the task is `active` and sends `lease.lost` to it.
 */
import { createActor, fromCallback, fromPromise, toPromise, type Actor } from 'xstate';
import type { ClaimStore, Lease } from '../adapters/claims/index.js';
import type { Clock, Logger } from '../lib/index.js';
import { describeError } from '../lib/errors.js';
import { leaseMachine, type LeaseLossReason, type LeaseOutput } from '../machines/lease.js';

export interface LeaseKeeperOptions {
  store: ClaimStore;
  /** The lease as granted (or last renewed). */
  lease: Lease;
  clock: Clock;
  /** The store's stated maximum clock skew: the lease is given up this long before it ends. */
  skewMs: number;
  /** Default: a third of the lease's TTL. */
  renewEveryMs?: number;
  retryDelayMs?: number;
  logger?: Logger;
  /** Called once, when the lease is lost (not when it is released or the keeper stopped). */
  onLost?: (reason: LeaseLossReason) => void;
  /** Called after each renewal with the renewed lease. */
  onRenewed?: (lease: Lease) => void;
}

/** A running lease keeper. */
export interface LeaseKeeper {
  /** The lease as last renewed. */
  readonly lease: Lease;
  /** True until the lease is lost, released or the keeper stopped. */
  readonly held: boolean;
  /** Gives the lease back and ends the keeper. */
  release(reason?: string): Promise<LeaseOutput>;
  /** Stops renewing without releasing (the lease runs out on its own). */
  stop(): Promise<LeaseOutput>;
  /** Resolves when the keeper ends, for whatever reason. */
  readonly done: Promise<LeaseOutput>;
  readonly actor: Actor<typeof leaseMachine>;
}

/** Starts renewing `options.lease` until it is lost, released or stopped. */
export function startLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { store, clock } = options;
  let current = options.lease;
  const logic = leaseMachine.provide({
    actors: {
      renewLease: fromPromise(async ({ input }: { input: { ttlMs: number } }) => {
        current = await store.renew(current, input.ttlMs);
        return { validForMs: current.expiresAt - clock.now() };
      }),
      releaseLease: fromPromise(({ input }: { input: { reason: string | undefined } }) =>
        store.release(current, input.reason),
      ),
    },
    actions: {
      leaseLost: (_, params) => {
        options.logger?.warn(params, 'lease lost');
        options.onLost?.(params.reason);
      },
      leaseRenewed: () => options.onRenewed?.(current),
      renewFailed: (_, params) =>
        options.logger?.warn(
          { key: current.key, error: describeError(params.error) },
          'lease renewal failed',
        ),
    },
  });
  const actor = createActor(logic, {
    clock,
    input: {
      key: current.key,
      token: current.token,
      ttlMs: current.ttlMs,
      validForMs: current.expiresAt - clock.now(),
      skewMs: options.skewMs,
      ...(options.renewEveryMs !== undefined ? { renewEveryMs: options.renewEveryMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    },
  });
  const done = toPromise(actor);
  actor.start();
  return {
    get lease() {
      return current;
    },
    get held() {
      return actor.getSnapshot().hasTag('held');
    },
    release(reason) {
      actor.send({ type: 'lease.release', ...(reason !== undefined ? { reason } : {}) });
      return done;
    },
    stop() {
      actor.send({ type: 'bzzz.stop' });
      return done;
    },
    done,
    actor,
  };
}

/**
 * The task machine's `renewLease` effect: keeps the task's lease (read through `lease()` when
 * the task becomes active) and sends `{ type: 'lease.lost', reason }` when it is lost. Leaving
 * the active state stops renewing; releasing is the task's own step.
 */
export function leaseRenewalLogic(
  options: Omit<LeaseKeeperOptions, 'lease' | 'onLost'> & { lease: () => Lease },
) {
  return fromCallback<{ type: 'lease.lost'; reason: string }>(({ sendBack }) => {
    const keeper = startLeaseKeeper({
      ...options,
      lease: options.lease(),
      onLost: (reason) => sendBack({ type: 'lease.lost', reason }),
    });
    return () => {
      void keeper.stop();
    };
  });
}
