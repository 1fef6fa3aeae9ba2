/**
 * The blob transfer port (issue 15): how the CAS replicator moves a blob from a holder to this
 * node, without caring over what. On libp2p a stream per blob (`/bzzz/blob/1.0.0`,
 * libp2p.ts), on NATS chunked request/reply (nats.ts); both serve this node's store while they
 * run and hand back untrusted bytes that the caller verifies with `putVerified`. On libp2p a
 * node also publishes DHT provider records for the blobs it holds (cid.ts).
 */
import type { NatsConnector } from '../nats/index.js';
import type { P2PNode } from '../p2p/index.js';
import { Libp2pBlobTransfer } from './libp2p.js';
import { NatsBlobTransfer } from './nats.js';
import type { BlobTransfer, BlobTransferComponents, BlobTransferInit } from './types.js';

export type * from './types.js';
export { DEFAULT_MAX_BLOB_BYTES, DEFAULT_TRANSFER_TIMEOUT_MS } from './types.js';
export { BlobTransferError, type BlobTransferFailure } from './errors.js';
export { blobCidString, BLAKE3_MULTIHASH, RAW_CODEC, SHA2_256_MULTIHASH } from './cid.js';
export { NATS_CHUNK_BYTES } from './nats.js';

/** The medium a transfer runs on: the node's NATS connection or its libp2p node. */
export type BlobTransferMedium =
  { kind: 'nats'; connector: NatsConnector } | { kind: 'libp2p'; p2p: P2PNode };

/** The transfer for the node's medium. */
export function createBlobTransfer(
  init: BlobTransferInit,
  components: BlobTransferComponents,
  medium: BlobTransferMedium,
): BlobTransfer {
  return medium.kind === 'nats'
    ? new NatsBlobTransfer(init, { ...components, connector: medium.connector })
    : new Libp2pBlobTransfer(init, { ...components, p2p: medium.p2p });
}
