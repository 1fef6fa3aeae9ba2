/**
 * The liveness of one other node, as this node sees it: `joining → alive → suspect → dead`.
 *
 * Time comes in with the events (`at`), never from a clock here: the `ticker` effect, provided
 * where the actor is created, sends `peer.tick` with the current time of the injected clock
 * every beat interval (tests drive a simulated one). A beat is missed when a whole interval
 * passes without one: after `suspectAfter` missed beats (3) the peer is suspect, after
 * `deadAfter` (5) it is dead, a final state, and the actor ends. A beat revives a suspect peer.
 * A peer joins on its first message and is alive once its capabilities are known or it has
 * beaten twice. Every state entered is reported through the `report` action.
 */
import { assign, fromCallback, setup } from 'xstate';

/** Liveness of a peer. */
export type PeerState = 'joining' | 'alive' | 'suspect' | 'dead';

/** Every state, in the order a peer goes through them. */
export const PEER_STATES: readonly PeerState[] = ['joining', 'alive', 'suspect', 'dead'];

export interface PeerInput {
  node: string;
  /** The beat interval the peer announces at (1 s by default). */
  intervalMs: number;
  /** Time of the first message. */
  at: number;
  /** Missed beats before suspect (default 3). */
  suspectAfter?: number;
  /** Missed beats before dead (default 5). */
  deadAfter?: number;
}

export interface PeerContext {
  node: string;
  intervalMs: number;
  suspectAfter: number;
  deadAfter: number;
  lastSeenAt: number;
  beats: number;
  knowsCapabilities: boolean;
}

export type PeerEvent =
  | { type: 'peer.beat'; at: number }
  | { type: 'peer.capabilities'; at: number }
  | { type: 'peer.tick'; at: number };

/** Whole intervals since the peer was last heard from. */
export function missedBeats(context: PeerContext, at: number): number {
  return Math.max(0, Math.floor((at - context.lastSeenAt) / context.intervalMs));
}

export const peerMachine = setup({
  types: {
    input: {} as PeerInput,
    context: {} as PeerContext,
    events: {} as PeerEvent,
    output: {} as { node: string; state: 'dead' },
  },
  actors: {
    /** Sends `peer.tick` with the current time every `intervalMs`. */
    ticker: fromCallback<PeerEvent, { intervalMs: number }>(() => undefined),
  },
  actions: {
    report: (_, _params: { node: string; state: PeerState }) => undefined,
    heard: assign(({ context, event }) => ({
      lastSeenAt: Math.max(context.lastSeenAt, event.at),
      beats: context.beats + (event.type === 'peer.beat' ? 1 : 0),
      knowsCapabilities: context.knowsCapabilities || event.type === 'peer.capabilities',
    })),
  },
  guards: {
    dead: ({ context, event }) =>
      event.type === 'peer.tick' && missedBeats(context, event.at) >= context.deadAfter,
    suspect: ({ context, event }) =>
      event.type === 'peer.tick' && missedBeats(context, event.at) >= context.suspectAfter,
    /** Known well enough to be alive once this message is counted. */
    known: ({ context, event }) =>
      context.knowsCapabilities ||
      event.type === 'peer.capabilities' ||
      (event.type === 'peer.beat' && context.beats + 1 >= 2),
  },
}).createMachine({
  id: 'peer',
  context: ({ input }) => ({
    node: input.node,
    intervalMs: Math.max(1, input.intervalMs),
    suspectAfter: input.suspectAfter ?? 3,
    deadAfter: Math.max(input.deadAfter ?? 5, input.suspectAfter ?? 3),
    lastSeenAt: input.at,
    beats: 0,
    knowsCapabilities: false,
  }),
  invoke: { src: 'ticker', input: ({ context }) => ({ intervalMs: context.intervalMs }) },
  initial: 'joining',
  states: {
    joining: {
      entry: { type: 'report', params: ({ context }) => ({ node: context.node, state: 'joining' as const }) },
      on: {
        'peer.beat': [{ guard: 'known', actions: 'heard', target: 'alive' }, { actions: 'heard' }],
        'peer.capabilities': { actions: 'heard', target: 'alive' },
        'peer.tick': [
          { guard: 'dead', target: 'dead' },
          { guard: 'suspect', target: 'suspect' },
        ],
      },
    },
    alive: {
      tags: ['alive'],
      entry: { type: 'report', params: ({ context }) => ({ node: context.node, state: 'alive' as const }) },
      on: {
        'peer.beat': { actions: 'heard' },
        'peer.capabilities': { actions: 'heard' },
        'peer.tick': [
          { guard: 'dead', target: 'dead' },
          { guard: 'suspect', target: 'suspect' },
        ],
      },
    },
    suspect: {
      entry: { type: 'report', params: ({ context }) => ({ node: context.node, state: 'suspect' as const }) },
      on: {
        'peer.beat': [
          { guard: 'known', actions: 'heard', target: 'alive' },
          { actions: 'heard', target: 'joining' },
        ],
        'peer.capabilities': { actions: 'heard', target: 'alive' },
        'peer.tick': { guard: 'dead', target: 'dead' },
      },
    },
    dead: {
      type: 'final',
      entry: { type: 'report', params: ({ context }) => ({ node: context.node, state: 'dead' as const }) },
    },
  },
  output: ({ context }) => ({ node: context.node, state: 'dead' as const }),
});
