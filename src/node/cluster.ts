/**
 * The cluster parts of a node on a network medium (NATS, or libp2p: `p2p-medium.ts`): the
 * medium's resource (`infra`, first: the node's one NATS connection or its libp2p node),
 * remote actor routing, membership with its broadcaster, the leader election over the claim
 * store, and the medium's own services (the `bzzz` micro service on NATS) (`cluster`); the
 * content store with its replicator (`storage`, see `cas-parts.ts`).
 * Without a medium (`BZZZ_BUS=local`) a node is a cluster of one: it leads itself.
 */
import { broadcasterSpec } from '../actors/broadcaster.js';
import { ELECTION_DEFAULTS, electionSpec, heartbeatMessage } from '../actors/election.js';
import { membershipSpec } from '../actors/membership.js';
import { remoteSpec } from '../actors/remote.js';
import { serviceSpec } from '../actors/service.js';
import { createNatsBus, type Bus } from '../adapters/bus/index.js';
import type { ClaimStore } from '../adapters/claims/index.js';
import { createNatsConnector, openMicroService, type NatsConnector } from '../adapters/nats/index.js';
import { natsAuth, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { Leadership } from './leadership.js';
import { createPeersView, statusNodes } from '../actors/peers-view.js';
import type { HealthCheck } from './health.js';
import type { NodeContext, NodeParts, P2PPeersDocument } from './types.js';
import { casParts, type BlobTransferMedium, type CasPartsInit } from './cas-parts.js';
import { auditGossipSpec, type AuditPartsInit } from './audit-parts.js';

/** The path of the elector's mailbox: received heartbeats are sent there. */
export const ELECTION_PATH = 'root/cluster/election';

/** The node's NATS connection, made from config; a child of `infra` (see {@link clusterParts}). */
export function createConnector(config: Config, name: string, components: { clock: Clock; logger: Logger }) {
  return createNatsConnector({ servers: config.nats_url!, ...natsAuth(config), name }, components);
}

/** What the cluster runs on: its resource, the bus on it, and services of its own. */
export interface ClusterMedium {
  /** The child of `infra` that holds the medium (a connection, a libp2p node). */
  infra: ChildSpec;
  bus(node: NodeContext, rejected: (reason: string) => void): Bus;
  /** What the content store's blobs travel over (the same connection or libp2p node). */
  blobs: BlobTransferMedium;
  /** Children of `cluster` only this medium has. */
  services(node: NodeContext): ChildSpec[];
  /** Registers the medium's own gauges on the node's metrics and returns its health checks. */
  observe?(node: NodeContext): HealthCheck[];
  /** The medium's peers as `GET /api/v1/p2p/peers` shows them (libp2p only). */
  p2pPeers?: () => Promise<P2PPeersDocument>;
}

/** NATS: the node's connection, the NATS bus, and the `bzzz` micro service. */
export function natsMedium(config: Config, connector: NatsConnector): ClusterMedium {
  return {
    infra: serviceSpec('nats', () => connector.open(), { shutdown: 10_000 }),
    blobs: { kind: 'nats', connector },
    bus: (node, rejected) =>
      createNatsBus(
        {
          cluster: config.cluster,
          nodeId: node.nodeId,
          privateKey: config.sign_messages ? node.privateKey : null,
          batch: config.batch_broadcasts,
          members: config.cluster_members,
        },
        { clock: node.clock, logger: node.logger, rejected, connector },
      ).bus,
    services: (node) => [
      serviceSpec('micro', () =>
        openMicroService(
          connector,
          { cluster: config.cluster, nodeId: node.nodeId },
          {
            name: node.name,
            version: '0.1.0',
            status: () => node.status(),
            peers: () => node.status().nodes,
            tasks: () => node.status().tasks,
          },
          node.logger,
        ),
      ),
    ],
  };
}

export interface ClusterInit {
  config: Config;
  medium: ClusterMedium;
  claims: ClaimStore;
  leadership: Leadership;
  /** This node's load, for the availability broadcast. */
  load: () => { tasks: string[]; maxTasks: number };
  /** The node's content store and its repair relay: replicated when given. */
  cas?: Pick<CasPartsInit, 'store' | 'repairs'>;
  /** The node's audit log and witness book: its head gossiped, others' witnessed, when given. */
  audit?: AuditPartsInit;
}

/** The cluster's children and read models, built from the node's own parts. */
export function clusterParts(init: ClusterInit, node: NodeContext): NodeParts {
  const rejected = (reason: string) => node.metrics.rejected(reason);
  const bus = init.medium.bus(node, rejected);
  bus.subscribe({ kind: 'coordination' }, ({ envelope }) => {
    if (envelope.type === 'election_heartbeat')
      node.system.send(
        ELECTION_PATH,
        heartbeatMessage({ node: envelope.data.node, term: envelope.data.term }),
      );
  });
  const peers = createPeersView(() => node.clock.now());
  const cas =
    init.cas === undefined
      ? undefined
      : casParts({ config: init.config, bus, peers, medium: init.medium.blobs, ...init.cas }, node);
  return {
    infra: [init.medium.infra],
    cluster: [
      remoteSpec(bus, { rejected }),
      membershipSpec({
        self: { id: node.nodeId, name: node.name },
        view: peers,
        gauge: (counts) => node.metrics.peers(counts),
        broadcasterPath: 'root/cluster/broadcaster',
      }),
      broadcaster(init, node),
      election(init, bus, node),
      ...init.medium.services(node),
    ],
    storage: [
      ...(cas?.storage ?? []),
      ...(init.audit === undefined ? [] : [auditGossipSpec(init.audit, bus, node)]),
    ],
    ...(cas === undefined ? {} : { casBlob: cas.casBlob }),
    checks: init.medium.observe?.(node) ?? [],
    ...(init.medium.p2pPeers === undefined ? {} : { p2pPeers: init.medium.p2pPeers }),
    notReady: () => (bus.connected() ? [] : ['bus disconnected']),
    leader: () => init.leadership.leader(),
    peers: () => statusNodes(peers),
  };
}

function broadcaster(init: ClusterInit, node: NodeContext): ChildSpec {
  const { config } = init;
  return broadcasterSpec({
    capabilities: () => ({
      capabilities: config.capabilities,
      maxTasks: config.max_tasks,
      models: [config.model ?? config.llm],
      name: node.name,
      node: node.nodeId,
      sandboxes: config.sandbox ? [config.sandbox] : ['docker', 'bwrap'],
      version: '0.1.0',
    }),
    availability: () => {
      const load = init.load();
      return {
        load: load.tasks.length,
        maxTasks: load.maxTasks,
        node: node.nodeId,
        status: load.tasks.length >= load.maxTasks ? 'busy' : 'ready',
        tasks: load.tasks,
      };
    },
  });
}

function election(init: ClusterInit, bus: Bus, node: NodeContext): ChildSpec {
  return electionSpec('election', {
    store: init.claims,
    node: node.nodeId,
    publish: (heartbeat) => {
      bus.publish(
        { kind: 'coordination' },
        {
          type: 'election_heartbeat',
          data: {
            node: heartbeat.node,
            term: heartbeat.term,
            revision: heartbeat.term,
            ttlMs: ELECTION_DEFAULTS.ttlMs,
          },
        },
      );
    },
    onLeaderChange: (next) => init.leadership.changed(next),
  });
}
