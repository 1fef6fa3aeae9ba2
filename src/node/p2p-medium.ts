/**
 * The libp2p medium of a cluster (`BZZZ_BUS=libp2p`): the node's libp2p node, a child of
 * `infra`, and the bus on it. A cluster on libp2p has no broker to gate who joins, so a node
 * that listens beyond loopback needs the cluster's pre-shared key (`BZZZ_P2P_PSK_FILE`): a
 * host without it cannot complete a connection. Without it, such a node refuses to start.
 */
import { readFileSync } from 'node:fs';
import { serviceSpec } from '../actors/service.js';
import {
  DEFAULT_LISTEN,
  DhtTaskNames,
  InvalidMultiaddrError,
  NameService,
  P2PNode,
  createLibp2pBus,
  openStatusService,
  parseAnnounceAddresses,
  parseBootstrapAddresses,
  parseListenAddresses,
  parseRelayAddresses,
  parseSwarmKey,
} from '../adapters/p2p/index.js';
import { ConfigError, type Config } from '../config/index.js';
import { NonRetryableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Identity } from '../protocol/index.js';
import type { ClusterMedium } from './cluster.js';
import type { HealthCheck } from './health.js';
import type { NodeTaskNames } from './task-names.js';

/** True for an address only this host can reach. */
function loopbackOnly(address: string): boolean {
  return /^\/ip4\/127\.\d+\.\d+\.\d+\//.test(address) || address.startsWith('/ip6/::1/');
}

/** Checks one multiaddr list of the configuration: a bad address is a `ConfigError` naming its key. */
function checkAddresses(
  key: 'p2p_listen' | 'p2p_bootstrap' | 'p2p_relay' | 'p2p_announce',
  addresses: readonly string[],
  parse: (a: readonly string[]) => string[],
): void {
  try {
    parse(addresses);
  } catch (error) {
    if (!(error instanceof InvalidMultiaddrError)) throw error;
    throw new ConfigError(key, `BZZZ_${key.toUpperCase()}`, error.message);
  }
}

/** The node's libp2p node, from config; throws one line when the setup cannot be safe. */
export function createP2PNode(config: Config, identity: Identity, logger: Logger): P2PNode {
  const listen = config.p2p_listen ?? [DEFAULT_LISTEN];
  checkAddresses('p2p_listen', listen, parseListenAddresses);
  checkAddresses('p2p_bootstrap', config.p2p_bootstrap, parseBootstrapAddresses);
  checkAddresses('p2p_relay', config.p2p_relay, parseRelayAddresses);
  checkAddresses('p2p_announce', config.p2p_announce, parseAnnounceAddresses);
  let psk: Uint8Array | undefined;
  if (config.p2p_psk_file !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.p2p_psk_file, 'utf8');
    } catch (error) {
      throw new NonRetryableError(
        `BZZZ_P2P_PSK_FILE=${config.p2p_psk_file}: cannot read (${(error as Error).message})`,
      );
    }
    psk = parseSwarmKey(text, config.p2p_psk_file);
  } else if (!listen.every(loopbackOnly)) {
    throw new NonRetryableError(
      `BZZZ_BUS=libp2p listens beyond loopback (${listen.join(', ')}) without a cluster key: ` +
        'make one with `bzzz p2p keygen > swarm.key` and set BZZZ_P2P_PSK_FILE=swarm.key on every node',
    );
  }
  return new P2PNode(
    {
      identity,
      listen,
      bootstrap: config.p2p_bootstrap,
      relay: config.p2p_relay,
      announce: config.p2p_announce,
      mdns: config.p2p_mdns,
      ...(psk === undefined ? {} : { psk }),
    },
    { logger },
  );
}

/**
 * The libp2p node as the cluster's medium: the status protocol (what the NATS micro service's
 * `status` endpoint is on NATS, for `bzzz status`) and the bzzz:// names service as its
 * services; its gauges
 * (`bzzz_p2p_peers`, `bzzz_dht_routing_table_size`), its health checks, and its peers on
 * `GET /api/v1/p2p/peers`.
 */
export function p2pMedium(
  config: Config,
  p2p: P2PNode,
  identity: Identity,
  taskNames?: NodeTaskNames,
): ClusterMedium {
  return {
    infra: serviceSpec('p2p', () => p2p.open(), { shutdown: 10_000 }),
    blobs: { kind: 'libp2p', p2p },
    bus: (node, rejected) =>
      createLibp2pBus(
        {
          cluster: config.cluster,
          nodeId: node.nodeId,
          privateKey: config.sign_messages ? node.privateKey : null,
          batch: config.batch_broadcasts,
          members: config.cluster_members,
        },
        { clock: node.clock, logger: node.logger, rejected, node: p2p },
      ).bus,
    services: (node) => [
      serviceSpec('p2p-status', () =>
        Promise.resolve(openStatusService(p2p, { status: () => node.status(), logger: node.logger })),
      ),
      // every node serves and holds bzzz:// name records (/bzzz/name/1.0.0), its own and others';
      // task names publish through it and find each task's publishers in the DHT
      serviceSpec('names', () => {
        const names = new NameService(
          { identity },
          {
            node: p2p,
            clock: node.clock,
            logger: node.logger,
            ...(taskNames === undefined
              ? {}
              : { rejected: taskNames.peerRejected, learned: (record) => taskNames.names.learn(record) }),
          },
        );
        const dht = taskNames && new DhtTaskNames({}, { names, p2p, logger: node.logger });
        const detach = dht && taskNames?.names.attach(dht);
        return Promise.resolve({
          stop: async () => {
            detach?.();
            dht?.close();
            await names.close();
          },
        });
      }),
    ],
    observe: (node) => {
      node.metrics.observeP2P({ peers: () => p2p.peerCount(), routingTable: () => p2p.routingTableSize() });
      return p2pChecks(p2p);
    },
    p2pPeers: async () => ({
      node: p2p.nodeId,
      addresses: p2p.addresses(),
      ...p2p.natStatus(),
      peers: await p2p.peers(),
    }),
  };
}

/**
 * Health checks of the libp2p node, not critical: a node with no peer or an empty routing
 * table still runs its own tasks, but it is cut off from the cluster (wrong bootstrap address,
 * another cluster key, a firewall), which is what an operator must hear about.
 */
export function p2pChecks(p2p: P2PNode): HealthCheck[] {
  const running = () => {
    if (!p2p.running) throw new Error('the libp2p node is not running');
  };
  return [
    {
      name: 'p2p_connections',
      run: () => {
        running();
        const peers = p2p.peerCount();
        if (peers === 0)
          throw new Error('no peer connected (check BZZZ_P2P_BOOTSTRAP, mDNS and the cluster key)');
        return `${peers} peer${peers === 1 ? '' : 's'} connected`;
      },
    },
    {
      name: 'dht_routing_table',
      run: () => {
        running();
        const size = p2p.routingTableSize();
        if (size === 0) throw new Error('the DHT routing table is empty: peers cannot be found through it');
        return `${size} peer${size === 1 ? '' : 's'} in the routing table`;
      },
    },
  ];
}
