/**
 * One peer actor per other node (`peerMachine` on the injected clock), started by the
 * membership's listener, and the options the membership subtree shares with it.
 */
import { fromCallback } from 'xstate';
import { peerMachine, type PeerEvent, type PeerState } from '../machines/peer.js';
import type { PeersView } from './peers-view.js';
import type { NodeId } from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { Clock } from '../lib/clock.js';
import { xstateChild } from './xstate-child.js';

/** Message the broadcaster takes: announce capabilities again (a new peer appeared). */
export const ANNOUNCE = 'broadcaster.announce';

export interface MembershipOptions {
  self: { id: NodeId; name: string };
  view: PeersView;
  /** Beat interval of the cluster (default 1000 ms). */
  intervalMs?: number;
  suspectAfter?: number;
  deadAfter?: number;
  /** How long a dead node stays listed (default 5 minutes). */
  deadRetentionMs?: number;
  /** Called with the count of peers by state after every change (`bzzz_peers{state}`). */
  gauge?: (counts: Record<PeerState, number>) => void;
  /** Path of the broadcaster, told when a new peer appears. */
  broadcasterPath?: string;
}

/** A peer actor; ticks at half the beat interval so death is noticed within half a beat. */
export function peerSpec(
  node: NodeId,
  at: number,
  options: MembershipOptions,
  onState: (state: PeerState) => void,
): ChildSpec {
  const intervalMs = options.intervalMs ?? 1000;
  return xstateChild(node, {
    restart: 'transient',
    shutdown: 1000,
    accept: (message) => (isPeerEvent(message) ? message : undefined),
    logic: (ctx) =>
      peerMachine.provide({
        actors: { ticker: clockTicker(ctx.clock, Math.max(1, Math.floor(intervalMs / 2))) },
        actions: { report: (_, params) => onState(params.state) },
      }),
    input: () => ({
      node,
      at,
      intervalMs,
      ...(options.suspectAfter === undefined ? {} : { suspectAfter: options.suspectAfter }),
      ...(options.deadAfter === undefined ? {} : { deadAfter: options.deadAfter }),
    }),
  });
}

/** A peer event sent by the listener (`peer.beat`, `peer.capabilities`) or a tick. */
function isPeerEvent(message: { type: string }): message is PeerEvent {
  return (
    (message.type === 'peer.beat' || message.type === 'peer.capabilities' || message.type === 'peer.tick') &&
    typeof (message as { at?: unknown }).at === 'number'
  );
}

/** The `ticker` effect of the peer machine on an injected clock. */
export function clockTicker(clock: Clock, everyMs: number) {
  return fromCallback<PeerEvent, { intervalMs: number }>(({ sendBack }) => {
    let stopped = false;
    let timer = clock.setTimeout(function tick() {
      sendBack({ type: 'peer.tick', at: clock.now() });
      // the tick may have ended the peer (dead), which stopped this ticker already
      if (!stopped) timer = clock.setTimeout(tick, everyMs);
    }, everyMs);
    return () => {
      stopped = true;
      clock.clearTimeout(timer);
    };
  });
}
