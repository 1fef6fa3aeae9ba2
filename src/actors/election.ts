/**
 * Binds the pure election machine to a {@link ClaimStore} (key `leader`, TTL 1 s, renewed
 * every 300 ms, followers reading every 150 ms) and to the bus through two callbacks:
 * `publish` sends this leader's `election_heartbeat`, `onLeaderChange` tells the node who
 * leads now (for `bzzz status`, `/api/v1/leader`, and starting or stopping the poller).
 *
 * {@link electionSpec} runs it under a supervisor like every other machine (`xstateChild`),
 * with a mailbox at its path: heartbeats received from the bus arrive there as
 * `election.heartbeat` messages. A graceful stop releases the key (a new leader within one
 * poll), a kill does not (the lease runs out, as after a crash). {@link createElector} runs
 * the same logic alone (tests, benchmarks).
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { ClaimStore, Lease } from '../adapters/claims/index.js';
import { describeError } from '../lib/errors.js';
import type { Clock, Logger } from '../lib/index.js';
import {
  electionMachine,
  type ClaimOutcome,
  type ElectionEvent,
  type ElectionInput,
  type LeaderInfo,
} from '../machines/election.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { MailboxMessage } from './message.js';
import { xstateChild } from './xstate-child.js';

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

/** One node's part in the election, run alone (outside a supervision tree). */
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

/** The election machine with its store effects and callbacks provided. */
export function electionLogic(options: ElectorOptions): typeof electionMachine {
  const { store, clock, node } = options;
  const key = options.key ?? ELECTION_DEFAULTS.key;
  let lease: Lease | null = null;
  let known: LeaderInfo | null = null;
  return electionMachine.provide({
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
}

function electionInput(options: Omit<ElectorOptions, 'clock' | 'logger'>): ElectionInput {
  return {
    node: options.node,
    ttlMs: options.ttlMs ?? ELECTION_DEFAULTS.ttlMs,
    renewEveryMs: options.renewEveryMs ?? ELECTION_DEFAULTS.renewEveryMs,
    pollMs: options.pollMs ?? ELECTION_DEFAULTS.pollMs,
    skewMs: options.skewMs ?? ELECTION_DEFAULTS.skewMs,
  };
}

/** Creates (does not start) an elector outside a supervision tree. */
export function createElector(options: ElectorOptions): Elector {
  const actor = createActor(electionLogic(options), { clock: options.clock, input: electionInput(options) });
  const active = () => actor.getSnapshot().status === 'active';
  return {
    start: () => void actor.start(),
    stop: async () => {
      if (!active()) return;
      const done = new Promise<void>((resolve) => {
        actor.subscribe({ complete: resolve, error: () => resolve() });
      });
      actor.send({ type: 'bzzz.stop' });
      await done;
    },
    kill: () => actor.stop(),
    heartbeat: (heartbeat) => {
      if (active()) actor.send({ type: 'election.heartbeat', ...heartbeat });
    },
    get leader() {
      return active() ? actor.getSnapshot().context.leader : null;
    },
    get isLeader() {
      return active() && actor.getSnapshot().hasTag('leader');
    },
    actor,
  };
}

/** The mailbox message that carries a received heartbeat to the elector. */
export function heartbeatMessage(
  heartbeat: ElectionHeartbeat,
): MailboxMessage<'election.heartbeat', ElectionHeartbeat> {
  return { type: 'election.heartbeat', data: { node: heartbeat.node, term: heartbeat.term } };
}

/** What the elector's mailbox lets through: heartbeats with a node and a term, nothing else. */
export function acceptElectionMessage(message: MailboxMessage): ElectionEvent | undefined {
  if (message.type !== 'election.heartbeat') return undefined;
  const data = message.data as { node?: unknown; term?: unknown } | undefined;
  if (typeof data?.node !== 'string' || typeof data.term !== 'number' || !Number.isSafeInteger(data.term))
    return undefined;
  return { type: 'election.heartbeat', node: data.node, term: data.term };
}

/**
 * The elector as a supervised child with a mailbox at its path: started with the tree,
 * stopped gracefully (releasing the key) in the tree's shutdown order.
 */
export function electionSpec(id: string, options: Omit<ElectorOptions, 'clock' | 'logger'>): ChildSpec {
  return xstateChild<typeof electionMachine>(id, {
    logic: (ctx) => electionLogic({ ...options, clock: ctx.clock, logger: ctx.logger }),
    input: () => electionInput(options),
    accept: acceptElectionMessage,
    stop: { type: 'bzzz.stop' },
    restart: 'permanent',
    shutdown: 5_000,
  });
}
