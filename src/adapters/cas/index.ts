/**
 * The content store port (SPEC §13, issue 15): blobs addressed by their BLAKE3-256 hash,
 * verified on every read, kept while a root (a pin, a record's reference) reaches them.
 * Implementations beside this file: `fs` (the truth, under `<data_dir>/blobs/`) and a Redis
 * cache that wraps any store and is never the truth.
 */
export type * from './types.js';
export * from './errors.js';
export { isBlobHash, parseBlobHash, hashBytes } from './hash.js';
