/**
 * The content store port (SPEC §13, issue 15): blobs addressed by their BLAKE3-256 hash,
 * verified on every read, kept while a root (a pin, a record's reference) reaches them.
 * Implementations beside this file: `fs` (the truth, under `<data_dir>/blobs/`) and a Redis
 * cache (redis-cache.ts) that wraps any store and is never the truth.
 */
import { FsContentStore } from './fs.js';
import { RedisCachedStore } from './redis-cache.js';
import type { CasComponents, CasInit, ContentStore } from './types.js';

export type * from './types.js';
export * from './errors.js';
export { isBlobHash, parseBlobHash, hashBytes } from './hash.js';
export { FsContentStore } from './fs.js';
export { RedisCachedStore } from './redis-cache.js';
export { GarbageCollector, type GarbageCollectorInit } from './collector.js';

/** The `fs` store under `init.dataDir`, behind a Redis cache when `init.redisUrl` is set. */
export function createContentStore(init: CasInit, components: CasComponents): ContentStore {
  const store = new FsContentStore(init, components);
  return init.redisUrl === undefined
    ? store
    : new RedisCachedStore(store, { ...init, redisUrl: init.redisUrl }, components);
}
