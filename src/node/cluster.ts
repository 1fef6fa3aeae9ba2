/**
 * The cluster parts of a node when NATS is configured: the bus connection (infra), remote
 * actor routing, membership with its broadcaster, and the leader election over the JetStream
 * claim store (cluster subtree). Without NATS a node is a cluster of one: it leads itself.
 */
import type { KeyObject } from 'node:crypto';
import { broadcasterSpec } from '../actors/broadcaster.js';
import { electionChild, ELECTION_DEFAULTS, type Elector, type LeaderInfo } from '../actors/election.js';
import { membershipSpec } from '../actors/membership.js';
import { remoteSpec } from '../actors/remote.js';
import { createNatsBus, type Bus, type NatsServiceHandlers } from '../adapters/bus/index.js';
import type { ClaimStore } from '../adapters/claims/index.js';
import { natsAuth, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { RejectReason } from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import { createPeersView, statusNodes, type PeersView } from './peers-view.js';
import type { PeerState } from '../machines/peer.js';

export interface ClusterInit {
  config: Config;
  nodeId: string;
  nodeName: string;
  privateKey: KeyObject;
  claims: ClaimStore;
  /** This node's load, for the availability broadcast. */
  load: () => { tasks: string[]; maxTasks: number };
  /** What the micro service answers. */
  service: NatsServiceHandlers;
}

export interface ClusterComponents {
  clock: Clock;
  logger: Logger;
  rejected: (reason: RejectReason) => void;
  peersGauge: (counts: Record<PeerState, number>) => void;
}

export interface ClusterParts {
  readonly bus: Bus;
  readonly peers: PeersView;
  /** Children of `infra` (before http). */
  readonly infra: ChildSpec[];
  /** Children of `cluster`. */
  readonly cluster: ChildSpec[];
  leader(): LeaderInfo | null;
  isLeader(): boolean;
  nodes(): ReturnType<typeof statusNodes>;
}

export function createClusterParts(init: ClusterInit, components: ClusterComponents): ClusterParts {
  const { config, clock, logger } = { ...init, ...components };
  const nats = createNatsBus(
    {
      cluster: config.cluster,
      nodeId: init.nodeId,
      privateKey: config.sign_messages ? init.privateKey : null,
      batch: config.batch_broadcasts,
      servers: config.nats_url!,
      ...natsAuth(config),
      name: init.nodeName,
      service: init.service,
    },
    { clock, logger, rejected: components.rejected },
  );
  const bus = nats.bus;
  const peers = createPeersView(() => clock.now());
  let elector: Elector | undefined;
  let leader: LeaderInfo | null = null;

  bus.subscribe({ kind: 'coordination' }, (delivery) => {
    const envelope = delivery.envelope;
    if (envelope.type === 'election_heartbeat')
      elector?.heartbeat({ node: envelope.data.node, term: envelope.data.term });
  });

  const cluster: ChildSpec[] = [
    remoteSpec(bus, { rejected: components.rejected }),
    membershipSpec({
      self: { id: init.nodeId, name: init.nodeName },
      view: peers,
      gauge: components.peersGauge,
      broadcasterPath: 'root/cluster/broadcaster',
    }),
    broadcasterSpec({
      capabilities: () => ({
        capabilities: config.capabilities,
        maxTasks: config.max_tasks,
        models: [config.model ?? config.llm],
        name: init.nodeName,
        node: init.nodeId,
        sandboxes: config.sandbox ? [config.sandbox] : ['docker', 'bwrap'],
        version: '0.1.0',
      }),
      availability: () => {
        const load = init.load();
        return {
          load: load.tasks.length,
          maxTasks: load.maxTasks,
          node: init.nodeId,
          status: load.tasks.length >= load.maxTasks ? 'busy' : 'ready',
          tasks: load.tasks,
        };
      },
    }),
    electionChild('election', {
      store: init.claims,
      node: init.nodeId,
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
      onLeaderChange: (next) => {
        leader = next;
        logger.info({ leader: next }, 'leader changed');
      },
      onStarted: (started) => (elector = started),
    }),
  ];

  return {
    bus,
    peers,
    infra: [nats.connectionSpec()],
    cluster,
    leader: () => leader,
    isLeader: () => elector?.isLeader ?? false,
    nodes: () => statusNodes(peers),
  };
}
