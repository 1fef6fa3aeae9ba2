/**
 * What the resolver's tests share: a content store in a temporary dir, a second one as the
 * "replica" behind a BlobFetcher, and records of a task's artifacts in a MemoryNameIndex.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import type { BlobFetcher, TaskNameMatch, TreeManifest } from '../../src/adapters/names/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { generateIdentity } from '../../src/protocol/identity.js';
import { MemoryNameIndex } from '../fakes/memory-names.js';

export const NODE_A = generateIdentity().nodeId;
export const NODE_B = generateIdentity().nodeId;

export interface Stores {
  local: ContentStore;
  /** The local store's data dir. */
  localDir: string;
  replica: ContentStore;
  /** The replica's bytes, as the CAS replicator's repair source would hand them over. */
  fetcher: BlobFetcher & { calls: number };
  close(): Promise<void>;
}

export async function openStores(redisUrl?: string): Promise<Stores> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-resolver-'));
  const open = async (name: string, redis?: string): Promise<ContentStore> => {
    const store = createContentStore(
      { dataDir: join(dir, name), ...(redis === undefined ? {} : { redisUrl: redis }) },
      { logger: silentLogger(), clock: systemClock },
    );
    await store.start();
    return store;
  };
  const local = await open('local', redisUrl);
  const replica = await open('replica');
  const fetcher = Object.assign(
    async (hash: string) => {
      fetcher.calls++;
      return (await replica.has(hash)) ? replica.get(hash) : undefined;
    },
    { calls: 0 },
  );
  return {
    local,
    localDir: join(dir, 'local'),
    replica,
    fetcher,
    close: async () => {
      await Promise.all([local.stop(), replica.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A record of task `local:demo/calc#1` (unless `task` says otherwise). */
export function record(
  fields: Partial<TaskNameMatch> & Pick<TaskNameMatch, 'path' | 'value' | 'seq'>,
): TaskNameMatch {
  return {
    node: NODE_A,
    nodeName: 'alpha',
    agent: 'alpha',
    roles: ['typescript'],
    task: 'local:demo/calc#1',
    ...fields,
  };
}

/** Stores `files` and their manifest in `store`; returns the manifest's hash and the files' hashes. */
export async function storeTree(
  store: ContentStore,
  files: Record<string, string>,
): Promise<{ tree: string; hashes: Record<string, string> }> {
  const manifest: TreeManifest = { v: 1, files: {} };
  const hashes: Record<string, string> = {};
  for (const [path, text] of Object.entries(files)) {
    const put = await store.put(Buffer.from(text));
    hashes[path] = put.hash;
    manifest.files[path] = { hash: put.hash, size: put.size, mode: 0o644 };
  }
  const tree = await store.put(Buffer.from(JSON.stringify(manifest)));
  return { tree: tree.hash, hashes };
}

export { MemoryNameIndex };
