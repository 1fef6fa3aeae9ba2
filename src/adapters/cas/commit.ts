/**
 * The second half of a put: under the index's write lock (SQLite `BEGIN IMMEDIATE`, so it
 * orders against gc in any process sharing the store), the fsynced temp file is renamed into
 * place and recorded, unless the store already holds the blob whole (then it is only touched,
 * and pinned when asked). A failure removes the temp file and names a full disk as such.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { CasIoError, StoreFullError } from './errors.js';
import type { StoreInternals } from './maintenance.js';
import { isDiskFull, type WrittenBlob } from './writer.js';

/** Renames `written` into place and indexes it; false when the blob was already held. */
export async function commitWritten(
  store: StoreInternals,
  written: WrittenBlob,
  pin: boolean,
): Promise<boolean> {
  const { index, layout } = store;
  const { hash } = written;
  try {
    return index.transaction(() => {
      const now = store.components.clock.now();
      const row = index.get(hash);
      if (row !== undefined && !row.missing && existsSync(layout.blob(hash))) {
        index.touch(hash, now);
        if (pin) index.setPinned(hash, true);
        return false;
      }
      mkdirSync(layout.shard(hash), { recursive: true });
      renameSync(written.path, layout.blob(hash));
      index.upsert(written, now, pin);
      return true;
    });
  } catch (error) {
    await rm(written.path, { force: true });
    if (isDiskFull(error)) throw new StoreFullError(layout.root, { cause: error });
    throw new CasIoError('put', { cause: error });
  }
}
