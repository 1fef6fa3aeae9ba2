/**
 * The two ways the JetStream claim store gets a connection: the node's shared one (waited for
 * at start, never closed here; a call while it is down fails at once), or one of its own when
 * the store runs alone (tests, benchmarks), closed by the store.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsConnectionOptions, type NatsAuthInit, type NatsConnector } from '../nats/index.js';

/** Where a store alone connects (the fields of its `Init` it needs). */
export interface AloneConnectionInit {
  cluster: string;
  servers?: string | string[];
  auth?: Omit<NatsAuthInit, 'servers'>;
}

/** The shared connection if it is open now: a call while it is down fails at once. */
export function currentConnection(connector: NatsConnector): Promise<NatsConnection> {
  const nc = connector.current();
  if (nc !== undefined && !nc.isClosed()) return Promise.resolve(nc);
  return Promise.reject(new Error(`not connected to NATS at ${connector.servers}`));
}

/** A connection of the store's own, when it runs without the node's shared one. */
export async function connectAlone(init: AloneConnectionInit): Promise<NatsConnection> {
  const servers = init.servers ?? 'nats://127.0.0.1:4222';
  return connect({
    ...(init.auth === undefined
      ? {}
      : await natsConnectionOptions({
          ...init.auth,
          servers: Array.isArray(servers) ? servers.join(',') : servers,
        })),
    servers,
    name: `bzzz-claims-${init.cluster}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}
