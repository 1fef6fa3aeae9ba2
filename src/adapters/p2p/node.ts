/**
 * A bzzz node's libp2p node as a resource. Its identity is the node's Ed25519 key, so its peer
 * id string is the node id (`src/protocol/node-id.ts` derives the id the way libp2p does; the
 * start checks that both agree). `start()` and `stop()` are safe to call twice; each start
 * makes a fresh libp2p instance, so a supervisor may start a stopped node again. Users on top
 * (the bus transport) follow it: attached once libp2p runs, detached (and drained) before it
 * stops.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import type { SingleKadDHT } from '@libp2p/kad-dht';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import { libp2pRawPrivateKey, MAX_ENVELOPE_BYTES } from '../../protocol/index.js';
import { P2PStartError } from './errors.js';
import { parseRelayAddresses } from './addresses.js';
import { relayedConnection } from './nat.js';
import { describePeers, natStatusOf } from './peer-info.js';
import { libp2pOptions } from './options.js';
import { RelayKeeper } from './relay-keeper.js';
import { PEER_SCORE_THRESHOLDS } from './scoring.js';
import type {
  ConnectionInfo,
  Libp2pNode,
  NatStatus,
  P2PComponents,
  P2PInit,
  P2PNodeListener,
  PeerInfo,
} from './types.js';

/** Room for the frame around an envelope (task key, actor path). */
const FRAME_OVERHEAD = 4 * 1024;
/**
 * Peers a node dials by itself when it discovers them (mDNS, the DHT): a bzzz cluster has 3
 * to 50 nodes, so each keeps a direct connection to every other, up to this many.
 */
const AUTO_DIAL_PEERS = 64;
/** libp2p errors of a start that another attempt with the same configuration cannot fix. */
const UNLISTENABLE: ReadonlySet<string> = new Set([
  'UnsupportedListenAddressesError',
  'NoValidAddressesError',
]);

/** A libp2p node with bzzz's transports, discovery, DHT and gossipsub. */
export class P2PNode {
  /** The node id, which is this node's libp2p peer id. */
  readonly nodeId: string;
  /** Most bytes of one gossipsub message or actor frame. */
  readonly maxMessageBytes: number;
  readonly #init: P2PInit;
  readonly #logger: Logger;
  readonly #listeners = new Set<P2PNodeListener>();
  #node: Libp2pNode | undefined;
  #relays: RelayKeeper | undefined;
  /** The start or stop under way; the next one waits for it. */
  #transition: Promise<void> = Promise.resolve();

  constructor(init: P2PInit, components: P2PComponents) {
    this.#init = init;
    this.#logger = components.logger.child({ component: 'p2p' });
    this.nodeId = init.identity.nodeId;
    this.maxMessageBytes = init.maxMessageBytes ?? MAX_ENVELOPE_BYTES + FRAME_OVERHEAD;
    // check addresses and the swarm key now: a bad one is a configuration error, not a crash loop
    libp2pOptions(init, privateKeyFromRaw(libp2pRawPrivateKey(init.identity)), this.maxMessageBytes);
  }

  /** True while libp2p runs. */
  get running(): boolean {
    return this.#node !== undefined;
  }

  /** Starts libp2p (listening, discovery, DHT, gossipsub); resolves once it runs. */
  start(): Promise<void> {
    // a failed start or stop before does not fail this one
    this.#transition = this.#transition.catch(() => undefined).then(() => this.#start());
    return this.#transition;
  }

  /** Detaches (drains) every user, then stops libp2p. Safe to call twice. */
  stop(): Promise<void> {
    this.#transition = this.#transition.catch(() => undefined).then(() => this.#stop());
    return this.#transition;
  }

  /** Starts the node and returns it as a supervised resource. */
  async open(): Promise<Resource> {
    await this.start();
    return { stop: () => this.stop() };
  }

  /** Attaches `listener` to the running node now and to every later start. */
  follow(listener: P2PNodeListener): () => void {
    this.#listeners.add(listener);
    const node = this.#node;
    if (node !== undefined) {
      listener.attach(node).catch((error: unknown) => {
        this.#logger.warn({ err: describeError(error) }, 'p2p user failed to attach');
      });
    }
    return () => this.#listeners.delete(listener);
  }

  /** Addresses others can dial this node on, each ending in `/p2p/<node id>`. */
  addresses(): string[] {
    return this.#node?.getMultiaddrs().map((address) => address.toString()) ?? [];
  }

  /** Peers with an open connection now. */
  peerCount(): number {
    return this.#node?.getPeers().length ?? 0;
  }

  /** Peers in the DHT's routing table. */
  routingTableSize(): number {
    const dht = this.#node?.services.dht as SingleKadDHT | undefined;
    return dht?.routingTable.size ?? 0;
  }

  /** Connected peers with their addresses and protocols. */
  async peers(): Promise<PeerInfo[]> {
    return this.#node === undefined ? [] : describePeers(this.#node);
  }

  /**
   * Dials a multiaddr (ending in `/p2p/<peer id>`, or `<relay>/p2p-circuit/p2p/<peer id>`
   * through a relay) and waits for the connection. An open direct connection to the peer is
   * reused; a relayed one is reused only when the address is relayed too.
   */
  async dial(address: string, timeoutMs = 30_000): Promise<void> {
    const node = this.#node;
    if (node === undefined) throw new P2PStartError('the p2p node is not running');
    await node.dial(multiaddr(address), { signal: AbortSignal.timeout(timeoutMs) });
  }

  /** Closes every connection to a peer. */
  async hangUp(peerId: string): Promise<void> {
    await this.#node?.hangUp(peerIdFromString(peerId));
  }

  /** The open connections to a peer: address, direction, and whether through a relay. */
  connections(peerId: string): ConnectionInfo[] {
    const node = this.#node;
    if (node === undefined) return [];
    return node
      .getConnections(peerIdFromString(peerId))
      .filter((c) => c.status === 'open')
      .map((c) => ({
        address: c.remoteAddr.toString(),
        direction: c.direction,
        relayed: relayedConnection(c),
      }));
  }

  /** Whether others can dial this node (AutoNAT), and the relays it holds a slot on. */
  natStatus(): NatStatus {
    return this.#node === undefined ? { reachability: 'unknown', relays: [] } : natStatusOf(this.#node);
  }

  /** Round-trip time to a peer in ms (libp2p ping); dials it when not connected. */
  async ping(peerId: string): Promise<number> {
    const node = this.#node;
    if (node === undefined) throw new P2PStartError('the p2p node is not running');
    return node.services.ping.ping(peerIdFromString(peerId), { signal: AbortSignal.timeout(10_000) });
  }

  /** The gossipsub score this node gives `peerId` (0 for a peer it does not know). */
  peerScore(peerId: string): number {
    const pubsub = this.#node?.services.pubsub as { getScore(id: string): number } | undefined;
    return pubsub?.getScore(peerId) ?? 0;
  }

  /**
   * Invalid messages (gossipsub's P4 counter, decayed, over every topic) this node holds against
   * `peerId` now; unlike the score it is never cached.
   */
  invalidMessages(peerId: string): number {
    const pubsub = this.#node?.services.pubsub as
      | {
          dumpPeerScoreStats(): Record<
            string,
            { topics: Record<string, { invalidMessageDeliveries: number }> }
          >;
        }
      | undefined;
    const stats = pubsub?.dumpPeerScoreStats()[peerId];
    if (stats === undefined) return 0;
    return Object.values(stats.topics).reduce((sum, topic) => sum + topic.invalidMessageDeliveries, 0);
  }

  /** True when this node ignores every gossipsub RPC of `peerId` (its score is that low). */
  graylisted(peerId: string): boolean {
    return this.peerScore(peerId) < PEER_SCORE_THRESHOLDS.graylistThreshold;
  }

  /** Peers this node knows to be subscribed to a gossipsub topic. */
  topicPeers(topic: string): string[] {
    return this.#node?.services.pubsub.getSubscribers(topic).map((peer) => peer.toString()) ?? [];
  }

  /** Peers in this node's gossipsub mesh for `topic` (a pruned peer is not among them). */
  meshPeers(topic: string): string[] {
    const pubsub = this.#node?.services.pubsub as { getMeshPeers(topic: string): string[] } | undefined;
    return pubsub?.getMeshPeers(topic).map(String) ?? [];
  }

  /** True when `id` is a connected peer. */
  connectedTo(id: string): boolean {
    return this.#node?.getConnections(peerIdFromString(id)).some((c) => c.status === 'open') ?? false;
  }

  async #start(): Promise<void> {
    if (this.#node !== undefined) return;
    const privateKey = privateKeyFromRaw(libp2pRawPrivateKey(this.#init.identity));
    let node: Libp2pNode | undefined;
    try {
      node = await createLibp2p(libp2pOptions(this.#init, privateKey, this.maxMessageBytes));
      const running = node;
      // libp2p only records what discovery finds; connecting is ours to do
      node.addEventListener('peer:discovery', (event) => this.#discovered(running, event.detail.id));
      await node.start();
    } catch (error) {
      try {
        await node?.stop();
      } catch {
        // it never ran; what it opened is closed as far as it can be
      }
      throw new P2PStartError(`the p2p node could not start: ${describeError(error)}`, {
        cause: error,
        // an address in use or not ours to listen on stays so until the configuration changes
        retryable: !UNLISTENABLE.has((error as { name?: unknown }).name as string),
      });
    }
    if (node.peerId.toString() !== this.nodeId) {
      await node.stop();
      throw new P2PStartError(`libp2p peer id ${node.peerId.toString()} is not the node id ${this.nodeId}`, {
        retryable: false,
      });
    }
    this.#node = node;
    this.#relays = new RelayKeeper(node, parseRelayAddresses(this.#init.relay ?? []), this.#logger);
    this.#relays.start();
    this.#logger.info({ addresses: this.addresses() }, 'p2p node listening');
    for (const listener of this.#listeners) {
      try {
        await listener.attach(node);
      } catch (error) {
        this.#logger.warn({ err: describeError(error) }, 'p2p user failed to attach');
      }
    }
  }

  #discovered(node: Libp2pNode, peer: PeerId): void {
    if (this.#node !== node || node.getConnections(peer).length > 0) return;
    if (node.getPeers().length >= AUTO_DIAL_PEERS) return;
    node.dial(peer).catch((error: unknown) => {
      this.#logger.debug(
        { peer: peer.toString(), err: describeError(error) },
        'could not dial a discovered peer',
      );
    });
  }

  async #stop(): Promise<void> {
    const node = this.#node;
    if (node === undefined) return;
    this.#relays?.stop();
    this.#relays = undefined;
    for (const listener of this.#listeners) {
      try {
        await listener.detach(node);
      } catch (error) {
        this.#logger.warn({ err: describeError(error) }, 'p2p user failed to drain');
      }
    }
    this.#node = undefined;
    await node.stop();
  }
}
