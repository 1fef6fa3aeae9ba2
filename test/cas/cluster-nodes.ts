/**
 * Whole bzzz nodes in one process for the replication tests: each a `BzzzNode` with the
 * cluster's parts (membership, broadcaster, the content store and its replicator under
 * `storage`) on a real medium: a nats-server the test started, or libp2p on loopback with the
 * others bootstrapping from the first. Their stores are their own data dirs.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryClaimStore } from '../../src/adapters/claims/index.js';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { BzzzNode } from '../../src/node/node.js';
import { clusterParts, createConnector, natsMedium } from '../../src/node/cluster.js';
import { Leadership } from '../../src/node/leadership.js';
import { RepairRelay } from '../../src/node/cas-parts.js';
import { contentStoreService } from '../../src/node/content-store.js';
import { NodeMetrics } from '../../src/node/metrics.js';
import { createP2PNode, p2pMedium } from '../../src/node/p2p-medium.js';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { freePort } from '../helpers/nats-server.js';
import type { NatsConnector } from '../../src/adapters/nats/index.js';
import type { P2PNode } from '../../src/adapters/p2p/index.js';

export interface CasNode {
  node: BzzzNode;
  config: Config;
  /** The node's HTTP URL. */
  url: string;
  /** The node's own store (a child of its `storage` subtree: started and stopped by the node). */
  store: ContentStore;
  /** The node's libp2p node, on libp2p. */
  p2p?: P2PNode;
  /** The node's NATS connection, on NATS. */
  connector?: NatsConnector;
  stop(): Promise<void>;
}

export type Medium = { kind: 'nats'; url: string } | { kind: 'libp2p'; port: number; bootstrap?: string };

/** A started node on `medium`, its data in a fresh directory. */
export async function startCasNode(
  name: string,
  medium: Medium,
  env: Record<string, string> = {},
): Promise<CasNode> {
  const dir = mkdtempSync(join(tmpdir(), `bzzz-repl-${name}-`));
  const config = loadConfig({
    env: {
      BZZZ_HTTP_PORT: '0',
      BZZZ_DATA_DIR: join(dir, 'data'),
      BZZZ_NODE_NAME: name,
      BZZZ_CLUSTER: 'repl',
      ...(medium.kind === 'nats'
        ? { BZZZ_NATS_URL: medium.url }
        : {
            BZZZ_BUS: 'libp2p',
            BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${medium.port}`,
            BZZZ_P2P_MDNS: 'false',
            ...(medium.bootstrap === undefined ? {} : { BZZZ_P2P_BOOTSTRAP: medium.bootstrap }),
          }),
      ...env,
    },
    cwd: dir,
  });
  const logger = silentLogger();
  const components = { logger, clock: systemClock };
  const identity = await loadOrCreateIdentity(config.data_dir);
  const connector = medium.kind === 'nats' ? createConnector(config, name, components) : undefined;
  const p2p = medium.kind === 'libp2p' ? createP2PNode(config, identity, logger) : undefined;
  const clusterMedium =
    connector !== undefined ? natsMedium(config, connector) : p2pMedium(config, p2p!, identity);
  // the node's content store as the main job makes it: a child of `storage`, repaired through the relay
  const metrics = new NodeMetrics({ node: name, cluster: config.cluster });
  const repairs = new RepairRelay();
  const cas = contentStoreService(config, { ...components, metrics, repair: repairs.repair });
  const claims = new MemoryClaimStore(components);
  const leadership = new Leadership(identity.nodeId, false);
  const node = await BzzzNode.start(config, {
    ...components,
    metrics,
    storage: cas.children,
    build: (context) =>
      clusterParts(
        {
          config,
          medium: clusterMedium,
          claims,
          leadership,
          load: () => ({ tasks: [], maxTasks: 1 }),
          cas: { store: cas.store, repairs },
        },
        context,
      ),
  });
  return {
    node,
    config,
    url: node.httpUrl!,
    store: cas.store,
    ...(p2p === undefined ? {} : { p2p }),
    ...(connector === undefined ? {} : { connector }),
    stop: async () => {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The libp2p address of a node listening on `port`, for the others' bootstrap list. */
export function bootstrapAddress(port: number, nodeId: string): string {
  return `/ip4/127.0.0.1/tcp/${port}/p2p/${nodeId}`;
}

export { freePort };

/** A store on a node's data dir, for the test to put into (the node's own store object is not exposed). */
export function storeOf(config: Config): ContentStore {
  return createContentStore({ dataDir: config.data_dir }, { logger: silentLogger(), clock: systemClock });
}

/** `GET /api/v1/cas/<hash>` of a node. */
export async function casState(
  url: string,
  hash: string,
): Promise<{
  status: number;
  body: { holders?: string[]; wanted?: number; pinned?: boolean; size?: number };
}> {
  const response = await fetch(`${url}/api/v1/cas/${hash}`);
  return { status: response.status, body: (await response.json()) as never };
}
