/**
 * The membership's listener: parses the availability and capability broadcasts of the
 * coordination topic where they enter, feeds the read model, and keeps one peer actor per
 * other node ({@link PeerRoster}), starting it the first time the node is heard of and
 * forwarding every later broadcast of that node to it as a beat.
 */
import { fromCallback } from 'xstate';
import type { PeerEvent, PeerState } from '../machines/peer.js';
import { peerCounts } from './peers-view.js';
import {
  availabilityBroadcastSchema,
  capabilityBroadcastSchema,
  type AvailabilityBroadcast,
  type CapabilityBroadcast,
  type NodeId,
} from '../protocol/index.js';
import { TOPICS } from '../protocol/topics.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { describeError } from '../lib/errors.js';
import type { MailboxMessage } from './message.js';
import { ANNOUNCE, peerSpec, type MembershipOptions } from './peer.js';
import { xstateChild } from './xstate-child.js';

/** A broadcast the listener takes, parsed. */
type ListenerEvent =
  | { type: 'membership.availability'; data: AvailabilityBroadcast }
  | { type: 'membership.capabilities'; data: CapabilityBroadcast };

/** Parses the two broadcasts the listener uses; every other message of the topic is not for it. */
function acceptBroadcast(message: MailboxMessage): ListenerEvent | null | undefined {
  if (message.type === 'availability_broadcast') {
    const parsed = availabilityBroadcastSchema.safeParse(message.data);
    return parsed.success ? { type: 'membership.availability', data: parsed.data } : undefined;
  }
  if (message.type === 'capability_broadcast') {
    const parsed = capabilityBroadcastSchema.safeParse(message.data);
    return parsed.success ? { type: 'membership.capabilities', data: parsed.data } : undefined;
  }
  return null;
}

/** The peer actors the listener knows of; messages for one wait here while it starts. */
class PeerRoster {
  readonly #known = new Map<NodeId, PeerEvent[] | 'running'>();
  readonly #peersPath: string;

  constructor(
    private readonly ctx: StartContext,
    private readonly options: MembershipOptions,
    private readonly peers: () => Supervisor | undefined,
  ) {
    this.#peersPath = ctx.path.slice(0, ctx.path.lastIndexOf('/') + 1) + 'peers';
  }

  reportGauge(): void {
    this.options.gauge?.(peerCounts(this.options.view));
  }

  deliver(node: NodeId, event: PeerEvent): void {
    const { system } = this.ctx;
    const entry = this.#known.get(node);
    if (entry === 'running') {
      system.send(`${this.#peersPath}/${node}`, event);
      return;
    }
    if (entry !== undefined) {
      entry.push(event);
      return;
    }
    const supervisor = this.peers();
    if (supervisor === undefined) return;
    // A listener restarted under running peer actors: adopt them.
    if (supervisor.whichChildren().some((c) => c.id === node && c.state === 'running')) {
      this.#known.set(node, 'running');
      system.send(`${this.#peersPath}/${node}`, event);
      return;
    }
    this.#start(supervisor, node, event);
  }

  #start(supervisor: Supervisor, node: NodeId, first: PeerEvent): void {
    const { system, clock, logger } = this.ctx;
    const waiting: PeerEvent[] = [first];
    this.#known.set(node, waiting);
    this.options.view.trigger.state({ node, state: 'joining' });
    this.reportGauge();
    if (this.options.broadcasterPath !== undefined)
      system.send(this.options.broadcasterPath, { type: ANNOUNCE });
    supervisor.startChild(peerSpec(node, clock.now(), this.options, this.#onState(node))).then(
      () => {
        if (this.#known.get(node) !== waiting) return;
        this.#known.set(node, 'running');
        for (const queued of waiting) system.send(`${this.#peersPath}/${node}`, queued);
      },
      (error: unknown) => {
        if (this.#known.get(node) === waiting) this.#known.delete(node);
        logger.warn({ node, err: describeError(error) }, 'cannot start a peer actor');
      },
    );
  }

  #onState(node: NodeId) {
    return (state: PeerState): void => {
      this.options.view.trigger.state({ node, state });
      if (state === 'dead') this.#known.delete(node);
      this.reportGauge();
    };
  }
}

/** The listener child of the membership subtree. */
export function listenerSpec(options: MembershipOptions, peers: () => Supervisor | undefined): ChildSpec {
  const { view, self } = options;
  const retentionMs = options.deadRetentionMs ?? 5 * 60_000;
  return xstateChild('listener', {
    logic: (ctx) => {
      const roster = new PeerRoster(ctx, options, peers);
      const receive = (event: ListenerEvent): void => {
        const now = ctx.clock.now();
        if (event.type === 'membership.availability') {
          view.trigger.availability({ data: event.data });
          view.trigger.pruned({ before: now - retentionMs });
          if (event.data.node !== self.id) roster.deliver(event.data.node, { type: 'peer.beat', at: now });
        } else {
          view.trigger.capabilities({ data: event.data });
          if (event.data.node !== self.id)
            roster.deliver(event.data.node, { type: 'peer.capabilities', at: now });
        }
      };
      view.trigger.self({ id: self.id, name: self.name });
      roster.reportGauge();
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      return fromCallback<ListenerEvent>(({ receive: onEvent }) => {
        onEvent(receive);
        return () => ctx.system.unsubscribe(TOPICS.coordination, ctx.path);
      });
    },
    accept: acceptBroadcast,
  });
}
