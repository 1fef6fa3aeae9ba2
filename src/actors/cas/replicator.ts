/**
 * The CAS replicator (issue 15): keeps every pinned blob on `replicas` live nodes, the ones
 * rendezvous hashing picks over the membership (placement.ts). It announces each pinned blob
 * this node holds (`blob_announce` on the coordination channel; all of them again every
 * `reannounceMs` and when a node joins, so a newcomer learns the holders), keeps the holder
 * table the announces feed (holders.ts), and fetches a blob this node should hold and does not
 * from a holder through the blob transfer port; every fetched blob goes through `putVerified`,
 * so a holder that sends wrong bytes is refused (logged, counted) and the next one is tried.
 * When membership declares a holder dead its entries go, placement is computed again, and the
 * nodes that now should hold its blobs fetch them: the factor comes back without being asked.
 * The same fetch is the store's repair hook ({@link CasReplicator.repairSource}).
 */
import { hashBytes, type BlobHash } from '../../adapters/cas/index.js';
import type { TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import { HolderTable } from './holders.js';
import { placeBlob } from './placement.js';
import type { BlobHeld, BlobReplicaState, ReplicatorComponents, ReplicatorInit } from './types.js';

export type * from './types.js';

const LIVE = new Set(['alive', 'suspect']);

export class CasReplicator {
  readonly #self: string;
  readonly #replicas: number;
  readonly #reannounceMs: number;
  readonly #concurrency: number;
  readonly #c: ReplicatorComponents;
  readonly #table = new HolderTable();
  /** Hashes that lost a holder to death: their next fetch is a repair. */
  readonly #lost = new Set<BlobHash>();
  readonly #fetching = new Map<BlobHash, Promise<void>>();
  readonly #waiting: BlobHash[] = [];
  #states = new Map<string, string>();
  #unsubscribe: (() => void)[] = [];
  #timer: TimerHandle | undefined;
  #abort = new AbortController();
  #running = false;

  constructor(init: ReplicatorInit, components: ReplicatorComponents) {
    this.#self = init.nodeId;
    this.#replicas = Math.max(1, init.replicas ?? 3);
    this.#reannounceMs = init.reannounceMs ?? 30_000;
    this.#concurrency = Math.max(1, init.concurrency ?? 4);
    this.#c = components;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    const { store, announcer, membership } = this.#c;
    this.#unsubscribe = [
      store.subscribe((event) => {
        if (event.type === 'blob.stored' || event.type === 'blob.pinned' || event.type === 'blob.repaired')
          void this.#check(event.hash);
        else if (event.type === 'blob.deleted' || event.type === 'blob.unpinned')
          this.#table.remove(event.hash, this.#self);
      }),
      announcer.subscribe((from, blob) => this.#heard(from, blob)),
      membership.subscribe(() => this.#membershipChanged()),
    ];
    this.#states = new Map(membership.states());
    await this.#scan();
    this.#tick();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting.length = 0;
    this.#abort.abort();
    await Promise.allSettled([...this.#fetching.values()]);
  }

  /** Live nodes known to hold `hash` (this one included). */
  holders(hash: BlobHash): string[] {
    const live = new Set(this.#liveNodes());
    return this.#table.holders(hash).filter((node) => live.has(node));
  }

  /** Blobs the table knows with fewer live holders than wanted. */
  underReplicated(): number {
    const live = new Set(this.#liveNodes());
    const wanted = Math.min(this.#replicas, live.size);
    let count = 0;
    for (const blob of this.#table.blobs())
      if (blob.holders.filter((node) => live.has(node)).length < wanted) count++;
    return count;
  }

  /** A blob's replication state as this node sees it. */
  async state(hash: BlobHash): Promise<BlobReplicaState> {
    const info = await this.#c.store.stat(hash);
    const live = this.#liveNodes();
    return {
      hash,
      size: info?.size ?? this.#table.size(hash) ?? null,
      pinned: info?.pinned ?? false,
      holders: this.holders(hash),
      wanted: Math.min(this.#replicas, live.length),
      placement: placeBlob(hash, live, this.#replicas),
    };
  }

  /**
   * The store's repair hook: a good copy of `hash` from a live holder, verified here (the
   * whole blob in memory), or undefined when no holder has one.
   */
  readonly repairSource = async (hash: BlobHash): Promise<Uint8Array | undefined> => {
    for (const holder of this.#candidates(hash)) {
      try {
        const { bytes } = await this.#c.transfer.fetch(holder, hash, this.#abort.signal);
        const chunks: Uint8Array[] = [];
        for await (const chunk of bytes) chunks.push(chunk);
        const copy = Buffer.concat(chunks);
        // the store counts the hook's outcome (repaired, failed)
        if ((await hashBytes(copy)) === hash) return copy;
        this.#badCopy(holder, hash);
      } catch (error) {
        this.#c.logger.debug({ holder, hash, err: describeError(error) }, 'repair fetch failed');
      }
    }
    return undefined;
  };

  /** A stored or pinned blob of this store: announced and counted once it is pinned. */
  async #check(hash: BlobHash): Promise<void> {
    try {
      const info = await this.#c.store.stat(hash);
      if (info?.pinned !== true || !this.#running) return;
      if (!this.#table.add(hash, this.#self, info.size, this.#c.clock.now())) return;
      this.#c.announcer.publish({ hash, size: info.size });
      this.#provide(hash);
      this.#reconcile(hash);
    } catch (error) {
      this.#c.logger.warn({ hash, err: describeError(error) }, 'cannot read a stored blob');
    }
  }

  #heard(from: string, blob: BlobHeld): void {
    if (from === this.#self || !this.#running || this.#states.get(from) === 'dead') return;
    if (this.#table.add(blob.hash, from, blob.size, this.#c.clock.now())) this.#reconcile(blob.hash);
  }

  #membershipChanged(): void {
    if (!this.#running) return;
    const before = this.#states;
    const now = new Map(this.#c.membership.states());
    this.#states = now;
    let joined = false;
    for (const [node, state] of before) {
      const next = now.get(node);
      if (node !== this.#self && state !== 'dead' && (next === undefined || next === 'dead')) {
        for (const hash of this.#table.dropNode(node)) this.#lost.add(hash);
        this.#c.logger.info({ node }, 'holder declared dead: its blobs are placed again');
      }
    }
    for (const [node, state] of now)
      if (node !== this.#self && LIVE.has(state) && !LIVE.has(before.get(node) ?? 'absent')) joined = true;
    if (joined) this.#announceAll();
    this.#reconcileAll();
  }

  /**
   * Walks the store: each pinned blob is held here, any other is not. Another process on the
   * same data dir (`bzzz cas put`) stores blobs this replicator hears no event of; the walk on
   * every tick finds them.
   */
  async #scan(): Promise<void> {
    const pinned = new Map<BlobHash, number>();
    for await (const info of this.#c.store.list()) if (info.pinned) pinned.set(info.hash, info.size);
    if (!this.#running) return;
    const at = this.#c.clock.now();
    for (const [hash, size] of pinned) if (this.#table.add(hash, this.#self, size, at)) this.#provide(hash);
    for (const blob of [...this.#table.blobs()])
      if (blob.holders.includes(this.#self) && !pinned.has(blob.hash))
        this.#table.remove(blob.hash, this.#self);
  }

  #tick(): void {
    if (!this.#running) return;
    this.#announceAll();
    this.#reconcileAll();
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#scan().then(
        () => this.#tick(),
        (error: unknown) => {
          this.#c.logger.warn({ err: describeError(error) }, 'cannot walk the content store');
          this.#tick();
        },
      );
    }, this.#reannounceMs);
  }

  #announceAll(): void {
    for (const blob of this.#table.blobs())
      if (blob.holders.includes(this.#self)) this.#c.announcer.publish({ hash: blob.hash, size: blob.size });
  }

  #reconcileAll(): void {
    for (const blob of [...this.#table.blobs()]) this.#reconcile(blob.hash);
  }

  /** Queues a fetch when placement wants `hash` here and this node does not hold it. */
  #reconcile(hash: BlobHash): void {
    if (this.#table.holders(hash).includes(this.#self)) {
      this.#lost.delete(hash);
      return;
    }
    if (this.#fetching.has(hash) || this.#waiting.includes(hash)) return;
    if (!placeBlob(hash, this.#liveNodes(), this.#replicas).includes(this.#self)) return;
    this.#waiting.push(hash);
    this.#pump();
  }

  #pump(): void {
    while (this.#running && this.#fetching.size < this.#concurrency && this.#waiting.length > 0) {
      const hash = this.#waiting.shift()!;
      const fetching = this.#fetch(hash).finally(() => {
        this.#fetching.delete(hash);
        this.#pump();
      });
      this.#fetching.set(hash, fetching);
    }
  }

  /** Fetches `hash` from each live holder in turn until one sends the right bytes. */
  async #fetch(hash: BlobHash): Promise<void> {
    const repair = this.#lost.has(hash);
    const count = repair ? this.#c.metrics?.repaired : this.#c.metrics?.replicated;
    const tried = new Set<string>();
    // holders heard while a fetch runs are tried too, before giving up until the next tick
    for (;;) {
      const holder = this.#candidates(hash).find((node) => !tried.has(node));
      if (holder === undefined || !this.#running) break;
      tried.add(holder);
      try {
        const { bytes } = await this.#c.transfer.fetch(holder, hash, this.#abort.signal);
        const stored = await this.#c.store.putVerified(hash, bytes, { pin: true });
        this.#lost.delete(hash);
        count?.('ok');
        this.#c.logger.debug({ hash, holder, repair }, 'blob replicated');
        await this.#check(stored.hash);
        return;
      } catch (error) {
        if ((error as { name?: unknown }).name === 'HashMismatchError') this.#badCopy(holder, hash);
        else this.#c.logger.debug({ hash, holder, err: describeError(error) }, 'blob fetch failed');
      }
    }
    if (this.#running) {
      count?.('failed');
      this.#c.logger.warn({ hash, repair }, 'no holder could send the blob: trying again later');
    }
  }

  #badCopy(holder: string, hash: BlobHash): void {
    this.#c.metrics?.badCopy?.();
    this.#c.logger.warn({ holder, hash }, 'a holder sent bytes that do not hash to the blob: refused');
  }

  /** Holders to fetch from: not this node, not dead; placed holders first. */
  #candidates(hash: BlobHash): string[] {
    const live = new Set(this.#liveNodes());
    return this.#table
      .holders(hash)
      .filter((node) => node !== this.#self && this.#states.get(node) !== 'dead')
      .sort((a, b) => Number(live.has(b)) - Number(live.has(a)));
  }

  #provide(hash: BlobHash): void {
    this.#c.transfer.provide(hash).catch((error: unknown) => {
      this.#c.logger.debug({ hash, err: describeError(error) }, 'no provider record published');
    });
  }

  /** This node and every member alive or suspect. */
  #liveNodes(): string[] {
    const nodes = [this.#self];
    for (const [node, state] of this.#states) if (node !== this.#self && LIVE.has(state)) nodes.push(node);
    return nodes;
  }
}
