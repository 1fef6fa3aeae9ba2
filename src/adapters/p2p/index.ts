/**
 * The P2P port: a node's libp2p node (TCP, noise, yamux, identify, ping, kad-dht, gossipsub,
 * bootstrap, mDNS, a private network with a swarm key, and NAT traversal through relays with
 * AutoNAT and DCUtR) as a resource, a bus on it whose trust boundary is the one every bus
 * shares (`src/adapters/bus/envelope-bus.ts`), and signed bzzz:// name records in the DHT
 * (`NameService`).
 *
 * The node runs as a supervised child (`P2PNode.open()` or `start`/`stop`); the bus follows it.
 * libp2p types stay inside this folder: others see node ids, multiaddr strings and peer lists.
 */
export type { ConnectionInfo, NatStatus, P2PComponents, P2PInit, PeerInfo } from './types.js';
export type { Reachability } from './nat.js';
export { P2PNode } from './node.js';
export { createLibp2pBus, type Libp2pBus, type Libp2pBusComponents } from './bus.js';
export {
  NameService,
  type NameRejectReason,
  type NameSource,
  type NamesComponents,
  type NamesInit,
  type PublishedName,
  type ResolvedName,
} from './names.js';
export {
  DEFAULT_LISTEN,
  parseAnnounceAddresses,
  parseBootstrapAddresses,
  parseListenAddresses,
  parseRelayAddresses,
  splitAddressList,
} from './addresses.js';
export { generateSwarmKey, parseSwarmKey } from './swarm-key.js';
export { InvalidMultiaddrError, NameNotFoundError, P2PStartError, SwarmKeyError } from './errors.js';
export { PEER_SCORE_THRESHOLDS } from './scoring.js';
export { openStatusService, MAX_STATUS_ANSWER_BYTES, type StatusServiceInit } from './status-service.js';
export { requestStatusOverP2P, P2PStatusUnavailableError, type P2PStatusRequest } from './status-client.js';
export { Libp2pBlobTransfer } from './blob-transfer.js';
export {
  blobCid,
  blobCidString,
  blobProviderKey,
  BLAKE3_MULTIHASH,
  RAW_CODEC,
  SHA2_256_MULTIHASH,
} from './blob-cid.js';
export { DhtTaskNames, taskProviderKey, type DhtTaskNamesInit } from './task-names.js';
