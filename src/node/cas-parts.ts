/**
 * The content store of a node on a medium (NATS or libp2p) and the parts that replicate it,
 * children of `storage` in this order: the store (`cas`, under `<data_dir>/blobs/`), the blob
 * transfer that serves it to peers (`blob-transfer`), and the CAS replicator
 * (`cas-replicator`), which announces on the cluster's bus, reads membership from the peers
 * view, fetches through the transfer and is the store's repair hook. A node without a medium
 * has nothing to replicate and runs none of them.
 */
import { CasReplicator, type BlobReplicaState, type ReplicaMembership } from '../actors/cas/replicator.js';
import { serviceSpec } from '../actors/service.js';
import type { PeersView } from '../actors/peers-view.js';
import {
  createNatsBlobTransfer,
  type BlobTransfer,
  type BlobTransferComponents,
  type BlobTransferInit,
} from '../adapters/blob-transfer/index.js';
import type { NatsConnector } from '../adapters/nats/index.js';
import { Libp2pBlobTransfer, type P2PNode } from '../adapters/p2p/index.js';
import type { Bus } from '../adapters/bus/index.js';
import { createContentStore, isBlobHash, type ContentStore } from '../adapters/cas/index.js';
import type { Config } from '../config/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { NodeContext } from './types.js';

/** The medium blobs travel over: the node's NATS connection or its libp2p node. */
export type BlobTransferMedium =
  { kind: 'nats'; connector: NatsConnector } | { kind: 'libp2p'; p2p: P2PNode };

/** The blob transfer for the node's medium. */
export function createBlobTransfer(
  init: BlobTransferInit,
  components: BlobTransferComponents,
  medium: BlobTransferMedium,
): BlobTransfer {
  return medium.kind === 'nats'
    ? createNatsBlobTransfer(init, { ...components, connector: medium.connector })
    : new Libp2pBlobTransfer(init, { ...components, p2p: medium.p2p });
}

export interface CasPartsInit {
  config: Config;
  bus: Bus;
  peers: PeersView;
  medium: BlobTransferMedium;
  /** The store (default: the `fs` store under the data dir, behind Redis when configured). */
  store?: (repair: (hash: string) => Promise<Uint8Array | undefined>) => ContentStore;
}

export interface CasParts {
  storage: ChildSpec[];
  /** A blob's replication state, undefined for a string that is not a hash. */
  casBlob: (hash: string) => Promise<BlobReplicaState | undefined>;
  replicator: CasReplicator;
}

/** The store, its transfer and its replicator, as children of `storage`. */
export function casParts(init: CasPartsInit, node: NodeContext): CasParts {
  const { config, bus, peers } = init;
  const logger = node.logger.child({ component: 'cas' });
  const repair = (hash: string) => replicator.repairSource(hash);
  const store =
    init.store?.(repair) ??
    createContentStore(
      { dataDir: config.data_dir, ...(config.redis_url === undefined ? {} : { redisUrl: config.redis_url }) },
      { logger, clock: node.clock, repair },
    );
  const transfer = createBlobTransfer(
    { cluster: config.cluster, nodeId: node.nodeId },
    { store, logger },
    init.medium,
  );
  const membership: ReplicaMembership = {
    states: () => new Map(Object.values(peers.getSnapshot().context.peers).map((p) => [p.id, p.state])),
    subscribe: (listener) => {
      const subscription = peers.subscribe(() => listener());
      return () => subscription.unsubscribe();
    },
  };
  const replicator: CasReplicator = new CasReplicator(
    { nodeId: node.nodeId, replicas: config.cas_replicas, reannounceMs: config.cas_reannounce_ms },
    {
      store,
      transfer,
      announcer: {
        publish: (blob) => {
          bus.publish({ kind: 'coordination' }, { type: 'blob_announce', data: blob });
        },
        subscribe: (handler) => {
          const subscription = bus.subscribe({ kind: 'coordination' }, ({ envelope }) => {
            if (envelope.type === 'blob_announce') handler(envelope.from, envelope.data);
          });
          return () => subscription.unsubscribe();
        },
      },
      membership,
      clock: node.clock,
      logger,
      metrics: node.metrics.observeCas({
        underReplicated: () => replicator.underReplicated(),
        stats: () => store.stats(),
      }),
    },
  );
  const resource = (part: { start(): Promise<void>; stop(): Promise<void> }) => async () => {
    await part.start();
    return { stop: () => part.stop() };
  };
  return {
    storage: [
      serviceSpec('cas', resource(store), { shutdown: 30_000 }),
      serviceSpec('blob-transfer', resource(transfer)),
      serviceSpec('cas-replicator', resource(replicator), { shutdown: 10_000 }),
    ],
    casBlob: (hash) => (isBlobHash(hash) ? replicator.state(hash) : Promise.resolve(undefined)),
    replicator,
  };
}
