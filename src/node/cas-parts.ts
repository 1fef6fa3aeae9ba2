/**
 * The parts that replicate a node's content store when the node has a medium (NATS or
 * libp2p), children of `storage` after the store itself (`cas`, content-store.ts): the blob
 * transfer that serves the store to peers (`blob-transfer`), and the CAS replicator
 * (`cas-replicator`), which announces on the cluster's bus, reads membership from the peers
 * view, fetches through the transfer and answers the store's repair hook (through a
 * {@link RepairRelay}). A node without a medium has nothing to replicate and runs neither.
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
import { isBlobHash, type ContentStore, type RepairSource } from '../adapters/cas/index.js';
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
  /** The node's content store: a child of `storage` before these parts (the pipeline's). */
  store: ContentStore;
  /** What the store's repair hook calls: the replicator answers it while it runs. */
  repairs: RepairRelay;
}

export interface CasParts {
  storage: ChildSpec[];
  /** A blob's replication state, undefined for a string that is not a hash. */
  casBlob: (hash: string) => Promise<BlobReplicaState | undefined>;
  replicator: CasReplicator;
}

/**
 * The content store's repair hook, made before the store and answered by whichever replicator
 * runs now: the replicator child attaches itself when it starts and detaches when it stops, so
 * a repair while none runs finds no copy instead of reaching a stopped one.
 */
export class RepairRelay {
  #source: RepairSource | undefined;

  /** The hook to give the store. */
  readonly repair: RepairSource = (hash) => this.#source?.(hash) ?? Promise.resolve(undefined);

  /** Answers repairs with `source` until the returned function is called. */
  attach(source: RepairSource): () => void {
    this.#source = source;
    return () => {
      if (this.#source === source) this.#source = undefined;
    };
  }
}

/** The blob transfer and the replicator of the node's store, as children of `storage`. */
export function casParts(init: CasPartsInit, node: NodeContext): CasParts {
  const { config, bus, peers, store } = init;
  const logger = node.logger.child({ component: 'cas' });
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
  return {
    storage: [
      serviceSpec('blob-transfer', async () => {
        await transfer.start();
        return { stop: () => transfer.stop() };
      }),
      serviceSpec(
        'cas-replicator',
        async () => {
          await replicator.start();
          const detach = init.repairs.attach(replicator.repairSource);
          return {
            stop: async () => {
              detach();
              await replicator.stop();
            },
          };
        },
        { shutdown: 10_000 },
      ),
    ],
    casBlob: (hash) => (isBlobHash(hash) ? replicator.state(hash) : Promise.resolve(undefined)),
    replicator,
  };
}
