/**
 * Binds the pure election machine to a {@link ClaimStore} (key `leader`, TTL 1 s, renewed
 * every 300 ms, followers reading every 150 ms) and to the bus through two callbacks:
 * `publish` sends this leader's `election_heartbeat`, `onLeaderChange` tells the node who
 * leads now (for `bzzz status`, `/api/v1/leader`, and starting or stopping the poller).
 * Heartbeats received from the bus come in through {@link Elector.heartbeat}.
 *
 * {@link electionChild} runs it under a supervisor: a graceful stop releases the key (a new
 * leader within one poll), a kill does not (the lease runs out, as after a crash).
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { ClaimStore, Lease } from '../adapters/claims/index.js';
import { describeError } from '../lib/errors.js';
import type { Clock, Logger } from '../lib/index.js';
import { electionMachine, type ClaimOutcome, type LeaderInfo } from '../machines/election.js';
import { ExitSignal, SHUTDOWN, type ChildSpec, type RunningChild } from '../supervisor/child.js';

export type { LeaderInfo } from '../machines/election.js';

/** The data of an `election_heartbeat` message. */
export interface ElectionHeartbeat {
  node: string;
  term: number;
}

export interface ElectorOptions {
  store: ClaimStore;
  /** This node's id: the holder of the key while it leads. */
  node: string;
  clock: Clock;
  logger?: Logger;
  /** Default `leader`. */
  key?: string;
  /** Default 1000 ms. */
  ttlMs?: number;
  /** Default 300 ms. */
  renewEveryMs?: number;
  /** How often a follower reads the key (default 150 ms). */
  pollMs?: number;
  /** The store's stated maximum clock skew (default 250 ms). */
  skewMs?: number;
  /** Sends this leader's heartbeat on the bus; called on winning and after every renewal. */
  publish?: (heartbeat: ElectionHeartbeat) => void;
  /** Called whenever the leader this node knows changes (null: none known). */
  onLeaderChange?: (leader: LeaderInfo | null) => void;
}

/** One node's part in the election. */
export interface Elector {
  start(): void;
  /** Graceful: a leader releases the key before it stops. */
  stop(): Promise<void>;
  /** Crash: stops at once without releasing. */
  kill(): void;
  /** Delivers a heartbeat received from the bus. */
  heartbeat(heartbeat: ElectionHeartbeat): void;
  /** The leader as this node knows it. */
  readonly leader: LeaderInfo | null;
  readonly isLeader: boolean;
  readonly actor: Actor<typeof electionMachine>;
}

export const ELECTION_DEFAULTS = { key: 'leader', ttlMs: 1_000, renewEveryMs: 300, pollMs: 150, skewMs: 250 };

/** Creates (does not start) this node's elector. */
export function createElector(options: ElectorOptions): Elector {
  const { store, clock, node } = options;
  const key = options.key ?? ELECTION_DEFAULTS.key;
  let lease: Lease | null = null;
  let known: LeaderInfo | null = null;

  const logic = electionMachine.provide({
    actors: {
      claimLeadership: fromPromise(async ({ input }: { input: { ttlMs: number } }): Promise<ClaimOutcome> => {
        const won = await store.claim(key, node, input.ttlMs);
        if (won !== null) {
          lease = won;
          return { won: true, term: won.token, validForMs: won.expiresAt - clock.now() };
        }
        const info = await store.read(key);
        return { won: false, leader: info === null ? null : { node: info.holder, term: info.token } };
      }),
      renewLeadership: fromPromise(async ({ input }: { input: { ttlMs: number } }) => {
        if (lease === null) throw new Error('renewing without a lease');
        lease = await store.renew(lease, input.ttlMs);
        return { validForMs: lease.expiresAt - clock.now() };
      }),
      readLeader: fromPromise(async () => {
        const info = await store.read(key);
        return info === null ? null : { node: info.holder, term: info.token };
      }),
      releaseLeadership: fromPromise(async () => {
        if (lease !== null) await store.release(lease, 'leader stepping down');
        lease = null;
      }),
    },
    actions: {
      publishHeartbeat: (_, heartbeat) => options.publish?.({ node: heartbeat.node, term: heartbeat.term }),
      leaderChanged: (_, { leader }) => {
        if (known?.node === leader?.node && known?.term === leader?.term) return;
        known = leader;
        options.logger?.info({ leader }, 'leader changed');
        options.onLeaderChange?.(leader);
      },
      electionFailed: (_, { step, error }) =>
        options.logger?.warn({ step, error: describeError(error) }, 'election step failed'),
    },
  });
  const actor = createActor(logic, {
    clock,
    input: {
      node,
      ttlMs: options.ttlMs ?? ELECTION_DEFAULTS.ttlMs,
      renewEveryMs: options.renewEveryMs ?? ELECTION_DEFAULTS.renewEveryMs,
      pollMs: options.pollMs ?? ELECTION_DEFAULTS.pollMs,
      skewMs: options.skewMs ?? ELECTION_DEFAULTS.skewMs,
    },
  });

  return {
    start: () => {
      actor.start();
    },
    stop: async () => {
      if (actor.getSnapshot().status !== 'active') return;
      const done = new Promise<void>((resolve) => {
        actor.subscribe({ complete: resolve, error: () => resolve() });
      });
      actor.send({ type: 'bzzz.stop' });
      await done;
    },
    kill: () => {
      lease = null;
      actor.stop();
    },
    heartbeat: (heartbeat) => actor.send({ type: 'election.heartbeat', ...heartbeat }),
    get leader() {
      const snapshot = actor.getSnapshot();
      return snapshot.status === 'active' ? snapshot.context.leader : null;
    },
    get isLeader() {
      const snapshot = actor.getSnapshot();
      return snapshot.status === 'active' && snapshot.hasTag('leader');
    },
    actor,
  };
}

/**
 * The elector as a supervised child: started with the tree, stopped gracefully (releasing
 * the key) in the tree's shutdown order. `onStarted` hands the elector to the node, which
 * routes received heartbeats to it.
 */
export function electionChild(
  id: string,
  options: Omit<ElectorOptions, 'clock' | 'logger'> & { onStarted?: (elector: Elector) => void },
): ChildSpec {
  return {
    id,
    type: 'worker',
    restart: 'permanent',
    shutdown: 5_000,
    start: (ctx) => {
      const elector = createElector({ ...options, clock: ctx.clock, logger: ctx.logger });
      const exit = new ExitSignal();
      elector.actor.subscribe({
        error: (error) =>
          exit.fire({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
        complete: () => exit.fire(SHUTDOWN),
      });
      elector.start();
      options.onStarted?.(elector);
      const running: RunningChild = {
        stop: async () => {
          await elector.stop();
          exit.fire(SHUTDOWN);
        },
        kill: () => {
          elector.kill();
          exit.fire(SHUTDOWN);
        },
        onExit: (listener) => exit.listen(listener),
      };
      return Promise.resolve(running);
    },
  };
}
