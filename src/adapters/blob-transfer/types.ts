/**
 * The blob transfer port's interface and options, apart from the factories in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Logger } from '../../lib/log.js';
import type { BlobStream, ContentStore } from '../cas/index.js';

/** A blob as a holder sends it: its size first, then its bytes (not yet verified). */
export interface FetchedBlob {
  size: number;
  bytes: BlobStream;
}

/**
 * Moves blobs between nodes: serves this node's blobs to its peers while it runs, and fetches
 * a blob from a named holder. The bytes it returns are untrusted: the caller stores them with
 * `putVerified`, which checks them against the hash.
 */
export interface BlobTransfer {
  /** `libp2p` (a stream per blob) or `nats` (chunked request/reply). */
  readonly kind: 'libp2p' | 'nats';
  /** Starts serving. Safe to call twice. */
  start(): Promise<void>;
  /** Stops serving; fetches in progress end with an error. Safe to call twice. */
  stop(): Promise<void>;
  /** Fetches `hash` from `holder` (a node id); `BlobTransferError` when it cannot. */
  fetch(holder: string, hash: string, signal?: AbortSignal): Promise<FetchedBlob>;
  /** Tells the network this node holds `hash` (a DHT provider record on libp2p; nothing on NATS). */
  provide(hash: string): Promise<void>;
}

/** Options shared by every transfer. */
export interface BlobTransferInit {
  cluster: string;
  /** This node's id. */
  nodeId: string;
  /** Most bytes of one blob this node fetches (default 1 GiB). */
  maxBlobBytes?: number;
  /** Longest wait for any one answer or chunk, ms (default 30 s). */
  timeoutMs?: number;
}

/** Injected parts: the store it serves from, and a logger. */
export interface BlobTransferComponents {
  store: Pick<ContentStore, 'read' | 'get' | 'stat'>;
  logger: Logger;
}

export const DEFAULT_MAX_BLOB_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_TRANSFER_TIMEOUT_MS = 30_000;
