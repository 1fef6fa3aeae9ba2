/**
 * The claim port on a JetStream KV bucket `bzzz-<cluster>-claims` (SPEC §8), for agents on
 * several machines. Every decision is a compare-and-set on the KV revision: a claim writes only
 * if the key is absent or its last entry is released or expired (create-if-absent, or CAS on
 * the dead entry's revision, so exactly one of many racing claimers wins a takeover); renew and
 * release name the revision they last saw. The revision of the grant write is the fencing
 * token; renewals keep it inside the value, so it is stable across renewals and strictly
 * increasing per key across grants (stream sequences only grow).
 *
 * Time, and why clocks need not agree beyond a stated skew `maxClockSkewMs` (default 250 ms,
 * the largest difference between any node's clock and the nats-server's):
 * - A holder's lease ends at `sentAt + ttl` on its own clock, `sentAt` read *before* the write
 *   was sent. Only the holder's clock rate matters: it never compares its time with another's.
 * - A reader (a would-be taker) treats an entry as live until `created + ttl + maxClockSkewMs`
 *   on its own clock, `created` being the server's timestamp of the write. With every clock
 *   within the skew of the server's, that moment is after the server's `created + ttl`, which
 *   is after the holder's `sentAt + ttl` (the server stamped the write after it was sent).
 * So a takeover can only happen after the old holder's own deadline, whatever the offsets;
 * the taker pays the skew, the holder pays nothing. Holders that want a margin for the effect
 * in flight stop earlier still (the lease machine gives up at `expiresAt - skew`).
 * Assumed: wall clocks do not jump while a lease is held, and the bucket is never deleted.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsAuthInit, NatsConnector } from '../nats/index.js';
import { toError, type Clock, type Logger } from '../../lib/index.js';
import {
  ClaimStoreConfigError,
  ClaimStoreStoppedError,
  InvalidLeaseRequestError,
  LeaseLostError,
  checkLeaseRequest,
  lostLease,
} from './errors.js';
import type { ClaimStore, ClaimStoreComponents, Lease, LeaseInfo } from './types.js';
import { connectAlone, currentConnection } from './jetstream-connect.js';
import { liveForReaders, tokenOf, type LeaseRecord, type StoredLease } from './jetstream-record.js';
import { KvLeaseTable } from './jetstream-table.js';

/** User options of the JetStream claim store. */
export interface JetStreamClaimStoreInit {
  /** The cluster name: the bucket is `bzzz-<cluster>-claims`. */
  cluster: string;
  /** NATS server URLs (default `nats://127.0.0.1:4222`); ignored with `connect` or `connector`. */
  servers?: string | string[];
  /** Credentials and TLS, the same options the bus connects with (`nats_creds`, ...). */
  auth?: Omit<NatsAuthInit, 'servers'>;
  /** The largest difference between any node's clock and the server's (default 250 ms). */
  maxClockSkewMs?: number;
  /** Upper bound of one request to JetStream (default 2000 ms). */
  requestTimeoutMs?: number;
  /** Replicas of the bucket's stream on a clustered server (default 1). */
  replicas?: number;
}

/** What the JetStream store gets injected besides the clock and logger. */
export interface JetStreamClaimStoreComponents extends ClaimStoreComponents {
  /** The node's shared connection: the store waits for it, and never closes it. */
  connector?: NatsConnector;
  /** Opens a connection of the store's own (tests); the store closes it. */
  connect?: () => Promise<NatsConnection>;
}

/** The revision this store last wrote for one grant: the fast path of renew and release. */
interface OwnWrite {
  token: number;
  revision: number;
  expiresAt: number;
}

const CAS_ATTEMPTS = 3;

/** Leases in JetStream KV. */
export class JetStreamClaimStore implements ClaimStore {
  /** The stated maximum clock skew, ms: readers wait this long past a lease's TTL. */
  readonly maxClockSkewMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #table: KvLeaseTable;
  readonly #own = new Map<string, OwnWrite>();
  readonly #connector: NatsConnector | undefined;
  #stopping = new AbortController();
  #stopped = false;

  constructor(init: JetStreamClaimStoreInit, components: JetStreamClaimStoreComponents) {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(init.cluster)) {
      throw new ClaimStoreConfigError('cluster', init.cluster, 'must match [A-Za-z0-9_-]+');
    }
    this.maxClockSkewMs = init.maxClockSkewMs ?? 250;
    if (!Number.isFinite(this.maxClockSkewMs) || this.maxClockSkewMs < 0) {
      throw new ClaimStoreConfigError('maxClockSkewMs', init.maxClockSkewMs, 'must be >= 0');
    }
    this.#clock = components.clock;
    this.#logger = components.logger;
    const { connector } = components;
    this.#table = new KvLeaseTable({
      bucket: `bzzz-${init.cluster}-claims`,
      replicas: init.replicas ?? 1,
      requestTimeoutMs: init.requestTimeoutMs ?? 2_000,
      logger: components.logger,
      ...(connector === undefined
        ? { connect: components.connect ?? (() => connectAlone(init)), shared: false }
        : { connect: () => currentConnection(connector), shared: true }),
    });
    this.#connector = connector;
  }

  /** Opens the bucket; after a `stop` (a restart by the supervisor) opens it again. */
  async start(): Promise<void> {
    if (this.#stopped) {
      this.#stopped = false;
      this.#stopping = new AbortController();
    }
    // the node's connection opens in the background: wait for it (until stopped), then calls fail fast
    await this.#connector?.connection(this.#stopping.signal);
    await this.#table.open();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    this.#own.clear();
    await this.#table.close();
  }

  async claim(key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    this.#guard('claim');
    checkLeaseRequest(key, holder, ttlMs);
    // Optimistic create-if-absent: a key never claimed costs one round trip.
    let sentAt = this.#clock.now();
    let revision = await this.#table.write(key, grantRecord(holder, ttlMs, sentAt), 0);
    if (revision === null) {
      const current = await this.#table.get(key);
      if (!this.admits(current, this.#clock.now())) return null;
      sentAt = this.#clock.now();
      revision = await this.#table.write(key, grantRecord(holder, ttlMs, sentAt), current?.revision ?? 0);
      if (revision === null) return null;
    }
    const expiresAt = sentAt + ttlMs;
    this.#own.set(key, { token: revision, revision, expiresAt });
    this.#logger.debug({ key, holder, token: revision }, 'lease granted');
    return this.#lease({ key, holder, token: revision, expiresAt, ttlMs });
  }

  /**
   * Whether a claim may replace `current`: the create-if-absent check. Protected only so that
   * a test can build a deliberately broken store and show the history checker catches it.
   */
  protected admits(current: StoredLease | null, now: number): boolean {
    return !liveForReaders(current, now, this.maxClockSkewMs);
  }

  async renew(lease: Lease, ttlMs: number = lease.ttlMs): Promise<Lease> {
    this.#guard('renew');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new InvalidLeaseRequestError('ttlMs', ttlMs, 'must be > 0');
    let base = this.#cached(lease);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      base ??= this.#heldBy(lease, await this.#table.get(lease.key));
      if (this.#clock.now() >= base.expiresAt) throw lostLease(lease, 'expired');
      const sentAt = this.#clock.now();
      const record: LeaseRecord = { ...grantRecord(lease.holder, ttlMs, sentAt), token: lease.token };
      const revision = await this.#table.write(lease.key, record, base.revision);
      if (revision !== null) {
        this.#own.set(lease.key, { token: lease.token, revision, expiresAt: record.expiresAt });
        return this.#lease({ ...lease, expiresAt: record.expiresAt, ttlMs });
      }
      // Someone wrote since: re-read and find out whether it is still ours.
      base = undefined;
    }
    throw lostLease(lease, 'taken');
  }

  async release(lease: Lease, reason?: string): Promise<boolean> {
    this.#guard('release');
    let base = this.#cached(lease);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      if (base === undefined) {
        try {
          base = this.#heldBy(lease, await this.#table.get(lease.key));
        } catch (error) {
          if (error instanceof LeaseLostError) return false;
          throw error;
        }
      }
      if (this.#clock.now() >= base.expiresAt) return false;
      if (await this.#table.remove(lease.key, base.revision)) {
        this.#forget(lease);
        this.#logger.debug(
          { key: lease.key, holder: lease.holder, token: lease.token, reason },
          'lease released',
        );
        return true;
      }
      base = undefined;
    }
    return false;
  }

  async read(key: string): Promise<LeaseInfo | null> {
    this.#guard('read');
    return this.#info(await this.#table.get(key));
  }

  async list(): Promise<LeaseInfo[]> {
    this.#guard('list');
    const infos = (await this.#table.all()).map((entry) => this.#info(entry));
    return infos
      .filter((info): info is LeaseInfo => info !== null)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  #info(entry: StoredLease | null): LeaseInfo | null {
    if (entry?.record == null || !liveForReaders(entry, this.#clock.now(), this.maxClockSkewMs)) return null;
    return {
      key: entry.key,
      holder: entry.record.holder,
      token: tokenOf(entry),
      expiresAt: entry.record.expiresAt,
    };
  }

  /** What this store last wrote for the lease's grant, when it still knows. */
  #cached(lease: Lease): OwnWrite | undefined {
    const own = this.#own.get(lease.key);
    return own?.token === lease.token ? own : undefined;
  }

  #forget(lease: Lease): void {
    if (this.#own.get(lease.key)?.token === lease.token) this.#own.delete(lease.key);
  }

  /** The stored entry if it is still the lease's live grant, else the reason it is lost. */
  #heldBy(lease: Lease, entry: StoredLease | null): OwnWrite {
    if (this.#stopped) throw lostLease(lease, 'stopped');
    if (entry?.record == null) {
      this.#forget(lease);
      throw lostLease(lease, 'released');
    }
    const token = tokenOf(entry);
    if (token !== lease.token || entry.record.holder !== lease.holder) {
      this.#forget(lease);
      throw lostLease(lease, 'taken', { holder: entry.record.holder, token });
    }
    if (this.#clock.now() >= entry.record.expiresAt) throw lostLease(lease, 'expired');
    return { token, revision: entry.revision, expiresAt: entry.record.expiresAt };
  }

  async #assertHeld(lease: Lease): Promise<void> {
    if (this.#stopped) throw lostLease(lease, 'stopped');
    this.#heldBy(lease, await this.#table.get(lease.key));
  }

  #lease(info: LeaseInfo & { ttlMs: number }): Lease {
    const lease: Lease = Object.freeze({
      key: info.key,
      holder: info.holder,
      token: info.token,
      expiresAt: info.expiresAt,
      ttlMs: info.ttlMs,
      assertHeld: () => this.#assertHeld(lease).catch((error: unknown) => Promise.reject(toError(error))),
    });
    return lease;
  }

  #guard(operation: string): void {
    if (this.#stopped) throw new ClaimStoreStoppedError(operation);
  }
}

function grantRecord(holder: string, ttlMs: number, sentAt: number): LeaseRecord {
  return { v: 1, holder, ttlMs, expiresAt: sentAt + ttlMs };
}
