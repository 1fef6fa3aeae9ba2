/** The NATS connection options live with the connection (`src/adapters/nats/`). */
export type { NatsAuthInit, NatsReconnectInit } from '../nats/index.js';
