/**
 * What happens to a corrupt blob: its file moves to `quarantine/` (kept for a post-mortem,
 * never read again) and the index marks it missing, keeping its pins and references; then a
 * good copy is fetched through the `repair` hook (the CAS replicator asks a holder) and stored
 * only if it hashes right. Both are counted and told to the store's listeners.
 */
import { existsSync, renameSync } from 'node:fs';
import type { CorruptBlobError } from './errors.js';
import type { StoreInternals } from './maintenance.js';
import type { BlobHash, PutOptions, PutResult, BlobSource } from './types.js';

/** A store that can take a fetched copy (the fs store). */
interface Repairable extends StoreInternals {
  putVerified(expected: BlobHash, source: BlobSource, options?: PutOptions): Promise<PutResult>;
}

/** Moves a corrupt blob's file to quarantine/ and marks it missing in the index. */
export async function quarantine(
  store: StoreInternals,
  hash: BlobHash,
  error: CorruptBlobError,
): Promise<void> {
  const { components, layout, index } = store;
  components.metrics?.corrupt?.();
  let quarantined: string | undefined = layout.quarantined(hash, components.clock.now());
  try {
    index.transaction(() => {
      if (existsSync(layout.blob(hash))) renameSync(layout.blob(hash), quarantined!);
      else quarantined = undefined;
      index.setMissing(hash);
    });
  } catch (cause) {
    components.logger.error({ err: cause, hash }, 'could not quarantine a corrupt blob');
  }
  components.logger.warn({ hash, quarantined, reason: error.message }, 'corrupt blob');
  store.emit({ type: 'blob.corrupt', hash, quarantined });
  await Promise.resolve();
}

/** Fetches a good copy through the repair hook once; true when the blob is whole again. */
export async function repairFromReplica(store: Repairable, hash: BlobHash): Promise<boolean> {
  const { components } = store;
  const hook = components.repair;
  if (hook === undefined) return false;
  let reason = 'no replica has it';
  try {
    const source = await hook(hash);
    if (source !== undefined) {
      await store.putVerified(hash, source);
      components.metrics?.repaired?.();
      store.emit({ type: 'blob.repaired', hash });
      return true;
    }
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  components.metrics?.repairFailed?.();
  store.emit({ type: 'blob.repair_failed', hash, reason });
  return false;
}
