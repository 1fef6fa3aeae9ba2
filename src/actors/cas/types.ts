/**
 * The CAS replicator's types: what it announces and hears, how it reads membership, what it
 * counts, its options and injected parts, and the replication state it shows.
 */
import type { BlobTransfer } from '../../adapters/blob-transfer/index.js';
import type { BlobHash, ContentStore } from '../../adapters/cas/index.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** A blob a node holds, as `blob_announce` says it. */
export interface BlobHeld {
  hash: BlobHash;
  size: number;
}

/** The coordination channel as the replicator uses it. */
export interface BlobAnnouncer {
  publish(blob: BlobHeld): void;
  /** `from` is the announcing node (the envelope's signed sender). */
  subscribe(handler: (from: string, blob: BlobHeld) => void): () => void;
}

/** Membership as the replicator reads it: each known node's state. */
export interface ReplicaMembership {
  /** Node id → `joining`, `alive`, `suspect` or `dead`; this node may be missing. */
  states(): ReadonlyMap<string, string>;
  subscribe(listener: () => void): () => void;
}

/** Counters of the replicator, each optional. */
export interface ReplicatorMetrics {
  /** A blob fetched to place it (`ok`) or not fetched from any holder (`failed`). */
  replicated?: (outcome: 'ok' | 'failed') => void;
  /** The same for a blob that lost a holder (the store counts its repair hook's own). */
  repaired?: (outcome: 'ok' | 'failed') => void;
  /** A holder sent bytes that do not hash to the blob. */
  badCopy?: () => void;
}

export interface ReplicatorInit {
  nodeId: string;
  /** Live nodes each pinned blob is kept on (`BZZZ_CAS_REPLICAS`, default 3). */
  replicas?: number;
  /** Every this many ms each held blob is announced again (default 30 s). */
  reannounceMs?: number;
  /** Fetches at once (default 4). */
  concurrency?: number;
}

export interface ReplicatorComponents {
  store: ContentStore;
  transfer: Pick<BlobTransfer, 'fetch' | 'provide'>;
  announcer: BlobAnnouncer;
  membership: ReplicaMembership;
  clock: Clock;
  logger: Logger;
  metrics?: ReplicatorMetrics;
}

/** `GET /api/v1/cas/<hash>`: a blob's replication state on this node. */
export interface BlobReplicaState {
  hash: BlobHash;
  size: number | null;
  /** Whether this node holds it pinned. */
  pinned: boolean;
  /** Live nodes known to hold it. */
  holders: string[];
  /** Copies wanted: the factor, or every live node when there are fewer. */
  wanted: number;
  /** The nodes placement picks for it now. */
  placement: string[];
}
