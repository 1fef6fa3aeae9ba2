/**
 * The store's walks: `verify` (every blob read and checked; corrupt ones quarantined and, on
 * request, repaired; files the index lost after a crash between rename and record adopted
 * again) and `gc` (blobs no root reaches, untouched for the grace period, removed under the
 * index's write lock, so a put or a pin in any process either comes first and keeps the blob
 * or comes after and stores it again).
 */
import { existsSync, renameSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { zstdDecompressSync } from 'node:zlib';
import { CorruptBlobError } from './errors.js';
import { hashBytes, isBlobHash } from './hash.js';
import type { HashPool } from './hash-pool.js';
import type { BlobIndex, IndexedBlob } from './index-db.js';
import type { BlobLayout } from './layout.js';
import { readVerified, type ReadPlan } from './reader.js';
import type { BlobHash, CasComponents, CasEvent, GcReport, VerifyOptions, VerifyReport } from './types.js';

/** What the walks need of the store. */
export interface StoreInternals {
  readonly layout: BlobLayout;
  readonly index: BlobIndex;
  readonly pool: HashPool;
  readonly workerThreshold: number;
  readonly components: CasComponents;
  plan(row: IndexedBlob): ReadPlan;
  corrupt(hash: BlobHash, error: CorruptBlobError): Promise<void>;
  repair(hash: BlobHash): Promise<boolean>;
  emit(event: CasEvent): void;
}

async function check(store: StoreInternals, row: IndexedBlob): Promise<CorruptBlobError | undefined> {
  try {
    for await (const _ of readVerified(store.plan(row), store.pool, store.workerThreshold));
    return undefined;
  } catch (error) {
    if (error instanceof CorruptBlobError) return error;
    throw error;
  }
}

export async function verifyStore(store: StoreInternals, options: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, corrupt: [], missing: [], repaired: [], adopted: [] };
  const total = store.index.stats().blobs;
  let after = '';
  for (let page = store.index.page(after, 200); page.length > 0; page = store.index.page(after, 200)) {
    for (const row of page) {
      after = row.hash;
      report.checked++;
      if (row.missing) report.missing.push(row.hash);
      else {
        const error = await check(store, row);
        if (error === undefined) {
          options.onProgress?.(report.checked, total);
          continue;
        }
        await store.corrupt(row.hash, error);
        report.corrupt.push(row.hash);
      }
      if (options.repair === true && (await store.repair(row.hash))) report.repaired.push(row.hash);
      options.onProgress?.(report.checked, total);
    }
  }
  for await (const name of store.layout.files()) {
    if (store.index.get(name) !== undefined) continue;
    const adopted = await adopt(store, name);
    if (adopted) report.adopted.push(name);
  }
  return report;
}

/** Indexes a blob file the index does not know, if its bytes match its name (raw or zstd). */
async function adopt(store: StoreInternals, name: string): Promise<boolean> {
  const path = store.layout.blob(name);
  const now = store.components.clock.now();
  if (!isBlobHash(name)) return false;
  const stored = await readFile(path).catch(() => undefined);
  if (stored === undefined) return false;
  let compression: 'raw' | 'zstd' | undefined = (await hashBytes(stored)) === name ? 'raw' : undefined;
  let size = stored.byteLength;
  if (compression === undefined) {
    try {
      const plain = zstdDecompressSync(stored);
      if ((await hashBytes(plain)) === name) [compression, size] = ['zstd', plain.byteLength];
    } catch {
      // not a zstd frame either: quarantined below
    }
  }
  if (compression === undefined) {
    renameSync(path, store.layout.quarantined(name, now));
    return false;
  }
  store.index.transaction(() => {
    if (store.index.get(name) === undefined)
      store.index.upsert({ hash: name, size, storedSize: stored.byteLength, compression }, now, false);
  });
  return true;
}

export async function collectGarbage(store: StoreInternals, graceMs: number): Promise<GcReport> {
  const cutoff = store.components.clock.now() - graceMs;
  const report: GcReport = { removed: [], freedBytes: 0, live: 0 };
  for (const hash of store.index.dead(cutoff)) {
    const trash = store.layout.tempFile('gc');
    const freed = store.index.transaction(() => {
      const row = store.index.get(hash);
      // a pin, a reference or a put since the walk began touched it: keep it
      if (row === undefined || row.pinned || row.touchedAt >= cutoff) return undefined;
      store.index.remove(hash);
      if (existsSync(store.layout.blob(hash))) renameSync(store.layout.blob(hash), trash);
      return row.storedSize;
    });
    if (freed === undefined) continue;
    await rm(trash, { force: true });
    report.removed.push(hash);
    report.freedBytes += freed;
    store.emit({ type: 'blob.deleted', hash });
  }
  report.live = store.index.stats().blobs;
  return report;
}
