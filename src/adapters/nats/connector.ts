/**
 * The one NATS connection of a node, shared by the bus, the claim store and the micro service.
 *
 * `open()` never blocks: it starts connecting in the background, retrying with backoff on the
 * injected clock while the server is unreachable or refuses the credentials (logged once per
 * minute). Users follow the connection (`follow`: attached when one opens, detached when it
 * closes) or wait for it (`connection()`). The client reconnects forever by itself; only a
 * connection that closes for good (which we did not ask for) is reported through the
 * resource's `onFailure`, so the supervisor opens the connector again with a fresh connection.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sleepUnlessAborted } from '../../lib/backoff.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import { NatsConnectError } from './errors.js';
import type { NatsComponents, NatsConnectionListener, NatsConnector, NatsConnectorInit } from './types.js';
import { natsConnectionOptions } from './options.js';

/** Creates the connector; nothing connects until `open()`. */
export function createNatsConnector(init: NatsConnectorInit, components: NatsComponents): NatsConnector {
  return new SharedNatsConnection(init, components);
}

class SharedNatsConnection implements NatsConnector {
  readonly #init: NatsConnectorInit;
  readonly #components: NatsComponents;
  readonly #logger: NatsComponents['logger'];
  readonly #listeners = new Set<NatsConnectionListener>();
  readonly #waiters = new Set<(nc: NatsConnection) => void>();
  #nc: NatsConnection | undefined;
  #connections = 0;

  constructor(init: NatsConnectorInit, components: NatsComponents) {
    this.#init = init;
    this.#components = components;
    this.#logger = components.logger.child({ component: 'nats' });
  }

  get servers(): string {
    return this.#init.servers;
  }

  get connections(): number {
    return this.#connections;
  }

  current(): NatsConnection | undefined {
    return this.#nc;
  }

  connection(signal?: AbortSignal): Promise<NatsConnection> {
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) return Promise.resolve(nc);
    return new Promise((resolve, reject) => {
      const waiter = (next: NatsConnection): void => {
        signal?.removeEventListener('abort', aborted);
        resolve(next);
      };
      const aborted = (): void => {
        this.#waiters.delete(waiter);
        reject(new NatsConnectError(this.#init.servers, { cause: signal?.reason }));
      };
      if (signal?.aborted === true) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      this.#waiters.add(waiter);
    });
  }

  follow(listener: NatsConnectionListener): () => void {
    this.#listeners.add(listener);
    if (this.#nc !== undefined) listener.attach(this.#nc);
    return () => this.#listeners.delete(listener);
  }

  open(): Promise<Resource> {
    const abort = new AbortController();
    let failureListener: ((error: Error) => void) | undefined;
    let stopping = false;
    let own: NatsConnection | undefined;
    const opened = (nc: NatsConnection): void => {
      own = nc;
      void nc.closed().then((error) => {
        this.#detach(nc);
        if (stopping) return;
        failureListener?.(
          new NatsConnectError(this.#init.servers, { cause: error ?? new Error('connection closed') }),
        );
      });
    };
    void this.#connectLoop(abort.signal, opened);
    const release = async (graceful: boolean): Promise<void> => {
      stopping = true;
      abort.abort();
      if (own !== undefined) await this.#close(own, graceful);
    };
    return Promise.resolve({
      onFailure: (listener) => {
        failureListener = listener;
      },
      stop: () => release(true),
      kill: () => void release(false),
    });
  }

  async #connectLoop(signal: AbortSignal, opened: (nc: NatsConnection) => void): Promise<void> {
    const failures = new RateLimitedLog(this.#logger, this.#components.clock, 60_000);
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const connection = await connect(await natsConnectionOptions(this.#init));
        if (signal.aborted) {
          await connection.close();
          return;
        }
        this.#attach(connection);
        opened(connection);
        return;
      } catch (error) {
        const delay = Math.min(this.#init.maxConnectDelayMs ?? 5_000, 250 * 2 ** Math.min(attempt, 10));
        failures.warn(
          'connect',
          { servers: this.#init.servers, err: describeError(error), retryInMs: delay },
          'cannot connect to NATS',
        );
        await sleepUnlessAborted(this.#components.clock, delay, signal);
      }
    }
  }

  #attach(nc: NatsConnection): void {
    this.#nc = nc;
    this.#connections++;
    this.#logger.info({ server: nc.getServer() }, 'connected to NATS');
    for (const listener of this.#listeners) listener.attach(nc);
    for (const waiter of this.#waiters) waiter(nc);
    this.#waiters.clear();
  }

  #detach(nc: NatsConnection): void {
    if (this.#nc !== nc) return;
    this.#nc = undefined;
    for (const listener of this.#listeners) listener.detach(nc);
  }

  /** Drains (or closes at once): the users of the connection were stopped before, by the tree. */
  async #close(nc: NatsConnection, graceful: boolean): Promise<void> {
    try {
      if (graceful) await nc.drain();
      else await nc.close();
    } catch (error) {
      this.#logger.debug({ err: describeError(error) }, 'closing the NATS connection');
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    } finally {
      this.#detach(nc);
    }
  }
}
