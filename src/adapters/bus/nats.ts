/**
 * The NATS bus and the actor that owns its connection.
 *
 * `createNatsBus` returns the bus at once (actors can subscribe before the network is up) and
 * `connectionSpec()`, the supervised child that connects, attaches the connection to the bus,
 * registers the `bzzz` micro service, and drains everything on stop. Put it under the
 * infrastructure supervisor, before anything that talks over the bus.
 *
 * Opening never blocks the tree: the actor starts, then connects in the background, retrying
 * with backoff on the injected clock while the server is unreachable or refuses the
 * credentials (logged once per minute). Until then, and whenever the client loses the server,
 * `bus.connected()` is false and `/health/ready` answers 503. The client reconnects forever by
 * itself; only a connection that closes for good (which we did not ask for) makes the actor
 * fail, so its supervisor restarts it with a fresh connection.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import { serviceSpec, type Resource } from '../../actors/service.js';
import { sleepUnlessAborted } from '../../lib/backoff.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog } from '../../lib/log.js';
import type { ChildSpec } from '../../supervisor/child.js';
import { EnvelopeBus } from './envelope-bus.js';
import { BusConnectError } from './errors.js';
import type { Bus, BusComponents, BusInit } from './types.js';
import { startMicroService, type NatsServiceHandlers } from './micro.js';
import { natsConnectionOptions, type NatsAuthInit, type NatsReconnectInit } from './nats-options.js';
import { NatsTransport } from './nats-transport.js';

export type { NatsServiceHandlers } from './micro.js';

/** Options of a NATS bus. */
export interface NatsBusInit extends BusInit, NatsAuthInit, NatsReconnectInit {
  /** Answers of the micro service; without them no service is registered. */
  service?: NatsServiceHandlers | undefined;
  /** Longest wait between two attempts at a first connection (default 5 s). */
  maxConnectDelayMs?: number | undefined;
}

/** A NATS bus and the child spec of its connection actor. */
export interface NatsBus {
  readonly bus: Bus & { readonly subscriptionCount: number };
  /** The connection actor (a `serviceSpec`), id `nats` by default. */
  connectionSpec(id?: string): ChildSpec;
  /** NATS subscriptions the bus holds on the server now (tests: no leak, no duplicate). */
  liveSubscriptions(): number;
  /** Connections made since creation (tests: a restart made a new one). */
  readonly connections: number;
  /** Resolves once the server has processed everything sent so far (subscriptions included). */
  flush(): Promise<void>;
}

/** Creates the bus; nothing connects until the connection actor starts. */
export function createNatsBus(init: NatsBusInit, components: BusComponents): NatsBus {
  const logger = components.logger.child({ component: 'nats' });
  const transport = new NatsTransport(logger);
  const bus = new EnvelopeBus(transport, init, components);
  let connections = 0;

  const open = (): Promise<Resource> => {
    const abort = new AbortController();
    const failures = new RateLimitedLog(logger, components.clock, 60_000);
    let failureListener: ((error: Error) => void) | undefined;
    let nc: NatsConnection | undefined;
    let service: Service | undefined;
    let stopping = false;

    const connectLoop = async (): Promise<void> => {
      for (let attempt = 0; !abort.signal.aborted; attempt++) {
        try {
          const options = await natsConnectionOptions(init);
          const connection = await connect(options);
          if (abort.signal.aborted) {
            await connection.close();
            return;
          }
          nc = connection;
          connections++;
          transport.attach(connection);
          logger.info({ server: connection.getServer() }, 'connected to NATS');
          if (init.service !== undefined) {
            service = await startMicroService(
              connection,
              init.cluster,
              init.nodeId,
              init.service,
              logger,
            ).catch((error: unknown) => {
              logger.warn({ err: describeError(error) }, 'cannot register the micro service');
              return undefined;
            });
          }
          void connection.closed().then((error) => {
            transport.detach(connection);
            if (stopping) return;
            const failure = new BusConnectError(init.servers, {
              cause: error ?? new Error('connection closed'),
            });
            failureListener?.(failure);
          });
          return;
        } catch (error) {
          const delay = Math.min(init.maxConnectDelayMs ?? 5_000, 250 * 2 ** Math.min(attempt, 10));
          failures.warn(
            'connect',
            { servers: init.servers, err: describeError(error), retryInMs: delay },
            'cannot connect to NATS',
          );
          await sleepUnlessAborted(components.clock, delay, abort.signal);
        }
      }
    };
    void connectLoop();

    const release = async (graceful: boolean): Promise<void> => {
      stopping = true;
      abort.abort();
      const connection = nc;
      if (connection === undefined) return;
      try {
        if (graceful) {
          await service?.stop().catch(() => undefined);
          await connection.drain();
        } else {
          await connection.close();
        }
      } catch (error) {
        logger.debug({ err: describeError(error) }, 'closing the NATS connection');
        if (!connection.isClosed()) await connection.close().catch(() => undefined);
      } finally {
        transport.detach(connection);
      }
    };

    return Promise.resolve({
      onFailure: (listener) => {
        failureListener = listener;
      },
      stop: () => release(true),
      kill: () => void release(false),
    });
  };

  return {
    bus,
    connectionSpec: (id = 'nats') => serviceSpec(id, open, { shutdown: 10_000 }),
    liveSubscriptions: () => transport.liveSubscriptions,
    flush: async () => {
      const nc = transport.connection;
      if (nc !== undefined && !nc.isClosed()) await nc.flush();
    },
    get connections() {
      return connections;
    },
  };
}
