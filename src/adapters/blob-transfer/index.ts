/**
 * The blob transfer port (issue 15): how the CAS replicator moves a blob from a holder to this
 * node, without caring over what. On NATS, chunked request/reply (nats.ts, here); on libp2p, a
 * stream per blob (`/bzzz/blob/1.0.0`, `Libp2pBlobTransfer` in `src/adapters/p2p/`, which
 * alone may touch libp2p and builds on the wire format and errors of this folder). Both serve
 * this node's store while they run and hand back untrusted bytes that the caller verifies
 * with `putVerified`.
 */
import type { NatsConnector } from '../nats/index.js';
import { NatsBlobTransfer } from './nats.js';
import type { BlobTransfer, BlobTransferComponents, BlobTransferInit } from './types.js';

export type * from './types.js';
export { DEFAULT_MAX_BLOB_BYTES, DEFAULT_TRANSFER_TIMEOUT_MS } from './types.js';
export { BlobTransferError, type BlobTransferFailure } from './errors.js';
export { NATS_CHUNK_BYTES } from './nats.js';
export {
  blobHeaderSchema,
  blobRequestSchema,
  decodeJson,
  encodeJson,
  errorOf,
  type BlobHeader,
  type BlobRequest,
} from './wire.js';

/** The transfer over the node's NATS connection. */
export function createNatsBlobTransfer(
  init: BlobTransferInit,
  components: BlobTransferComponents & { connector: NatsConnector },
): BlobTransfer {
  return new NatsBlobTransfer(init, components);
}
