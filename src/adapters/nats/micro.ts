/**
 * The NATS micro service every node registers (SPEC §7): name `bzzz`, one instance per node,
 * endpoints `status`, `peers` and `tasks` on `bzzz.<cluster>.<endpoint>`, answered as plain JSON
 * from callbacks the node provides (its read model). The endpoints run without a queue group,
 * so a request reaches every node: `nats req bzzz.local.status ''` prints the first answer,
 * `nats req --replies=0 …` and `bzzz status` gather all of them. `nats micro ls` lists every
 * node, with its id, name and cluster in the metadata.
 *
 * {@link openMicroService} registers it on the node's shared connection, again on every new
 * connection, and stops it (before the connection drains: it is a later child of the tree).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import { SERVICE_NAME } from '../../protocol/index.js';
import type { NatsConnector } from './types.js';

/** What the micro service answers from. Each callback may be async; a throw answers 500. */
export interface NatsServiceHandlers {
  /** The node's display name (metadata). */
  name: string;
  /** The running bzzz version, semver (default `0.0.0`). */
  version?: string;
  status(): unknown;
  peers(): unknown;
  tasks(): unknown;
}

/** The endpoints of the service, in the order they are registered. */
export const SERVICE_ENDPOINTS = ['status', 'peers', 'tasks'] as const;

/** The subject of an endpoint of the `bzzz` service. */
export function serviceSubject(cluster: string, endpoint: (typeof SERVICE_ENDPOINTS)[number]): string {
  return `bzzz.${cluster}.${endpoint}`;
}

/** Where the service runs: the cluster and this node. */
export interface MicroServiceInit {
  cluster: string;
  nodeId: string;
}

/** The service on every connection `connector` opens, as a resource of the supervision tree. */
export function openMicroService(
  connector: NatsConnector,
  init: MicroServiceInit,
  handlers: NatsServiceHandlers,
  logger: Logger,
): Promise<Resource> {
  let service: Promise<Service | undefined> | undefined;
  const unfollow = connector.follow({
    attach: (nc) => {
      service = startMicroService(nc, init.cluster, init.nodeId, handlers, logger).catch((error: unknown) => {
        logger.warn({ err: describeError(error) }, 'cannot register the micro service');
        return undefined;
      });
    },
    detach: () => {
      service = undefined;
    },
  });
  const stop = async (): Promise<void> => {
    unfollow();
    const running = await service;
    service = undefined;
    await running?.stop().catch(() => undefined);
  };
  return Promise.resolve({ stop, kill: () => void stop() });
}

/** Registers the service on `nc`; stop it before draining the connection. */
async function startMicroService(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  handlers: NatsServiceHandlers,
  logger: Logger,
): Promise<Service> {
  // @nats-io/services pins an older nats-core: the same connection, typed by another copy.
  const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
  const service = await svcm.add({
    name: SERVICE_NAME,
    version: handlers.version ?? '0.0.0',
    description: 'bzzz agent node: cluster status, peers and tasks',
    metadata: { cluster, node: nodeId, name: handlers.name },
    queue: '',
  });
  const group = service.addGroup(`bzzz.${cluster}`, '');
  for (const endpoint of SERVICE_ENDPOINTS) {
    group.addEndpoint(endpoint, {
      queue: '',
      handler: (error, msg) => {
        if (error !== null) {
          logger.warn({ endpoint, err: describeError(error) }, 'micro service endpoint failed');
          return;
        }
        void answer(msg, () => handlers[endpoint](), endpoint, logger);
      },
    });
  }
  return service;
}

async function answer(
  msg: ServiceMsg,
  produce: () => unknown,
  endpoint: string,
  logger: Logger,
): Promise<void> {
  try {
    const value: unknown = await produce();
    msg.respond(JSON.stringify(value ?? null));
  } catch (error) {
    logger.warn({ endpoint, err: describeError(error) }, 'micro service handler failed');
    try {
      msg.respondError(500, describeError(error).slice(0, 200));
    } catch {
      // the requester is gone
    }
  }
}
