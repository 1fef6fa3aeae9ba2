/** Stores for the content store tests: a fresh data dir each, removed on close. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createContentStore,
  type CasComponents,
  type CasInit,
  type ContentStore,
} from '../../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

export interface OpenedStore {
  store: ContentStore;
  dataDir: string;
  close(): Promise<void>;
}

/** A started store in a fresh temporary data dir (or `dataDir`). */
export async function openStore(
  init: Partial<CasInit> = {},
  components: Partial<CasComponents> = {},
): Promise<OpenedStore> {
  const dataDir = init.dataDir ?? (await mkdtemp(join(tmpdir(), 'bzzz-cas-')));
  const store = createContentStore(
    { ...init, dataDir },
    { logger: silentLogger(), clock: systemClock, ...components },
  );
  await store.start();
  return {
    store,
    dataDir,
    async close() {
      await store.stop();
      if (init.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
