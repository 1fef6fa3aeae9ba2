/**
 * The P2P port: a node's libp2p node (TCP, noise, yamux, identify, ping, kad-dht, gossipsub,
 * bootstrap, mDNS, and a private network with a swarm key) as a resource, and a bus on it whose
 * trust boundary is the one every bus shares (`src/adapters/bus/envelope-bus.ts`).
 *
 * The node runs as a supervised child (`P2PNode.open()` or `start`/`stop`); the bus follows it.
 * libp2p types stay inside this folder: others see node ids, multiaddr strings and peer lists.
 */
export type { P2PComponents, P2PInit, PeerInfo } from './types.js';
export { P2PNode } from './node.js';
export { createLibp2pBus, type Libp2pBus, type Libp2pBusComponents } from './bus.js';
export {
  DEFAULT_LISTEN,
  parseBootstrapAddresses,
  parseListenAddresses,
  splitAddressList,
} from './addresses.js';
export { generateSwarmKey, parseSwarmKey } from './swarm-key.js';
export { InvalidMultiaddrError, P2PStartError, SwarmKeyError } from './errors.js';
export { PEER_SCORE_THRESHOLDS } from './scoring.js';
export { Libp2pBlobTransfer } from './blob-transfer.js';
export {
  blobCid,
  blobCidString,
  blobProviderKey,
  BLAKE3_MULTIHASH,
  RAW_CODEC,
  SHA2_256_MULTIHASH,
} from './blob-cid.js';
