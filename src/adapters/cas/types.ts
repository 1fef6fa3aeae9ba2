/**
 * The content store port's interface and its options, apart from the factory in index.ts so
 * that implementations import them without an import cycle. index.ts re-exports every name.
 *
 * A blob is addressed by its BLAKE3-256 hash (64 lowercase hex digits). The store is the
 * truth on one node; the CAS replicator actor keeps blobs on several nodes by calling
 * {@link ContentStore.putVerified} with bytes fetched from a peer, and repairs a corrupt blob
 * through {@link CasComponents.repair}.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** A BLAKE3-256 hash as 64 lowercase hex digits. */
export type BlobHash = string;

/** How a blob's bytes lie on disk. */
export type BlobCompression = 'raw' | 'zstd';

/** What a put accepts: bytes, or a stream of chunks (a Node Readable is an AsyncIterable). */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array>;

/** A blob's entry in the index. */
export interface BlobInfo {
  hash: BlobHash;
  /** Bytes of the blob itself. */
  size: number;
  /** Bytes on disk (smaller than `size` when compressed). */
  storedSize: number;
  compression: BlobCompression;
  /** References from other blobs or records (see {@link ContentStore.addRef}). */
  refs: number;
  pinned: boolean;
  /** When this store first held the blob, ms since the epoch. */
  firstSeen: number;
  /** When the blob was last put, pinned or referenced: gc's grace period counts from here. */
  touchedAt: number;
}

export interface PutResult {
  hash: BlobHash;
  size: number;
  /** False when the store already held the blob (the put only touched it). */
  created: boolean;
}

export interface PutOptions {
  /** Pin the blob in the same step, so no gc can fall between the put and a pin. */
  pin?: boolean;
  /** Told of the bytes read so far (a progress bar). */
  onProgress?(bytes: number): void;
}

/** A stream of a blob's bytes; the last chunk is followed by the hash check. */
export type BlobStream = AsyncIterable<Uint8Array>;

export interface VerifyOptions {
  /** Fetch a good copy of each corrupt or missing blob through the repair hook. */
  repair?: boolean;
  onProgress?(done: number, total: number): void;
}

export interface VerifyReport {
  checked: number;
  /** Hashes whose bytes did not match (now quarantined). */
  corrupt: BlobHash[];
  /** Hashes in the index whose file is gone. */
  missing: BlobHash[];
  /** Corrupt or missing blobs restored through the repair hook. */
  repaired: BlobHash[];
  /** Files under data/ the index did not know, verified and indexed again. */
  adopted: BlobHash[];
}

export interface GcOptions {
  /** Keep unreferenced blobs touched within this many ms (default: the store's `gcGraceMs`). */
  graceMs?: number;
}

export interface GcReport {
  removed: BlobHash[];
  freedBytes: number;
  /** Blobs kept because a pin or a live reference reaches them. */
  live: number;
}

export interface CasStats {
  blobs: number;
  /** Bytes of the blobs themselves. */
  bytes: number;
  storedBytes: number;
}

/** What the store tells its listeners (the replicator announces, the node counts). */
export type CasEvent =
  | { type: 'blob.stored'; hash: BlobHash; size: number }
  | { type: 'blob.deleted'; hash: BlobHash }
  | { type: 'blob.pinned'; hash: BlobHash }
  | { type: 'blob.unpinned'; hash: BlobHash }
  | { type: 'blob.corrupt'; hash: BlobHash; quarantined: string | undefined }
  | { type: 'blob.repaired'; hash: BlobHash }
  | { type: 'blob.repair_failed'; hash: BlobHash; reason: string };

/** `ok`: every part answers. `degraded`: a cache is down or slow; reads go to disk. */
export interface CasHealth {
  status: 'ok' | 'degraded';
  detail?: string;
}

/** A content store on one node. Every read verifies the bytes against their hash. */
export interface ContentStore {
  start(): Promise<void>;
  /** Waits for puts in progress, then closes the index. Safe to call twice. */
  stop(): Promise<void>;
  /** Stores a blob; returns its hash. Idempotent: a blob already held is only touched. */
  put(source: BlobSource, options?: PutOptions): Promise<PutResult>;
  /**
   * Stores a blob fetched from elsewhere only if its bytes hash to `expected`: else
   * `HashMismatchError` and nothing is stored. The replicator's and repair's way in.
   */
  putVerified(expected: BlobHash, source: BlobSource, options?: PutOptions): Promise<PutResult>;
  /** The whole blob, verified. `BlobNotFoundError`, `CorruptBlobError` (repaired if it can). */
  get(hash: BlobHash): Promise<Uint8Array>;
  /**
   * The blob as a stream. The hash is checked as the last chunk passes: a corrupt blob ends
   * the stream with `CorruptBlobError`, so a consumer commits what it read only at the end.
   */
  read(hash: BlobHash): Promise<BlobStream>;
  has(hash: BlobHash): Promise<boolean>;
  stat(hash: BlobHash): Promise<BlobInfo | undefined>;
  /** Removes a blob now, pinned or not (gc is the careful way). True if it was held. */
  delete(hash: BlobHash): Promise<boolean>;
  /** Every blob in hash order, from after `after`. */
  list(options?: { after?: BlobHash; limit?: number }): AsyncIterable<BlobInfo>;
  /** A pin is a root: gc keeps the blob and everything it references. */
  pin(hash: BlobHash): Promise<void>;
  unpin(hash: BlobHash): Promise<void>;
  /**
   * Records that `from` refers to blob `to`. `from` is `blob:<hash>` (kept while that blob is
   * live) or any other name, a record (`task:acme~app:1/log`), which is a root until removed.
   */
  addRef(from: string, to: BlobHash): Promise<void>;
  removeRef(from: string, to: BlobHash): Promise<void>;
  /** Walks the whole store and checks every blob. */
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  /** Removes every blob no root reaches, except those touched within the grace period. */
  gc(options?: GcOptions): Promise<GcReport>;
  stats(): Promise<CasStats>;
  health(): CasHealth;
  /** Listens to the store's events; returns the unsubscribe function. */
  subscribe(listener: (event: CasEvent) => void): () => void;
}

/** Fetches a good copy of a blob from a replica; undefined when no replica has it. */
export type RepairSource = (hash: BlobHash) => Promise<BlobSource | undefined>;

/** Counters the node keeps on /metrics; every method optional. */
export interface CasMetrics {
  corrupt?(): void;
  repaired?(): void;
  repairFailed?(): void;
  cache?(outcome: 'hit' | 'miss' | 'error'): void;
}

export interface CasInit {
  /** Blobs live under `<dataDir>/blobs/`. */
  dataDir: string;
  /** gc keeps unreferenced blobs this long after their last touch (default 1 h). */
  gcGraceMs?: number;
  /** Inputs from this size up hash in the worker pool (default 1 MiB). */
  workerThresholdBytes?: number;
  /** Hash workers (default: CPUs − 1, at least 1). */
  workers?: number;
  /** Redis as a cache in front of the store (never the truth). */
  redisUrl?: string;
  /** Bound of each cache call, ms (default 50). */
  cacheTimeoutMs?: number;
  /** Cached blobs' lifetime in Redis, seconds (default 600). */
  cacheTtlSeconds?: number;
  /** Blobs up to this size are cached (default 64 KiB). */
  cacheMaxBytes?: number;
}

export interface CasComponents {
  logger: Logger;
  clock: Clock;
  /** Where a corrupt or missing blob is fetched from again (the replicator provides it). */
  repair?: RepairSource;
  metrics?: CasMetrics;
}
