/**
 * The resolver port's types, apart from the implementation so that its modules import them
 * without a cycle. index.ts re-exports every name.
 */
import type { BlobFetcher, TaskNameIndex } from '../names/index.js';
import type { ContentStore } from '../cas/index.js';
import type { BoundedRedis } from '../redis/index.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** One record that answers a semantic name, as the resolver shows it. */
export interface ResolvedMatch {
  /** The node that published and signed the record. */
  node: string;
  nodeName: string;
  agent: string;
  roles: string[];
  /** The task key (`local:demo/calc#1`). */
  task: string;
  /** `log`, `diff`, `thread`, `pr`, `audit`, or the file's path in the result tree. */
  path: string;
  /** The blob (for every path but `pr`). */
  hash?: string;
  size?: number;
  /** The pull request's URL (`pr`). */
  url?: string;
  /** The record's sequence number (higher: newer). */
  seq: number;
}

/**
 * What an address resolves to (SPEC §14): a blob's hash and size, an actor's canonical
 * address, or the records that answer a semantic name, newest first; `hash`, `size` and `url`
 * of a name are its newest match's.
 */
export interface Resolution {
  /** The address in its canonical spelling. */
  addr: string;
  kind: 'blob' | 'actor' | 'names';
  hash?: string;
  size?: number;
  address?: string;
  url?: string;
  matches?: ResolvedMatch[];
}

/** A blob found for serving: its size, and its bytes when they came from a replica. */
export interface LocatedBlob {
  hash: string;
  size: number;
  /** Verified bytes fetched from a replica (kept locally in the background); else read the store. */
  bytes?: Uint8Array;
}

/** Inclusive byte offsets of a range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Counters the node keeps on /metrics; every method optional. */
export interface ResolverMetrics {
  resolved?(kind: Resolution['kind'] | 'error'): void;
  cache?(layer: 'memory' | 'redis', outcome: 'hit' | 'miss'): void;
  replicaFetch?(outcome: 'ok' | 'missing' | 'mismatch' | 'error'): void;
}

export interface ResolverInit {
  /** The cluster (`BZZZ_CLUSTER`): names in the shared Redis are kept apart per cluster. */
  cluster: string;
  /** Lifetime of a name's resolution in Redis, seconds (default 5). */
  nameTtlSeconds?: number;
  /** Lifetime of a name's resolution in the in-process LRU, ms (default 1000). */
  memoryTtlMs?: number;
  /** Entries of the in-process LRU (default 4096). */
  memoryEntries?: number;
  /** Largest blob fetched from a replica into memory, bytes (default 256 MiB). */
  maxFetchBytes?: number;
  /** Largest result tree manifest read, bytes (default 16 MiB). */
  maxManifestBytes?: number;
  /** Result trees read for one file path (with `*`, one per matching record; default 8). */
  maxTrees?: number;
}

export interface ResolverComponents {
  /** This node's content store (started by its owner). */
  store: ContentStore;
  /** The name index; without one, semantic names answer {@link NamesUnavailableError}. */
  names?: TaskNameIndex | undefined;
  /** Fetches a blob from a live holder when the store does not hold it. */
  fetcher?: BlobFetcher | undefined;
  /** The shared cache (started and stopped by its owner); without it, the LRU alone. */
  redis?: BoundedRedis | undefined;
  clock: Clock;
  logger: Logger;
  metrics?: ResolverMetrics;
}
