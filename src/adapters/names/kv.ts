/**
 * Task name records in the JetStream KV bucket `bzzz-<cluster>-names` (with NATS): each node
 * puts its own records under `<node id>.<task name id as a token>.<artifact>` (token.ts: the
 * name id `demo~calc:1` is `demo_7Ecalc_3A1`), the record's wire bytes as the value, so
 * listing `*.<token>.<artifact>` finds every node's record of one artifact of a task. The
 * bucket keeps the last value per key. Whatever is read here is checked by the index like any
 * record: anyone who can write to the bucket can write anything into it.
 *
 * The bucket is opened on first use over the node's shared connection (never closed here) and
 * again after that connection was replaced; a call while NATS is down fails at once with
 * {@link NameBucketUnavailableError}.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeNameRecord, encodeToken, nameOfRecord, parseTaskRecordPath } from '../../protocol/index.js';
import type { NameRecord } from '../../protocol/index.js';
import type { NatsConnector } from '../nats/index.js';
import { NameBucketUnavailableError } from './errors.js';
import type { FoundNameRecord, TaskArtifactPath, TaskNameNetwork } from './types.js';

export interface KvTaskNamesInit {
  /** The cluster name: the bucket is `bzzz-<cluster>-names`. */
  cluster: string;
  /** Replicas of the bucket's stream on a clustered server (default 1). */
  replicas?: number;
  /** Upper bound of one JetStream request (default 2000 ms). */
  requestTimeoutMs?: number;
  /** Keys read at most for one artifact of one task (default 256). */
  maxKeys?: number;
}

/** The KV key of a record (its path must be a task name's). */
export function kvKeyOf(record: NameRecord): string {
  const parsed = parseTaskRecordPath(nameOfRecord(record).path);
  if (parsed === undefined) throw new TypeError(`${record.path} is no task name`);
  return `${record.node}.${encodeToken(parsed.nameId)}.${parsed.artifact}`;
}

export class KvTaskNames implements TaskNameNetwork {
  readonly source = 'kv';
  readonly bucket: string;
  readonly #init: Required<Omit<KvTaskNamesInit, 'cluster'>>;
  readonly #connector: NatsConnector;
  #open: { nc: NatsConnection; kv: Promise<KV> } | undefined;

  constructor(init: KvTaskNamesInit, components: { connector: NatsConnector }) {
    this.bucket = `bzzz-${init.cluster}-names`;
    this.#init = { replicas: 1, requestTimeoutMs: 2_000, maxKeys: 256, ...init };
    this.#connector = components.connector;
  }

  async publish(record: NameRecord): Promise<void> {
    const kv = await this.#kv('publish a name record');
    try {
      await kv.put(kvKeyOf(record), encodeNameRecord(record));
    } catch (error) {
      throw new NameBucketUnavailableError(this.bucket, 'publish a name record', { cause: error });
    }
  }

  async find(nameId: string, artifact: TaskArtifactPath, signal: AbortSignal): Promise<FoundNameRecord[]> {
    const kv = await this.#kv('list name records');
    try {
      const keys: string[] = [];
      const listing = await kv.keys(`*.${encodeToken(nameId)}.${artifact}`);
      for await (const key of listing) {
        if (keys.length >= this.#init.maxKeys || signal.aborted) {
          listing.stop();
          break;
        }
        keys.push(key);
      }
      const entries = await Promise.all(keys.map((key) => kv.get(key)));
      const found: FoundNameRecord[] = [];
      entries.forEach((entry, i) => {
        if (entry === null || entry.operation !== 'PUT') return;
        found.push({ record: entry.value, node: keys[i]!.split('.')[0]! });
      });
      return found;
    } catch (error) {
      throw new NameBucketUnavailableError(this.bucket, 'list name records', { cause: error });
    }
  }

  /** The bucket on the node's connection now, opened (and created) once per connection. */
  #kv(operation: string): Promise<KV> {
    const nc = this.#connector.current();
    if (nc === undefined || nc.isClosed()) {
      return Promise.reject(
        new NameBucketUnavailableError(this.bucket, operation, { cause: new Error('not connected to NATS') }),
      );
    }
    let open = this.#open;
    if (open?.nc !== nc) {
      const kv = this.#create(nc);
      open = { nc, kv };
      this.#open = open;
      // a failed open is tried again on the next call
      kv.catch(() => {
        if (this.#open?.kv === kv) this.#open = undefined;
      });
    }
    return open.kv.catch((error: unknown) => {
      throw new NameBucketUnavailableError(this.bucket, operation, { cause: error });
    });
  }

  async #create(nc: NatsConnection): Promise<KV> {
    const kvm = new Kvm(jetstream(nc, { timeout: this.#init.requestTimeoutMs }));
    try {
      return await kvm.create(this.bucket, { history: 1, replicas: this.#init.replicas });
    } catch (error) {
      // two nodes creating the bucket at once: the loser opens the winner's
      return kvm.open(this.bucket).catch(() => Promise.reject(error as Error));
    }
  }
}
