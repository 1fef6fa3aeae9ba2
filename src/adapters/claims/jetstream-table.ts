/**
 * The claims bucket as a table of lease entries, behind which every NATS type stays: one
 * connection (from a factory), the KV bucket `bzzz-<cluster>-claims`, reads of the last entry
 * per key, writes and deletes by compare-and-set on the revision.
 *
 * Connection handling: the client reconnects forever on its own. While it is disconnected
 * every call fails at once with {@link ClaimStoreUnavailableError} instead of being buffered
 * (a buffered renewal sent seconds later would be a surprise to its caller); once it is back,
 * calls work again. A connection that closed for good is replaced from the factory on the
 * next call. A shared connection (the node's) is never closed here: its owner drains it.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../lib/index.js';
import { decodeClaimKey, encodeClaimKey } from './jetstream-key.js';
import { ClaimStoreUnavailableError } from './errors.js';
import { decodeRecord, encodeRecord, type LeaseRecord, type StoredLease } from './jetstream-record.js';

export interface LeaseTableOptions {
  bucket: string;
  replicas: number;
  /** Upper bound of one JetStream request. */
  requestTimeoutMs: number;
  connect: () => Promise<NatsConnection>;
  /** The connection belongs to someone else: the table never drains or closes it. */
  shared: boolean;
  logger: Logger;
}

interface Handles {
  nc: NatsConnection;
  kv: KV;
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** Lease entries in a JetStream KV bucket. */
export class KvLeaseTable {
  readonly #options: LeaseTableOptions;
  #handles: Promise<Handles> | undefined;
  #connected = false;
  #closing = false;

  constructor(options: LeaseTableOptions) {
    this.#options = options;
  }

  /** Connects and creates the bucket if it does not exist. */
  async open(): Promise<void> {
    this.#closing = false;
    await this.#kv('open the claims bucket');
  }

  async close(): Promise<void> {
    this.#closing = true;
    const handles = this.#handles;
    this.#handles = undefined;
    if (handles === undefined || this.#options.shared) return;
    try {
      const { nc } = await handles;
      await nc.drain().catch(() => nc.close());
    } catch {
      // The connection never opened: nothing to close.
    }
  }

  /** The last entry of `key`, or null when the key was never written. */
  async get(key: string): Promise<StoredLease | null> {
    return this.#call('read a lease', async (kv) => {
      const entry = await kv.get(encodeClaimKey(key));
      if (entry === null) return null;
      const deleted = entry.operation !== 'PUT';
      return {
        key,
        revision: entry.revision,
        createdAt: entry.created.getTime(),
        record: deleted ? null : decodeRecord(entry.value),
      };
    });
  }

  /**
   * Writes `record` if the last revision of `key` is still `expectedRevision` (0: the key was
   * never written). Resolves with the new revision, or null when another write came first.
   */
  async write(key: string, record: LeaseRecord, expectedRevision: number): Promise<number | null> {
    return this.#call('write a lease', async (kv) => {
      try {
        return await kv.put(encodeClaimKey(key), encodeRecord(record), { previousSeq: expectedRevision });
      } catch (error) {
        if (isConflict(error)) return null;
        throw error;
      }
    });
  }

  /** Deletes `key` if its last revision is still `expectedRevision`; false when it moved on. */
  async remove(key: string, expectedRevision: number): Promise<boolean> {
    return this.#call('delete a lease', async (kv) => {
      try {
        await kv.delete(encodeClaimKey(key), { previousSeq: expectedRevision });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    });
  }

  /** The last entry of every key that holds a value (delete markers skipped). */
  async all(): Promise<StoredLease[]> {
    const keys = await this.#call('list leases', async (kv) => {
      const found: string[] = [];
      for await (const encoded of await kv.keys()) found.push(encoded);
      return found;
    });
    const entries = await Promise.all(
      keys.map((encoded) => {
        const key = decodeClaimKey(encoded);
        return key === undefined ? Promise.resolve(null) : this.get(key);
      }),
    );
    return entries.filter((e): e is StoredLease => e !== null);
  }

  async #call<T>(operation: string, fn: (kv: KV) => Promise<T>): Promise<T> {
    const kv = await this.#kv(operation);
    if (!this.#connected)
      throw new ClaimStoreUnavailableError(operation, { cause: new Error('disconnected') });
    try {
      return await fn(kv);
    } catch (error) {
      // A server that came back without its store lost the bucket: open it again next time.
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
        void this.#forget();
      }
      throw new ClaimStoreUnavailableError(operation, { cause: error });
    }
  }

  async #forget(): Promise<void> {
    const handles = this.#handles;
    this.#handles = undefined;
    if (this.#options.shared) return;
    try {
      if (handles !== undefined) await (await handles).nc.close();
    } catch {
      // Already gone.
    }
  }

  async #kv(operation: string): Promise<KV> {
    this.#handles ??= this.#connect();
    try {
      return (await this.#handles).kv;
    } catch (error) {
      this.#handles = undefined;
      throw new ClaimStoreUnavailableError(operation, { cause: error });
    }
  }

  async #connect(): Promise<Handles> {
    const nc = await this.#options.connect();
    try {
      const js = jetstream(nc, { timeout: this.#options.requestTimeoutMs });
      const kvm = new Kvm(js);
      let kv: KV;
      try {
        kv = await kvm.create(this.#options.bucket, { history: 1, replicas: this.#options.replicas });
      } catch (error) {
        // two nodes creating the bucket at once: the loser's create fails ("subjects overlap
        // with an existing stream"), and the bucket the winner made is the one to use
        kv = await kvm.open(this.#options.bucket).catch(() => Promise.reject(error as Error));
      }
      this.#connected = !nc.isClosed();
      this.#watch(nc);
      return { nc, kv };
    } catch (error) {
      if (!this.#options.shared) await nc.close().catch(() => undefined);
      throw error;
    }
  }

  /** Follows the connection's status; forgets a connection that closed for good. */
  #watch(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          this.#connected = false;
          this.#options.logger.warn({ bucket: this.#options.bucket }, 'claims store disconnected');
        } else if (status.type === 'reconnect') {
          this.#connected = true;
          this.#options.logger.info({ bucket: this.#options.bucket }, 'claims store reconnected');
        }
      }
    })().catch(() => undefined);
    void nc.closed().then(() => {
      this.#connected = false;
      if (!this.#closing) this.#handles = undefined;
    });
  }
}
