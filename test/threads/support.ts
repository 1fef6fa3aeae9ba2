/**
 * Nodes of a test cluster for the thread tests: each a content store of its own in a fresh
 * directory and task threads over it. `link` lets a node fetch the blobs the others hold, as
 * the CAS replicator does between real nodes; without it a node sees only its own blobs.
 */
import { createTaskThreads, type TaskThreads } from '../../src/adapters/threads/index.js';
import type { ContentStore } from '../../src/adapters/cas/index.js';
import type { Clock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateIdentity } from '../../src/protocol/index.js';
import { openStore, type OpenedStore } from '../cas/support.js';

/** Node ids (libp2p Ed25519 peer ids). */
export const NODES = [
  generateIdentity().nodeId,
  generateIdentity().nodeId,
  generateIdentity().nodeId,
] as const;

export interface ClusterNode {
  store: ContentStore;
  /** Where the store keeps its files. */
  dataDir: string;
  threads: TaskThreads;
  /** The blobs fetched from another node, in order. */
  fetched: string[];
}

export interface ThreadCluster {
  nodes: ClusterNode[];
  close(): Promise<void>;
}

/** `count` nodes; with `link`, each fetches what it lacks from the others. */
export async function threadCluster(count: number, clock: Clock, link: boolean): Promise<ThreadCluster> {
  const opened: OpenedStore[] = [];
  for (let i = 0; i < count; i++) opened.push(await openStore({}, { clock }));
  const nodes: ClusterNode[] = opened.map(({ store, dataDir }) => {
    const fetched: string[] = [];
    const fetchBlob = async (hash: string) => {
      for (const other of opened) {
        if (other.store === store || !(await other.store.has(hash))) continue;
        fetched.push(hash);
        return other.store.get(hash);
      }
      return undefined;
    };
    const threads = createTaskThreads(
      {},
      { store, clock, logger: silentLogger(), ...(link ? { fetchBlob } : {}) },
    );
    return { store, dataDir, threads, fetched };
  });
  return {
    nodes,
    close: async () => {
      for (const store of opened) await store.close();
    },
  };
}
