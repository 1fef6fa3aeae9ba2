/**
 * Verified reads: a blob's file, decompressed when stored with zstd, hashed as it streams;
 * the hash is compared after the last chunk. Bytes that do not match, a frame that does not
 * decompress or a file that is gone all end in `CorruptBlobError` (fs.ts quarantines and
 * repairs). Large blobs hash in the worker pool.
 */
import { createReadStream } from 'node:fs';
import { createZstdDecompress } from 'node:zlib';
import { CasIoError, CorruptBlobError } from './errors.js';
import { blake3Hasher } from './hash.js';
import type { HashPool } from './hash-pool.js';
import type { BlobCompression, BlobHash } from './types.js';

const HIGH_WATER = 1024 * 1024;

export interface ReadPlan {
  hash: BlobHash;
  path: string;
  size: number;
  compression: BlobCompression;
}

/** Streams the blob's bytes; throws `CorruptBlobError` at the end when they do not match. */
export async function* readVerified(
  plan: ReadPlan,
  pool: HashPool,
  workerThreshold: number,
): AsyncIterable<Uint8Array> {
  const file = createReadStream(plan.path, { highWaterMark: HIGH_WATER });
  const stream = plan.compression === 'zstd' ? file.pipe(createZstdDecompress()) : file;
  if (plan.compression === 'zstd') file.on('error', (e) => stream.destroy(e));
  const session = plan.size >= workerThreshold ? pool.session() : undefined;
  const inline = session === undefined ? await blake3Hasher() : undefined;
  let actual: string;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (inline !== undefined) inline.update(chunk);
      else await session!.update(chunk);
      yield chunk;
    }
    actual = inline !== undefined ? inline.digest('hex') : await session!.digest();
  } catch (error) {
    session?.abort();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    // a file gone or a frame that does not decompress is a corrupt blob; EIO and such are not
    if (code === 'ENOENT' || code.startsWith('Z') || code === 'ERR_ZSTD')
      throw new CorruptBlobError(plan.hash, undefined, { cause: error });
    throw new CasIoError('read', { cause: error });
  } finally {
    file.destroy();
  }
  if (actual !== plan.hash) throw new CorruptBlobError(plan.hash, actual);
}

/** The whole blob, verified, in one buffer. */
export async function readAll(plan: ReadPlan, pool: HashPool, workerThreshold: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readVerified(plan, pool, workerThreshold)) parts.push(chunk);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
