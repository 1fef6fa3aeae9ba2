/**
 * The `fs` content store: blobs as files under `<data_dir>/blobs/data/<2>/<2>/<hash>`, an
 * index in SQLite (index-db.ts). A put writes and fsyncs a temp file (writer.ts), then, under
 * the index's write lock, renames it into place and records it: a kill -9 at any point leaves
 * either no blob or a whole one, and the lock orders the rename against gc in any process.
 * Reads verify (reader.ts); a corrupt blob is quarantined, counted, told to listeners and
 * repaired through the `repair` hook when one is given (repair.ts). verify and gc live in
 * maintenance.ts.
 */
import { existsSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { BlobNotFoundError, CorruptBlobError, HashMismatchError, StoreClosedError } from './errors.js';
import { toError } from '../../lib/errors.js';
import { parseBlobHash } from './hash.js';
import { HashPool } from './hash-pool.js';
import { BlobIndex, type IndexedBlob } from './index-db.js';
import { BlobLayout } from './layout.js';
import { collectGarbage, verifyStore, type StoreInternals } from './maintenance.js';
import { info, refSource } from './blob-info.js';
import { commitWritten } from './commit.js';
import { readAll, readVerified, type ReadPlan } from './reader.js';
import { quarantine, repairFromReplica } from './repair.js';
import { writeTemp } from './writer.js';
import type * as T from './types.js';

const DEFAULT_GRACE_MS = 60 * 60 * 1000;
const DEFAULT_WORKER_THRESHOLD = 1024 * 1024;

export class FsContentStore implements T.ContentStore, StoreInternals {
  readonly layout: BlobLayout;
  readonly pool: HashPool;
  readonly workerThreshold: number;
  readonly #graceMs: number;
  #index: BlobIndex | undefined;
  readonly #listeners = new Set<(event: T.CasEvent) => void>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #repairs = new Map<string, Promise<boolean>>();

  constructor(
    init: T.CasInit,
    readonly components: T.CasComponents,
  ) {
    this.layout = new BlobLayout(init.dataDir);
    this.pool = new HashPool(init.workers);
    this.workerThreshold = init.workerThresholdBytes ?? DEFAULT_WORKER_THRESHOLD;
    this.#graceMs = init.gcGraceMs ?? DEFAULT_GRACE_MS;
  }

  get index(): BlobIndex {
    if (this.#index === undefined) throw new StoreClosedError();
    return this.#index;
  }

  async start(): Promise<void> {
    if (this.#index !== undefined) return;
    await this.layout.create();
    this.#index = new BlobIndex(this.layout.index);
    const swept = await this.layout.sweepTemp();
    if (swept > 0) this.components.logger.info({ swept }, 'removed temp files of interrupted puts');
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    this.#index?.close();
    this.#index = undefined;
    await this.pool.close();
  }

  put(source: T.BlobSource, options: T.PutOptions = {}): Promise<T.PutResult> {
    return this.#track(this.#put(undefined, source, options));
  }

  putVerified(expected: T.BlobHash, source: T.BlobSource, options: T.PutOptions = {}): Promise<T.PutResult> {
    return this.#track(this.#put(parseBlobHash(expected), source, options));
  }

  async get(hash: T.BlobHash): Promise<Uint8Array> {
    const row = this.#row(hash);
    try {
      return await readAll(this.plan(row), this.pool, this.workerThreshold);
    } catch (error) {
      if (!(error instanceof CorruptBlobError)) throw error;
      await this.corrupt(row.hash, error);
      if (await this.repair(row.hash))
        return readAll(this.plan(this.#row(row.hash)), this.pool, this.workerThreshold);
      throw error;
    }
  }

  read(hash: T.BlobHash): Promise<T.BlobStream> {
    try {
      const row = this.#row(hash);
      const stream = readVerified(this.plan(row), this.pool, this.workerThreshold);
      const onCorrupt = (error: CorruptBlobError): Promise<unknown> =>
        this.corrupt(row.hash, error).then(() => this.repair(row.hash));
      return Promise.resolve(
        (async function* () {
          try {
            yield* stream;
          } catch (error) {
            if (error instanceof CorruptBlobError) await onCorrupt(error);
            throw error;
          }
        })(),
      );
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  has(hash: T.BlobHash): Promise<boolean> {
    return settle(() => {
      const row = this.index.get(parseBlobHash(hash));
      return row !== undefined && !row.missing;
    });
  }

  stat(hash: T.BlobHash): Promise<T.BlobInfo | undefined> {
    return settle(() => {
      const row = this.index.get(parseBlobHash(hash));
      return row === undefined || row.missing ? undefined : info(row);
    });
  }

  async delete(hash: T.BlobHash): Promise<boolean> {
    const h = parseBlobHash(hash);
    const trash = this.layout.tempFile('deleted');
    const removed = this.index.transaction(() => {
      const had = this.index.remove(h);
      if (existsSync(this.layout.blob(h))) renameSync(this.layout.blob(h), trash);
      return had;
    });
    await rm(trash, { force: true });
    if (removed) this.emit({ type: 'blob.deleted', hash: h });
    return removed;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the index answers synchronously
  async *list(options: { after?: T.BlobHash; limit?: number } = {}): AsyncIterable<T.BlobInfo> {
    let after = options.after ?? '';
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const page = this.index.page(after, Math.min(500, left));
      if (page.length === 0) return;
      for (const row of page) {
        after = row.hash;
        if (row.missing) continue;
        left--;
        yield info(row);
      }
    }
  }

  pin(hash: T.BlobHash): Promise<void> {
    return settle(() => {
      const h = parseBlobHash(hash);
      const found = this.index.transaction(() => {
        this.index.touch(h, this.components.clock.now());
        return this.index.setPinned(h, true);
      });
      if (!found) throw new BlobNotFoundError(h);
      this.emit({ type: 'blob.pinned', hash: h });
    });
  }

  unpin(hash: T.BlobHash): Promise<void> {
    return settle(() => {
      const h = parseBlobHash(hash);
      // the grace period counts from the unpin: a blob unpinned by mistake can be pinned again
      const found = this.index.transaction(() => {
        this.index.touch(h, this.components.clock.now());
        return this.index.setPinned(h, false);
      });
      if (!found) throw new BlobNotFoundError(h);
      this.emit({ type: 'blob.unpinned', hash: h });
    });
  }

  addRef(from: string, to: T.BlobHash): Promise<void> {
    return settle(() => {
      const [src, dst] = [refSource(from), parseBlobHash(to)];
      this.index.transaction(() => {
        this.index.addRef(src, dst);
        this.index.touch(dst, this.components.clock.now());
      });
    });
  }

  removeRef(from: string, to: T.BlobHash): Promise<void> {
    return settle(() => {
      const [src, dst] = [refSource(from), parseBlobHash(to)];
      this.index.transaction(() => {
        this.index.removeRef(src, dst);
        this.index.touch(dst, this.components.clock.now());
      });
    });
  }

  verify(options: T.VerifyOptions = {}): Promise<T.VerifyReport> {
    return this.#track(verifyStore(this, options));
  }

  gc(options: T.GcOptions = {}): Promise<T.GcReport> {
    return this.#track(collectGarbage(this, options.graceMs ?? this.#graceMs));
  }

  stats(): Promise<T.CasStats> {
    return settle(() => this.index.stats());
  }

  health(): T.CasHealth {
    return { status: 'ok' };
  }

  subscribe(listener: (event: T.CasEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: T.CasEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.components.logger.warn({ err: error, event: event.type }, 'a content store listener threw');
      }
    }
  }

  plan(row: IndexedBlob): ReadPlan {
    return { hash: row.hash, path: this.layout.blob(row.hash), size: row.size, compression: row.compression };
  }

  /** Moves a corrupt blob's file to quarantine/ and marks it missing in the index. */
  corrupt(hash: T.BlobHash, error: CorruptBlobError): Promise<void> {
    return quarantine(this, hash, error);
  }

  /** Fetches a good copy through the repair hook; true when the blob is whole again. */
  repair(hash: T.BlobHash): Promise<boolean> {
    const running = this.#repairs.get(hash);
    if (running !== undefined) return running;
    const attempt = repairFromReplica(this, hash).finally(() => this.#repairs.delete(hash));
    this.#repairs.set(hash, attempt);
    return attempt;
  }

  #row(hash: T.BlobHash): IndexedBlob {
    const h = parseBlobHash(hash);
    const row = this.index.get(h);
    if (row === undefined) throw new BlobNotFoundError(h);
    return row;
  }

  async #put(
    expected: T.BlobHash | undefined,
    source: T.BlobSource,
    options: T.PutOptions,
  ): Promise<T.PutResult> {
    const written = await writeTemp(source, this.layout, {
      pool: this.pool,
      workerThreshold: this.workerThreshold,
      ...(options.onProgress !== undefined ? { onProgress: (n: number) => options.onProgress?.(n) } : {}),
    });
    const { hash, size } = written;
    if (expected !== undefined && hash !== expected) {
      await rm(written.path, { force: true });
      throw new HashMismatchError(expected, hash);
    }
    const created = await commitWritten(this, written, options.pin === true);
    if (!created) await rm(written.path, { force: true });
    else this.emit({ type: 'blob.stored', hash, size });
    return { hash, size, created };
  }

  #track<R>(work: Promise<R>): Promise<R> {
    this.#inflight.add(work);
    const settle = (): void => void this.#inflight.delete(work);
    work.then(settle, settle);
    return work;
  }
}

/** The index answers synchronously; its throws become rejections like any store's. */
function settle<R>(fn: () => R): Promise<R> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(toError(error));
  }
}
