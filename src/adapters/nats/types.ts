/** The types of the NATS connection port (see `index.ts`). */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import type { NatsAuthInit, NatsReconnectInit } from './options.js';

export type { NatsAuthInit, NatsReconnectInit } from './options.js';

/** Options of the shared connection. */
export interface NatsConnectorInit extends NatsAuthInit, NatsReconnectInit {
  /** Longest wait between two attempts at a first connection (default 5 s). */
  maxConnectDelayMs?: number | undefined;
}

/** Injected parts of the connector. */
export interface NatsComponents {
  clock: Clock;
  logger: Logger;
}

/** Told when the shared connection opens, and when it closes for good. */
export interface NatsConnectionListener {
  attach(nc: NatsConnection): void;
  detach(nc: NatsConnection): void;
}

/** The node's NATS connection. */
export interface NatsConnector {
  readonly servers: string;
  /** Connections made since creation (tests: a restart made a new one). */
  readonly connections: number;
  /** The open connection, if any. */
  current(): NatsConnection | undefined;
  /** Resolves with the open connection, waiting for one; rejects when `signal` aborts. */
  connection(signal?: AbortSignal): Promise<NatsConnection>;
  /** Attaches `listener` to the open connection now and to every later one. */
  follow(listener: NatsConnectionListener): () => void;
  /** Starts connecting in the background; stopping the resource drains the connection. */
  open(): Promise<Resource>;
}
