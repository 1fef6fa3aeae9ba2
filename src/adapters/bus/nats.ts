/**
 * The NATS bus: envelopes over the node's shared NATS connection (`src/adapters/nats/`).
 *
 * `createNatsBus` returns the bus at once (actors can subscribe before the network is up); the
 * transport follows the connector, so every connection the connector opens (the first, and a
 * fresh one after its supervisor restarted it) is attached to the bus and each subscription
 * made on it once. Until then, and whenever the client loses the server, `bus.connected()` is
 * false and `/health/ready` answers 503. The connector, not the bus, is the supervised child.
 */
import type { NatsConnector } from '../nats/index.js';
import { EnvelopeBus } from './envelope-bus.js';
import type { Bus, BusComponents, BusInit } from './types.js';
import { NatsTransport } from './nats-transport.js';

export type { NatsServiceHandlers } from '../nats/index.js';

/** Options of a NATS bus. */
export type NatsBusInit = BusInit;

/** What a NATS bus gets injected: the shared connection besides clock, logger and counter. */
export interface NatsBusComponents extends BusComponents {
  connector: NatsConnector;
}

/** A NATS bus over a shared connection. */
export interface NatsBus {
  readonly bus: Bus & { readonly subscriptionCount: number };
  /** NATS subscriptions the bus holds on the server now (tests: no leak, no duplicate). */
  liveSubscriptions(): number;
  /** Connections the connector made since creation (tests: a restart made a new one). */
  readonly connections: number;
  /** Resolves once the server has processed everything sent so far (subscriptions included). */
  flush(): Promise<void>;
}

/** Creates the bus on `components.connector`; it carries messages once the connector is open. */
export function createNatsBus(init: NatsBusInit, components: NatsBusComponents): NatsBus {
  const { connector } = components;
  const transport = new NatsTransport(components.logger.child({ component: 'nats' }));
  // a closed transport ignores later connections, so the bus never needs to stop following
  connector.follow({
    attach: (nc) => transport.attach(nc),
    detach: (nc) => transport.detach(nc),
  });
  const bus = new EnvelopeBus(transport, init, components);
  return {
    bus,
    liveSubscriptions: () => transport.liveSubscriptions,
    flush: async () => {
      const nc = transport.connection;
      if (nc !== undefined && !nc.isClosed()) await nc.flush();
    },
    get connections() {
      return connector.connections;
    },
  };
}
