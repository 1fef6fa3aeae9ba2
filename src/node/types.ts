/** The options of a {@link BzzzNode} (`./node.ts`), what `build` gets and adds, and its status document. */
import type { KeyObject } from 'node:crypto';
import type { PeerInfo, Reachability } from '../adapters/p2p/index.js';
import type { BlobReplicaState } from '../actors/cas/replicator.js';
import type { ActorSystem } from '../actors/system.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { HealthCheck } from './health.js';
import type { NodeMetrics } from './metrics.js';
import type { ClusterView } from './view.js';

export interface NodeOptions {
  logger?: Logger;
  clock?: Clock;
  /** More health checks (tests add failing ones). */
  checks?: HealthCheck[];
  /** More children of the root, after the standard subtrees. */
  children?: ChildSpec[];
  /** Children of the work subtree (the poller and the agents of the main job). */
  work?: ChildSpec[];
  /** The node's metrics, when its parts were built before it (default: made by the node). */
  metrics?: NodeMetrics;
  /** The read model the status documents come from. */
  view?: ClusterView;
  /** Children of `infra` started before the health checks and HTTP (the bus connection). */
  infra?: ChildSpec[];
  /** Children of `cluster` (routing, membership, election). */
  cluster?: ChildSpec[];
  /** Children of `storage`, started before `work` (warm workspaces). */
  storage?: ChildSpec[];
  /** Builds more parts from the node's own: their children come before the options' own. */
  build?: (node: NodeContext) => NodeParts;
  /** More reasons the node is not ready (the bus is disconnected). */
  notReady?: () => string[];
  /** The leader as this node knows it. */
  leader?: () => { node: string; term: number } | null;
  /** The other nodes as this node knows them. */
  peers?: () => { id: string; name: string; state: string; capabilities: string[]; tasks: number }[];
  /** The libp2p node's own addresses and connected peers (only a node on libp2p has them). */
  p2pPeers?: () => Promise<P2PPeersDocument>;
  /** A blob's replication state (`GET /api/v1/cas/<hash>`); undefined for a bad hash. */
  casBlob?: (hash: string) => Promise<BlobReplicaState | undefined>;
}

/** `GET /api/v1/p2p/peers` and `bzzz p2p peers --json`. */
export interface P2PPeersDocument {
  /** This node's id (its libp2p peer id). */
  node: string;
  /** Addresses this node listens on, each ending in `/p2p/<node id>`. */
  addresses: string[];
  /** Whether others can dial it (AutoNAT; see `src/adapters/p2p/nat.ts`). */
  reachability: Reachability;
  /** Node ids of the relays it holds a reservation on. */
  relays: string[];
  peers: PeerInfo[];
}

/** What the node made before its parts, given to `build`. */
export interface NodeContext {
  readonly nodeId: string;
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly system: ActorSystem;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The cluster view (what `bzzz status` shows). */
  status(): StatusDocument;
}

/** The parts `build` adds. */
export type NodeParts = Pick<
  NodeOptions,
  | 'infra'
  | 'cluster'
  | 'storage'
  | 'work'
  | 'checks'
  | 'notReady'
  | 'leader'
  | 'peers'
  | 'p2pPeers'
  | 'casBlob'
>;

/** The cluster view (SPEC §4 `bzzz status --json`). */
export interface StatusDocument {
  cluster: string;
  self: { id: string; name: string };
  leader: { node: string; term: number } | null;
  nodes: { id: string; name: string; state: string; capabilities: string[]; tasks: number }[];
  tasks: { key: string; state: string; holder: string | null }[];
}
