/**
 * The membership subtree: one peer actor per known node, fed by the cluster's broadcasts.
 *
 * ```
 * membership (rest_for_one)
 * ├── peers (dynamic): <node id> … one `peerMachine` actor per other node
 * └── listener: availability and capability broadcasts on the coordination topic
 * ```
 * The listener starts a peer actor the first time it hears of a node and forwards every later
 * broadcast of that node to it as a beat. Peer actors tick on the injected clock; a peer that
 * misses 3 beats is suspect, 5 beats dead: its actor ends (transient, so the dynamic
 * supervisor forgets it) and the node stays listed as dead in the read model for a while.
 * Each state change goes to the read model ({@link PeersView}) and the `bzzz_peers{state}`
 * gauge. Hearing of a new node asks the broadcaster to announce this node's capabilities
 * again, so a node that joins late learns about the ones already there.
 */
import { fromCallback, type AnyEventObject } from 'xstate';
import { PEER_STATES, peerMachine, type PeerEvent, type PeerState } from '../machines/peer.js';
import { createPeersView, peerCounts, type PeersView } from './peers-view.js';
import { availabilityBroadcastSchema, capabilityBroadcastSchema, type NodeId } from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import { supervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { MailboxMessage } from './message.js';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from './xstate-child.js';

export { createPeersView, PEER_STATES, type PeersView, type PeerState };

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

/** The membership subtree. */
export function membershipSpec(options: MembershipOptions, id = 'membership'): ChildSpec {
  let peers: Supervisor | undefined;
  return supervisorSpec(id, {
    strategy: 'rest_for_one',
    children: [
      supervisorSpec('peers', { strategy: 'dynamic' }, { onStarted: (s) => (peers = s) }),
      listenerSpec(options, () => peers),
    ],
  });
}

function listenerSpec(options: MembershipOptions, peers: () => Supervisor | undefined): ChildSpec {
  const { view, self } = options;
  return xstateChild('listener', {
    logic: (ctx) => {
      const { system, clock, logger } = ctx;
      const peersPath = ctx.path.slice(0, ctx.path.lastIndexOf('/') + 1) + 'peers';
      /** Nodes with a live (or starting) peer actor; messages wait here while it starts. */
      const known = new Map<NodeId, PeerEvent[] | 'running'>();
      const retentionMs = options.deadRetentionMs ?? 5 * 60_000;
      const reportGauge = (): void => options.gauge?.(peerCounts(view));

      const onState = (node: NodeId) => (state: PeerState) => {
        view.trigger.state({ node, state });
        if (state === 'dead') known.delete(node);
        reportGauge();
      };

      const deliver = (node: NodeId, event: PeerEvent): void => {
        const entry = known.get(node);
        if (entry === 'running') {
          system.send(`${peersPath}/${node}`, event);
          return;
        }
        if (entry !== undefined) {
          entry.push(event);
          return;
        }
        const supervisor = peers();
        if (supervisor === undefined) return;
        // A listener restarted under running peer actors: adopt them.
        if (supervisor.whichChildren().some((c) => c.id === node && c.state === 'running')) {
          known.set(node, 'running');
          system.send(`${peersPath}/${node}`, event);
          return;
        }
        const waiting: PeerEvent[] = [event];
        known.set(node, waiting);
        view.trigger.state({ node, state: 'joining' });
        reportGauge();
        if (options.broadcasterPath !== undefined) system.send(options.broadcasterPath, { type: ANNOUNCE });
        supervisor.startChild(peerSpec(node, clock.now(), options, onState(node))).then(
          () => {
            if (known.get(node) !== waiting) return;
            known.set(node, 'running');
            for (const queued of waiting) system.send(`${peersPath}/${node}`, queued);
          },
          (error: unknown) => {
            if (known.get(node) === waiting) known.delete(node);
            logger.warn({ node, err: describeError(error) }, 'cannot start a peer actor');
          },
        );
      };

      const receive = (message: MailboxMessage): void => {
        const now = clock.now();
        if (message.type === 'availability_broadcast') {
          const parsed = availabilityBroadcastSchema.safeParse(message.data);
          if (!parsed.success) return;
          view.trigger.availability({ data: parsed.data });
          view.trigger.pruned({ before: now - retentionMs });
          if (parsed.data.node !== self.id) deliver(parsed.data.node, { type: 'peer.beat', at: now });
        } else if (message.type === 'capability_broadcast') {
          const parsed = capabilityBroadcastSchema.safeParse(message.data);
          if (!parsed.success) return;
          view.trigger.capabilities({ data: parsed.data });
          if (parsed.data.node !== self.id) deliver(parsed.data.node, { type: 'peer.capabilities', at: now });
        }
      };

      view.trigger.self({ id: self.id, name: self.name });
      reportGauge();
      system.subscribe(TOPICS.coordination, ctx.path);
      return fromCallback<AnyEventObject>(({ receive: onEvent }) => {
        onEvent((event) => receive(event));
        return () => system.unsubscribe(TOPICS.coordination, ctx.path);
      });
    },
    // every broadcast of the topic: `receive` parses the two it uses by their schemas
    accept: (message) => message,
  });
}

/** The system path of a peer actor under the membership subtree at `membershipPath`. */
export function peerPath(membershipPath: string, node: NodeId): string {
  return `${membershipPath}/peers/${node}`;
}
