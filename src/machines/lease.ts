/**
 * Keeps one lease alive while its task runs, and says so the moment it cannot (SPEC §8).
 *
 * Renews every `renewEveryMs` (default a third of the TTL). A renewal the store refuses
 * (`LeaseLostError`: expired, released, taken) ends the lease at once; a renewal that fails
 * otherwise (the store cannot be reached) is retried every `retryDelayMs`. Whatever happens, the
 * lease is declared lost when `skewMs` before its deadline no renewal has succeeded: `lease.lost`
 * reaches the task before the TTL runs out, so it stops its effects while it still holds the
 * lease and before any other node may take it over.
 *
 * Pure: no clock is read here. Time is relative: the effects report how long the lease is
 * still valid (`validForMs`) and the machine's timers run on the clock its actor was given.
 */
import { assign, fromPromise, setup } from 'xstate';

export interface LeaseMachineInput {
  key: string;
  token: number;
  ttlMs: number;
  /** How long the lease is still valid when the machine starts. */
  validForMs: number;
  /** The stated maximum clock skew: the lease counts as lost this long before its deadline. */
  skewMs: number;
  /** Default: `ttlMs / 3`. */
  renewEveryMs?: number;
  /** Default: `ttlMs / 10`, at least 20 ms. */
  retryDelayMs?: number;
}

/** Why a lease was given up: the store's own reason, or `unreachable` (deadline, no renewal). */
export type LeaseLossReason = 'expired' | 'released' | 'taken' | 'stopped' | 'unreachable';

export interface LeaseContext {
  key: string;
  token: number;
  ttlMs: number;
  validForMs: number;
  skewMs: number;
  renewEveryMs: number;
  retryDelayMs: number;
  renewals: number;
  failures: number;
  reason: LeaseLossReason | null;
  outcome: LeaseOutput['state'] | null;
}

export type LeaseEvent =
  /** The task is finished with the lease: give it back. */
  | { type: 'lease.release'; reason?: string }
  /** Stop renewing without releasing (shutdown; the lease runs out on its own). */
  | { type: 'bzzz.stop' };

export interface LeaseOutput {
  state: 'lost' | 'released' | 'stopped';
  reason: LeaseLossReason | null;
}

/** True for an error that says the lease is gone for good (the port's `LeaseLostError`). */
function isLeaseLost(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'LeaseLostError'
  );
}

function lossReason(error: unknown): LeaseLossReason {
  const reason = (error as { reason?: unknown }).reason;
  return reason === 'expired' || reason === 'released' || reason === 'taken' || reason === 'stopped'
    ? reason
    : 'expired';
}

export const leaseMachine = setup({
  types: {
    input: {} as LeaseMachineInput,
    context: {} as LeaseContext,
    events: {} as LeaseEvent,
    output: {} as LeaseOutput,
  },
  actors: {
    /** Renews the lease; resolves with how long it is valid from now. */
    renewLease: fromPromise<{ validForMs: number }, { ttlMs: number }>(() =>
      Promise.reject(new Error('lease effect "renewLease" was not provided')),
    ),
    /** Releases the lease; resolves whether it was still held. */
    releaseLease: fromPromise<boolean, { reason: string | undefined }>(() =>
      Promise.reject(new Error('lease effect "releaseLease" was not provided')),
    ),
  },
  actions: {
    /** The lease is gone: every effect fenced by it must stop (the task goes to `lost`). */
    leaseLost: (_, _params: { key: string; token: number; reason: LeaseLossReason }) => undefined,
    /** A renewal succeeded (logs, metrics, the chaos harness's history). */
    leaseRenewed: (_, _params: { key: string; token: number; validForMs: number }) => undefined,
    /** A renewal failed and will be retried before the deadline. */
    renewFailed: (_, _params: { error: unknown }) => undefined,
  },
  delays: {
    deadline: ({ context }) => Math.max(0, context.validForMs - context.skewMs),
    renewEvery: ({ context }) => context.renewEveryMs,
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: 'lease',
  context: ({ input }) => ({
    key: input.key,
    token: input.token,
    ttlMs: input.ttlMs,
    validForMs: input.validForMs,
    skewMs: input.skewMs,
    renewEveryMs: input.renewEveryMs ?? input.ttlMs / 3,
    retryDelayMs: input.retryDelayMs ?? Math.max(20, input.ttlMs / 10),
    renewals: 0,
    failures: 0,
    reason: null,
    outcome: null,
  }),
  output: ({ context }) => ({ state: context.outcome ?? 'stopped', reason: context.reason }),
  initial: 'live',
  states: {
    live: {
      tags: ['held'],
      after: { deadline: { target: 'lost', actions: assign({ reason: 'unreachable' as const }) } },
      on: {
        'lease.release': 'releasing',
        'bzzz.stop': 'stopped',
      },
      initial: 'holding',
      states: {
        holding: { after: { renewEvery: 'renewing' } },
        renewing: {
          invoke: {
            src: 'renewLease',
            input: ({ context }) => ({ ttlMs: context.ttlMs }),
            onDone: {
              target: '#lease.live',
              reenter: true,
              actions: [
                assign({
                  validForMs: ({ event }) => event.output.validForMs,
                  renewals: ({ context }) => context.renewals + 1,
                }),
                {
                  type: 'leaseRenewed',
                  params: ({ context, event }) => ({
                    key: context.key,
                    token: context.token,
                    validForMs: event.output.validForMs,
                  }),
                },
              ],
            },
            onError: [
              {
                guard: ({ event }) => isLeaseLost(event.error),
                target: '#lease.lost',
                actions: assign({ reason: ({ event }) => lossReason(event.error) }),
              },
              {
                target: 'retrying',
                actions: [
                  assign({ failures: ({ context }) => context.failures + 1 }),
                  { type: 'renewFailed', params: ({ event }) => ({ error: event.error }) },
                ],
              },
            ],
          },
        },
        retrying: { after: { retryDelay: 'renewing' } },
      },
    },
    lost: {
      type: 'final',
      entry: [
        assign({ outcome: 'lost' as const }),
        {
          type: 'leaseLost',
          params: ({ context }) => ({
            key: context.key,
            token: context.token,
            reason: context.reason ?? 'expired',
          }),
        },
      ],
    },
    releasing: {
      invoke: {
        src: 'releaseLease',
        input: ({ event }) => ({ reason: event.type === 'lease.release' ? event.reason : undefined }),
        onDone: 'released',
        // A release that cannot reach the store leaves the lease to run out: nothing else to do.
        onError: 'released',
      },
    },
    released: { type: 'final', entry: assign({ outcome: 'released' as const }) },
    stopped: { type: 'final', entry: assign({ outcome: 'stopped' as const }) },
  },
});
