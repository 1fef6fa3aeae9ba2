/**
 * BLAKE3-256 hashing (hash-wasm) and blob hash strings. Small inputs hash here on the event
 * loop; large ones go to the worker pool (hash-pool.ts).
 */
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { BadHashError } from './errors.js';
import type { BlobHash } from './types.js';

const HASH = /^[0-9a-f]{64}$/;

/** True when `value` is a blob hash (64 lowercase hex digits). */
export function isBlobHash(value: string): boolean {
  return HASH.test(value);
}

/** The hash in canonical form (lowercase); {@link BadHashError} when it is not one. */
export function parseBlobHash(value: string): BlobHash {
  const lower = value.trim().toLowerCase();
  if (!HASH.test(lower)) throw new BadHashError(value);
  return lower;
}

/** A fresh BLAKE3-256 hasher. */
export async function blake3Hasher(): Promise<IHasher> {
  const hasher = await createBLAKE3(256);
  hasher.init();
  return hasher;
}

/** The hash of `bytes`, on this thread. */
export async function hashBytes(bytes: Uint8Array): Promise<BlobHash> {
  const hasher = await blake3Hasher();
  hasher.update(bytes);
  return hasher.digest('hex');
}
