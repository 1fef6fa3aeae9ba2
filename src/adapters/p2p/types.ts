/**
 * The P2P port's types: the options of a node (`P2PInit`), what it gets injected
 * (`P2PComponents`), what it tells about its peers, and how the bus transport follows the
 * libp2p node a `P2PNode` runs. libp2p types appear only in {@link P2PNodeListener}, which the
 * transport of this folder uses; nothing outside `src/adapters/p2p/` needs them.
 */
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2';
import type { GossipSub } from '@libp2p/gossipsub';
import type { Identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import type { KadDHT } from '@libp2p/kad-dht';
import type { Ping } from '@libp2p/ping';
import type { Logger } from '../../lib/log.js';
import type { Identity } from '../../protocol/index.js';
import type { NatService, Reachability } from './nat.js';

/** Options of a libp2p node (SPEC §5: `BZZZ_P2P_*`). */
export interface P2PInit {
  /** The node's identity: its libp2p peer id is its node id. */
  identity: Identity;
  /** Multiaddrs to listen on (default `/ip4/0.0.0.0/tcp/9100`). */
  listen?: readonly string[];
  /** Multiaddrs ending in `/p2p/<peer id>` dialled at start and kept in the routing table. */
  bootstrap?: readonly string[];
  /**
   * Relay nodes (multiaddrs ending in `/p2p/<peer id>`) this node keeps a reservation on, so
   * that nodes which cannot dial it directly (it is behind a NAT) reach it through them.
   * Absent or empty: a relay found among its peers (every bzzz node offers the service).
   */
  relay?: readonly string[];
  /**
   * Addresses others can dial this node on besides those it listens on: a public address, or
   * a port its NAT forwards to it. DCUtR turns a relayed connection into a direct one by them.
   */
  announce?: readonly string[];
  /** Find peers on the LAN by multicast DNS (default true). */
  mdns?: boolean;
  /**
   * A swarm key file's content (`/key/swarm/psk/1.0.0/`): only nodes holding the same key can
   * connect. Absent: an open network.
   */
  psk?: string | Uint8Array;
  /** Most bytes of one gossipsub message or actor frame (default: an envelope's limit + 4 KiB). */
  maxMessageBytes?: number;
}

/** Injected parts of a node. */
export interface P2PComponents {
  logger: Logger;
}

/** One connected peer, as `bzzz p2p peers` prints it. */
export interface PeerInfo {
  /** The peer id string (a node id for a bzzz node). */
  id: string;
  /** Addresses of the open connections to it, and those it told us through identify. */
  addresses: string[];
  /** Protocols it speaks (from identify), sorted. */
  protocols: string[];
  /** `direct` when one open connection to it is, `relayed` when all go through a relay. */
  connection: 'direct' | 'relayed';
}

/** One open connection, as a test or an operator asks about it. */
export interface ConnectionInfo {
  /** The peer's address on this connection (with `/p2p-circuit` when relayed). */
  address: string;
  direction: 'inbound' | 'outbound';
  /** True when the connection goes through a relay. */
  relayed: boolean;
}

/** What a node knows of its own reachability (see `nat.ts`). */
export interface NatStatus {
  reachability: Reachability;
  /** Peer ids of the relays it holds a reservation on. */
  relays: string[];
}

/**
 * The services every bzzz libp2p node runs (a type, not an interface: libp2p's `ServiceMap`
 * constraint needs the implicit index signature only type literals have).
 */
export type P2PServices = {
  identify: Identify;
  relay: CircuitRelayService;
  autonat: unknown;
  dcutr: unknown;
  nat: NatService;
  ping: Ping;
  dht: KadDHT;
  pubsub: GossipSub;
};

/** A running libp2p node with bzzz's services (inside this folder only). */
export type Libp2pNode = Libp2p<P2PServices>;

/** Told when the node's libp2p instance starts, and before it stops. */
export interface P2PNodeListener {
  attach(node: Libp2pNode): Promise<void>;
  /** Called before the libp2p node stops: drain what is pending on it. */
  detach(node: Libp2pNode): Promise<void>;
}
