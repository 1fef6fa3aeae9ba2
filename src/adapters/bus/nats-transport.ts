/**
 * The NATS side of a bus: raw bytes on subjects over whatever connection the connection actor
 * currently holds. Subscriptions are kept here, not in the connection: when the actor attaches
 * a new connection (after a restart), each one is made once on it; while a connection is
 * reconnecting, the client keeps and restores them itself. So a subscription exists at most
 * once on the server whatever happens to the link, and publishing while disconnected is
 * buffered by the client (up to its limit) rather than lost at once.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Transport, TransportStatusListener } from './envelope-bus.js';
import type { BusStatus } from './types.js';

interface Entry {
  readonly subject: string;
  readonly onMessage: (subject: string, bytes: Uint8Array) => void;
  nats: Subscription | undefined;
}

/** A transport over a replaceable NATS connection. */
export class NatsTransport implements Transport {
  readonly #logger: Logger;
  readonly #entries = new Set<Entry>();
  readonly #listeners = new Set<TransportStatusListener>();
  #nc: NatsConnection | undefined;
  #status: BusStatus = 'connecting';

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The connection in use, for the micro service and tests; never leaves the adapter. */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** Subscriptions this transport holds on its connection now. */
  get liveSubscriptions(): number {
    let n = 0;
    for (const entry of this.#entries) if (entry.nats !== undefined && !entry.nats.isClosed()) n++;
    return n;
  }

  /** Starts using `nc`: subscribes every entry on it and follows its status. */
  attach(nc: NatsConnection): void {
    if (this.#status === 'closed') return;
    this.#nc = nc;
    for (const entry of this.#entries) this.#subscribeOn(nc, entry);
    this.#setStatus('connected');
    void this.#follow(nc);
  }

  /** Stops using the current connection (it was drained or closed). */
  detach(nc: NatsConnection): void {
    if (this.#nc !== nc) return;
    this.#nc = undefined;
    for (const entry of this.#entries) entry.nats = undefined;
    if (this.#status !== 'closed') this.#setStatus('connecting');
  }

  writable(): boolean {
    const nc = this.#nc;
    return nc !== undefined && this.#status !== 'closed' && !nc.isClosed() && !nc.isDraining();
  }

  publish(subject: string, bytes: Uint8Array): boolean {
    const nc = this.#nc;
    if (nc === undefined || !this.writable()) return false;
    try {
      nc.publish(subject, bytes);
      return true;
    } catch (error) {
      this.#logger.debug({ subject, err: describeError(error) }, 'NATS publish failed');
      return false;
    }
  }

  subscribe(subject: string, onMessage: (subject: string, bytes: Uint8Array) => void): () => void {
    const entry: Entry = { subject, onMessage, nats: undefined };
    this.#entries.add(entry);
    if (this.#nc !== undefined && !this.#nc.isClosed()) this.#subscribeOn(this.#nc, entry);
    return () => {
      if (!this.#entries.delete(entry)) return;
      try {
        entry.nats?.unsubscribe();
      } catch {
        // the connection is already gone, and its subscriptions with it
      }
      entry.nats = undefined;
    };
  }

  status(): BusStatus {
    return this.#status;
  }

  onStatus(listener: TransportStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends the transport; the connection actor drains the connection itself. */
  close(): Promise<void> {
    for (const entry of this.#entries) {
      try {
        entry.nats?.unsubscribe();
      } catch {
        // already gone
      }
    }
    this.#entries.clear();
    this.#setStatus('closed');
    return Promise.resolve();
  }

  #subscribeOn(nc: NatsConnection, entry: Entry): void {
    try {
      entry.nats = nc.subscribe(entry.subject, {
        callback: (error, msg) => {
          if (error !== null) {
            this.#logger.warn(
              { subject: entry.subject, err: describeError(error) },
              'NATS subscription error',
            );
            return;
          }
          entry.onMessage(msg.subject, msg.data);
        },
      });
    } catch (error) {
      this.#logger.warn({ subject: entry.subject, err: describeError(error) }, 'NATS subscribe failed');
    }
  }

  async #follow(nc: NatsConnection): Promise<void> {
    try {
      for await (const status of nc.status()) {
        if (this.#nc !== nc) return;
        if (status.type === 'disconnect') this.#setStatus('disconnected');
        else if (status.type === 'reconnect') this.#setStatus('connected');
      }
    } catch (error) {
      this.#logger.debug({ err: describeError(error) }, 'NATS status stream ended');
    }
  }

  #setStatus(status: BusStatus): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        this.#logger.warn({ err: describeError(error) }, 'bus status listener failed');
      }
    }
  }
}
