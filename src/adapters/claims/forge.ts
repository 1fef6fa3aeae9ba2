/**
 * The claim port on the local forge's directory (SPEC §8), for a cluster without a broker on
 * one host: every process of the machine already shares the forge directory, so the lease
 * table lives there, in `<forge dir>/.meta/claims/<cluster>/`, one file per key. Lease files
 * end in `.lease.json` and encoded keys hold no `.`, so the metadata of a repository that
 * happens to be named `claims/<cluster>` (`repo.json`, `tasks/`, `pulls/`) is never read as one.
 *
 * Every claim, renewal and release runs under the key's lock across processes (forge-table.ts),
 * reads the key's record, decides, and replaces the record by an atomic rename. So a claim is
 * create-if-absent (it writes only when the record is missing, released or expired), a renewal
 * and a release are compare-and-set on the grant's token, and exactly one of many racing
 * claimers wins. The token is the key's counter: a grant writes the last token plus one, and a
 * release keeps the record (state `released`), so tokens strictly increase per key for as long
 * as the directory lives. Reads take no lock: a rename shows a reader the old or the new record.
 *
 * Time follows the JetStream store's rule, the writer's clock standing in for the server's
 * (`maxClockSkewMs`, default 250 ms, bounds the difference between two processes' clocks):
 * - a holder's lease ends at `expiresAt = now + ttl` on its own clock, `now` read under the lock
 *   before the write; renew, release and `assertHeld` judge it by that moment;
 * - a reader (a would-be taker, `read`, `list`) treats a record as live until `expiresAt +
 *   maxClockSkewMs` on its own clock, which is after the holder's deadline whatever the offset
 *   within the skew. The taker pays the skew, the holder pays nothing.
 * Assumed: clocks do not jump while a lease is held, and nobody deletes or edits the table by
 * hand (a deleted record would restart its key's tokens at 1). Records are not fsynced: like the
 * local forge's own files, they are kept across process crashes, not across a power loss.
 */
import { join } from 'node:path';
import { toError, type Clock, type Logger } from '../../lib/index.js';
import {
  ClaimStoreConfigError,
  ClaimStoreStoppedError,
  InvalidLeaseRequestError,
  LeaseLostError,
  checkLeaseRequest,
  lostLease,
} from './errors.js';
import { liveForReaders, type ForgeLeaseRecord, type HeldRecord } from './forge-record.js';
import { LeaseFiles } from './forge-table.js';
import type { ClaimStore, ClaimStoreComponents, Lease, LeaseInfo } from './types.js';

/** User options of the forge claim store. */
export interface ForgeClaimStoreInit {
  /** The local forge's directory (`BZZZ_FORGE_DIR`), shared by every process of the host. */
  dir: string;
  /** The cluster name: the table is `<dir>/.meta/claims/<cluster>/`. */
  cluster: string;
  /** The largest difference between the clocks of two processes sharing the table (default 250 ms). */
  maxClockSkewMs?: number;
  /** Age after which a lock left by a killed process is taken over (default 10 000 ms, at least 2000). */
  lockStaleMs?: number;
}

/** Leases in files of the local forge's directory. */
export class ForgeClaimStore implements ClaimStore {
  /** The stated maximum clock skew, ms: readers wait this long past a lease's expiry. */
  readonly maxClockSkewMs: number;
  /** The directory of the lease table. */
  readonly tableDir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #files: LeaseFiles;
  readonly #inflight = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(init: ForgeClaimStoreInit, components: ClaimStoreComponents) {
    if (typeof init.dir !== 'string' || init.dir.length === 0) {
      throw new ClaimStoreConfigError('dir', init.dir, 'must name the forge directory');
    }
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(init.cluster)) {
      throw new ClaimStoreConfigError('cluster', init.cluster, 'must match [A-Za-z0-9_-]+');
    }
    this.maxClockSkewMs = init.maxClockSkewMs ?? 250;
    if (!Number.isFinite(this.maxClockSkewMs) || this.maxClockSkewMs < 0) {
      throw new ClaimStoreConfigError('maxClockSkewMs', init.maxClockSkewMs, 'must be >= 0');
    }
    const staleMs = init.lockStaleMs ?? 10_000;
    if (!Number.isFinite(staleMs) || staleMs < 2_000) {
      throw new ClaimStoreConfigError('lockStaleMs', init.lockStaleMs, 'must be >= 2000');
    }
    this.#clock = components.clock;
    this.#logger = components.logger;
    this.tableDir = join(init.dir, '.meta', 'claims', init.cluster);
    this.#files = new LeaseFiles({ dir: this.tableDir, staleMs, logger: components.logger });
  }

  /** Creates the table's directory; after a `stop` (a supervisor restart) takes calls again. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#files.open();
  }

  /** Refuses new calls, then waits for the calls under way (their locks are given back). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#inflight]);
  }

  claim(key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    return this.#run('claim', () => {
      checkLeaseRequest(key, holder, ttlMs);
      return this.#files.withLock(key, 'claim', async (held) => {
        const current = await this.#files.read(key);
        const now = this.#clock.now();
        if (!this.admits(current, now)) return null;
        const token = (current?.token ?? 0) + 1;
        const record: HeldRecord = { v: 1, key, state: 'held', token, holder, ttlMs, expiresAt: now + ttlMs };
        await this.#files.write(held, record);
        this.#logger.debug({ key, holder, token, takeover: current?.state === 'held' }, 'lease granted');
        return this.#lease(record);
      });
    });
  }

  /**
   * Whether a claim may replace `current`: the create-if-absent check. Protected only so that
   * a test can build a deliberately broken store and show the history checker catches it.
   */
  protected admits(current: ForgeLeaseRecord | null, now: number): boolean {
    return !liveForReaders(current, now, this.maxClockSkewMs);
  }

  renew(lease: Lease, ttlMs: number = lease.ttlMs): Promise<Lease> {
    return this.#run('renew', () => {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0)
        throw new InvalidLeaseRequestError('ttlMs', ttlMs, 'must be > 0');
      return this.#files.withLock(lease.key, 'renew', async (held) => {
        const current = this.#heldBy(lease, await this.#files.read(lease.key));
        const record: HeldRecord = { ...current, ttlMs, expiresAt: this.#clock.now() + ttlMs };
        await this.#files.write(held, record);
        return this.#lease(record);
      });
    });
  }

  release(lease: Lease, reason?: string): Promise<boolean> {
    return this.#run('release', () =>
      this.#files.withLock(lease.key, 'release', async (held) => {
        let current: HeldRecord;
        try {
          current = this.#heldBy(lease, await this.#files.read(lease.key));
        } catch (error) {
          if (error instanceof LeaseLostError) return false;
          throw error;
        }
        const { key, token, holder } = current;
        await this.#files.write(held, {
          v: 1,
          key,
          state: 'released',
          token,
          holder,
          releasedAt: this.#clock.now(),
        });
        this.#logger.debug({ key, holder, token, reason }, 'lease released');
        return true;
      }),
    );
  }

  read(key: string): Promise<LeaseInfo | null> {
    return this.#run('read', async () => this.#info(await this.#files.read(key)));
  }

  list(): Promise<LeaseInfo[]> {
    return this.#run('list', async () => {
      const infos = (await this.#files.all()).map((record) => this.#info(record));
      return infos
        .filter((info): info is LeaseInfo => info !== null)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  #info(record: ForgeLeaseRecord | null): LeaseInfo | null {
    if (record?.state !== 'held' || !liveForReaders(record, this.#clock.now(), this.maxClockSkewMs)) {
      return null;
    }
    return { key: record.key, holder: record.holder, token: record.token, expiresAt: record.expiresAt };
  }

  /** The stored record if it is still the lease's live grant, else the reason it is lost. */
  #heldBy(lease: Lease, record: ForgeLeaseRecord | null): HeldRecord {
    if (this.#stopped) throw lostLease(lease, 'stopped');
    if (record?.state !== 'held') throw lostLease(lease, 'released');
    if (record.token !== lease.token || record.holder !== lease.holder) {
      throw lostLease(lease, 'taken', { holder: record.holder, token: record.token });
    }
    if (this.#clock.now() >= record.expiresAt) throw lostLease(lease, 'expired');
    return record;
  }

  async #assertHeld(lease: Lease): Promise<void> {
    if (this.#stopped) throw lostLease(lease, 'stopped');
    this.#heldBy(lease, await this.#files.read(lease.key));
  }

  #lease(record: HeldRecord): Lease {
    const lease: Lease = Object.freeze({
      key: record.key,
      holder: record.holder,
      token: record.token,
      expiresAt: record.expiresAt,
      ttlMs: record.ttlMs,
      assertHeld: () => this.#assertHeld(lease).catch((error: unknown) => Promise.reject(toError(error))),
    });
    return lease;
  }

  /** Runs one call unless stopped, and keeps it in flight until it settles, for `stop`. */
  #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.#stopped) return Promise.reject(new ClaimStoreStoppedError(operation));
    const running = (async () => fn())();
    this.#inflight.add(running);
    const settled = () => this.#inflight.delete(running);
    running.then(settled, settled);
    return running;
  }
}
