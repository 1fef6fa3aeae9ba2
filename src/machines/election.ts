/**
 * Leader election through the claim store (SPEC §8): the leader is whoever holds the lease on
 * the `leader` key, its term is the lease's fencing token, so terms strictly increase and two
 * leaders can never share one.
 *
 * `candidate` tries to claim the key. `leader` renews every `renewEveryMs` (300 ms for a 1 s
 * TTL) and publishes `election_heartbeat` with its term on winning and after each renewal; a
 * renewal that fails for any reason, or none succeeding by `skewMs` before the lease ends,
 * makes it step down at once. `follower` learns the leader from heartbeats and from reading
 * the key every `pollMs`; when the key is free it becomes a candidate. Stopping gracefully
 * releases the key, so a follower takes over within one poll.
 *
 * Pure: effects are named actors, time is relative (`validForMs`), timers run on the clock the
 * actor was created with.
 */
import { assign, fromPromise, setup } from 'xstate';

/** Who leads, as one node sees it. */
export interface LeaderInfo {
  node: string;
  term: number;
}

export interface ElectionInput {
  node: string;
  ttlMs: number;
  renewEveryMs: number;
  pollMs: number;
  skewMs: number;
}

export interface ElectionContext extends ElectionInput {
  leader: LeaderInfo | null;
  validForMs: number;
}

export type ElectionEvent =
  /** A heartbeat received from the bus. */
  | { type: 'election.heartbeat'; node: string; term: number }
  /** Graceful stop: a leader releases the key first. */
  | { type: 'bzzz.stop' };

/** What a claim attempt found. */
export type ClaimOutcome =
  { won: true; term: number; validForMs: number } | { won: false; leader: LeaderInfo | null };

const missing = (name: string) => () =>
  Promise.reject(new Error(`election effect "${name}" was not provided`));

function sameLeader(a: LeaderInfo | null, b: LeaderInfo | null): boolean {
  return a?.node === b?.node && a?.term === b?.term;
}

export const electionMachine = setup({
  types: {
    input: {} as ElectionInput,
    context: {} as ElectionContext,
    events: {} as ElectionEvent,
  },
  actors: {
    claimLeadership: fromPromise<ClaimOutcome, { ttlMs: number }>(missing('claimLeadership')),
    /** Renews this node's lease; resolves with how long it is valid from now. */
    renewLeadership: fromPromise<{ validForMs: number }, { ttlMs: number }>(missing('renewLeadership')),
    /** The live holder of the key, or null when it is free. */
    readLeader: fromPromise<LeaderInfo | null>(missing('readLeader')),
    releaseLeadership: fromPromise<void>(missing('releaseLeadership')),
  },
  actions: {
    /** Publishes `election_heartbeat` with this leader's term. */
    publishHeartbeat: (_, _params: LeaderInfo) => undefined,
    /** The leader this node knows changed (null: none known). */
    leaderChanged: (_, _params: { leader: LeaderInfo | null }) => undefined,
    /** A store call failed (logs). */
    electionFailed: (_, _params: { step: string; error: unknown }) => undefined,
  },
  guards: {
    won: (_, params: { outcome: ClaimOutcome }) => params.outcome.won,
    newerLeader: ({ context }, params: LeaderInfo) =>
      params.node !== context.node &&
      params.term >= (context.leader?.term ?? 0) &&
      !sameLeader(context.leader, params),
    usurped: ({ context }, params: LeaderInfo) =>
      params.node !== context.node && params.term > (context.leader?.term ?? 0),
  },
  delays: {
    deadline: ({ context }) => Math.max(0, context.validForMs - context.skewMs),
    renewEvery: ({ context }) => context.renewEveryMs,
    poll: ({ context }) => context.pollMs,
  },
}).createMachine({
  id: 'election',
  context: ({ input }) => ({ ...input, leader: null, validForMs: 0 }),
  initial: 'candidate',
  on: { 'bzzz.stop': '.stopped' },
  states: {
    candidate: {
      invoke: {
        src: 'claimLeadership',
        input: ({ context }) => ({ ttlMs: context.ttlMs }),
        onDone: [
          {
            guard: { type: 'won', params: ({ event }) => ({ outcome: event.output }) },
            target: 'leader',
            actions: assign(({ context, event }) =>
              event.output.won
                ? {
                    validForMs: event.output.validForMs,
                    leader: { node: context.node, term: event.output.term },
                  }
                : {},
            ),
          },
          {
            target: 'follower',
            actions: [
              assign({ leader: ({ event }) => (event.output.won ? null : event.output.leader) }),
              { type: 'leaderChanged', params: ({ context }) => ({ leader: context.leader }) },
            ],
          },
        ],
        onError: {
          target: 'follower',
          actions: { type: 'electionFailed', params: ({ event }) => ({ step: 'claim', error: event.error }) },
        },
      },
    },
    follower: {
      tags: ['follower'],
      on: {
        'election.heartbeat': {
          guard: { type: 'newerLeader', params: ({ event }) => ({ node: event.node, term: event.term }) },
          actions: [
            assign({ leader: ({ event }) => ({ node: event.node, term: event.term }) }),
            { type: 'leaderChanged', params: ({ context }) => ({ leader: context.leader }) },
          ],
        },
      },
      initial: 'waiting',
      states: {
        waiting: { after: { poll: 'reading' } },
        reading: {
          invoke: {
            src: 'readLeader',
            onDone: [
              { guard: ({ event }) => event.output === null, target: '#election.candidate' },
              {
                guard: ({ context, event }) => sameLeader(context.leader, event.output),
                target: 'waiting',
              },
              {
                target: 'waiting',
                actions: [
                  assign({ leader: ({ event }) => event.output }),
                  { type: 'leaderChanged', params: ({ context }) => ({ leader: context.leader }) },
                ],
              },
            ],
            onError: {
              target: 'waiting',
              actions: {
                type: 'electionFailed',
                params: ({ event }) => ({ step: 'read', error: event.error }),
              },
            },
          },
        },
      },
    },
    leader: {
      tags: ['leader'],
      entry: { type: 'leaderChanged', params: ({ context }) => ({ leader: context.leader }) },
      on: {
        'bzzz.stop': 'releasing',
        'election.heartbeat': {
          guard: { type: 'usurped', params: ({ event }) => ({ node: event.node, term: event.term }) },
          target: 'follower',
          actions: [
            assign({ leader: ({ event }) => ({ node: event.node, term: event.term }) }),
            { type: 'leaderChanged', params: ({ context }) => ({ leader: context.leader }) },
          ],
        },
      },
      initial: 'term',
      states: {
        term: {
          entry: { type: 'publishHeartbeat', params: ({ context }) => context.leader! },
          after: { deadline: { target: '#election.steppingDown' } },
          initial: 'holding',
          states: {
            holding: { after: { renewEvery: 'renewing' } },
            renewing: {
              invoke: {
                src: 'renewLeadership',
                input: ({ context }) => ({ ttlMs: context.ttlMs }),
                onDone: {
                  target: '#election.leader.term',
                  reenter: true,
                  actions: assign({ validForMs: ({ event }) => event.output.validForMs }),
                },
                onError: {
                  target: '#election.steppingDown',
                  actions: {
                    type: 'electionFailed',
                    params: ({ event }) => ({ step: 'renew', error: event.error }),
                  },
                },
              },
            },
          },
        },
      },
    },
    /** A leader that cannot prove it still holds the key stops leading at once. */
    steppingDown: {
      always: {
        target: 'follower',
        actions: [assign({ leader: null }), { type: 'leaderChanged', params: { leader: null } }],
      },
    },
    releasing: {
      invoke: {
        src: 'releaseLeadership',
        onDone: 'stopped',
        onError: {
          target: 'stopped',
          actions: {
            type: 'electionFailed',
            params: ({ event }) => ({ step: 'release', error: event.error }),
          },
        },
      },
    },
    stopped: {
      type: 'final',
      entry: [assign({ leader: null }), { type: 'leaderChanged', params: { leader: null } }],
    },
  },
});
