/**
 * The NATS connection port: one connection per node, shared by the bus transport, the
 * JetStream claim store and the `bzzz` micro service. The node runs it as a supervised child
 * (`open()` returns a {@link Resource}); its users follow it (a new connection after a
 * restart is attached to each of them) or wait for it. NATS types stay inside
 * `src/adapters/`: the node only passes the connector from one adapter to another.
 */
export type * from './types.js';
export { createNatsConnector } from './connector.js';
export { NatsConfigError, NatsConnectError } from './errors.js';
export {
  SERVICE_ENDPOINTS,
  openMicroService,
  serviceSubject,
  type MicroServiceInit,
  type NatsServiceHandlers,
} from './micro.js';
export { natsConnectionOptions } from './options.js';
