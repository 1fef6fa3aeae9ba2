/**
 * The libp2p bus: envelopes over the node's libp2p node (gossipsub topics and actor streams).
 *
 * `createLibp2pBus` returns the bus at once (actors can subscribe before the network is up);
 * the transport follows the {@link P2PNode}, so each time the node starts (the first time, and
 * again after its supervisor restarted it) the transport joins its topics and serves the actor
 * protocol on it. Until then `bus.connected()` is false. The node, not the bus, is the
 * supervised child; closing the bus leaves the node running.
 */
import { EnvelopeBus, type Bus, type BusComponents, type BusInit } from '../bus/index.js';
import type { P2PNode } from './node.js';
import { Libp2pTransport } from './transport.js';

/** What a libp2p bus gets injected: the node besides clock, logger and counter. */
export interface Libp2pBusComponents extends BusComponents {
  node: P2PNode;
}

/** A bus on a libp2p node. */
export interface Libp2pBus {
  readonly bus: Bus & { readonly subscriptionCount: number };
  /** Messages the transport handed to the bus so far, accepted or not (tests wait on it). */
  received(): number;
  /** Gossipsub topics the transport is joined to. */
  topics(): string[];
  /** Outbound actor streams kept open, one per peer written to (tests: none piles up). */
  actorLines(): number;
}

/** Creates the bus on `components.node`; it carries messages once the node runs. */
export function createLibp2pBus(init: BusInit, components: Libp2pBusComponents): Libp2pBus {
  const { node } = components;
  const transport = new Libp2pTransport({
    cluster: init.cluster,
    nodeId: init.nodeId,
    maxMessageBytes: node.maxMessageBytes,
    clock: components.clock,
    logger: components.logger.child({ component: 'libp2p-bus' }),
    ...(components.rejected === undefined ? {} : { rejected: components.rejected }),
  });
  const unfollow = node.follow(transport);
  transport.onStatus((status) => {
    if (status === 'closed') unfollow();
  });
  return {
    bus: new EnvelopeBus(transport, init, components),
    received: () => transport.received,
    topics: () => transport.topics(),
    actorLines: () => transport.actorLines,
  };
}
