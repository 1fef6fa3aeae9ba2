/**
 * The first half of a put: streams a source into `temp/` while hashing it, decides on zstd
 * and fsyncs. Nothing here is visible to readers; fs.ts renames the result into place.
 *
 * Compression is decided on a sample (the first 64 KiB): data that does not shrink by 10%
 * there is written raw only, so incompressible blobs pay nothing. Data that does is written
 * both raw and compressed, and the smaller is kept when the whole input has passed.
 */
import { once } from 'node:events';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { constants, createZstdCompress, zstdCompressSync } from 'node:zlib';
import { CasIoError, StoreFullError } from './errors.js';
import { blake3Hasher } from './hash.js';
import type { HashPool } from './hash-pool.js';
import type { BlobLayout } from './layout.js';
import type { BlobCompression, BlobHash, BlobSource } from './types.js';

const SAMPLE = 64 * 1024;
const ZSTD_LEVEL = 3;
const PIECE = 1024 * 1024;

export interface WrittenBlob {
  hash: BlobHash;
  size: number;
  storedSize: number;
  compression: BlobCompression;
  /** The temp file holding the stored bytes. */
  path: string;
}

export interface WriteOptions {
  pool: HashPool;
  /** Inputs from this size up hash in the pool. */
  workerThreshold: number;
  onProgress?(bytes: number): void;
}

/** Splits bytes into pieces and passes stream chunks through. */
async function* chunks(source: BlobSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let at = 0; at < source.byteLength; at += PIECE) yield source.subarray(at, at + PIECE);
    return;
  }
  for await (const chunk of source) if (chunk.byteLength > 0) yield chunk;
}

const savesEnough = (stored: number, size: number): boolean => stored <= size * 0.9;

/** True for the errors of a full disk or quota. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /SQLITE_FULL|database or disk is full/.test(String(error));
}

/** The put's temp files, written as the input arrives. */
class TempTarget {
  raw: FileHandle | undefined;
  zst: { fh: FileHandle; z: ReturnType<typeof createZstdCompress>; done: Promise<number> } | undefined;
  readonly rawPath: string;
  readonly zstPath: string;

  constructor(layout: BlobLayout) {
    this.rawPath = layout.tempFile('raw');
    this.zstPath = layout.tempFile('zst');
  }

  async open(compress: boolean): Promise<void> {
    this.raw = await open(this.rawPath, 'wx');
    if (!compress) return;
    const fh = await open(this.zstPath, 'wx');
    const z = createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
    const done = (async () => {
      let written = 0;
      for await (const c of z as AsyncIterable<Buffer>) written += (await fh.write(c)).bytesWritten;
      return written;
    })();
    done.catch(() => undefined);
    this.zst = { fh, z, done };
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.raw!.write(chunk);
    if (this.zst !== undefined && !this.zst.z.write(chunk)) await once(this.zst.z, 'drain');
  }

  /** Flushes both files; returns the compressed size when there is one. */
  async finish(): Promise<number | undefined> {
    await this.raw!.sync();
    if (this.zst === undefined) return undefined;
    this.zst.z.end();
    const size = await this.zst.done;
    await this.zst.fh.sync();
    return size;
  }

  async close(): Promise<void> {
    await this.raw?.close().catch(() => undefined);
    await this.zst?.fh.close().catch(() => undefined);
    this.zst?.z.destroy();
  }

  async discard(which: 'raw' | 'zst' | 'both'): Promise<void> {
    if (which !== 'zst') await rm(this.rawPath, { force: true });
    if (which !== 'raw') await rm(this.zstPath, { force: true });
  }
}

/** Writes `source` to a temp file, hashed; the caller renames or removes `path`. */
export async function writeTemp(
  source: BlobSource,
  layout: BlobLayout,
  options: WriteOptions,
): Promise<WrittenBlob> {
  const iterator = chunks(source)[Symbol.asyncIterator]();
  // Read ahead up to the worker threshold: a small input hashes inline, and the sample is known.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < options.workerThreshold) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.byteLength;
  }
  const sample = Buffer.concat(head.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))).subarray(
    0,
    SAMPLE,
  );
  const compress =
    sample.byteLength > 0 && savesEnough(zstdCompressSync(sample).byteLength, sample.byteLength);
  const session = ended ? undefined : options.pool.session();
  const inline = ended ? await blake3Hasher() : undefined;
  const target = new TempTarget(layout);
  let size = 0;
  try {
    await target.open(compress);
    const take = async (chunk: Uint8Array): Promise<void> => {
      if (inline !== undefined) {
        inline.update(chunk);
        await target.write(chunk);
      } else {
        // the worker hashes while the file takes the same bytes
        await Promise.all([session!.update(chunk), target.write(chunk)]);
      }
      size += chunk.byteLength;
      options.onProgress?.(size);
    };
    for (const chunk of head) await take(chunk);
    if (!ended)
      for (let n = await iterator.next(); n.done !== true; n = await iterator.next()) await take(n.value);
    const zstSize = await target.finish();
    const hash = inline !== undefined ? inline.digest('hex') : await session!.digest();
    await target.close();
    if (zstSize !== undefined && savesEnough(zstSize, size)) {
      await target.discard('raw');
      return { hash, size, storedSize: zstSize, compression: 'zstd', path: target.zstPath };
    }
    await target.discard('zst');
    return { hash, size, storedSize: size, compression: 'raw', path: target.rawPath };
  } catch (error) {
    session?.abort();
    await target.close();
    await target.discard('both');
    if (isDiskFull(error)) throw new StoreFullError(layout.root, { cause: error });
    throw error instanceof CasIoError ? error : new CasIoError('put', { cause: error });
  }
}
