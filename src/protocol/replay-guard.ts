/**
 * Replay protection: remembers the ids of recently accepted messages and refuses a second
 * message with the same id. Memory is bounded twice: an id is forgotten once its message is
 * older than the window (such a message is refused as `stale` anyway, so forgetting it opens
 * no hole), and at most `capacity` ids are kept (the oldest go first). Only a flood of more
 * than `capacity` *validly signed* messages within the window could push an id out early.
 * Messages stamped further than `skewMs` in the future are refused as `stale` too, so a
 * sender cannot make its id outlive the window.
 */
import type { Clock } from '../lib/clock.js';

/** What the guard says about a message. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'stale';

/** Options of a {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  clock: Clock;
  /** How old a message may be, in ms (default 5 minutes). */
  windowMs?: number;
  /** How far in the future a timestamp may be, in ms (clock skew; default 1 minute). */
  skewMs?: number;
  /** Most ids remembered (default 100,000). */
  capacity?: number;
}

/** A bounded memory of recent message ids. */
export class ReplayGuard {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #skewMs: number;
  readonly #capacity: number;
  /** id → time after which the id is stale anyway. */
  readonly #seen = new Map<string, number>();
  /**
   * The same ids in arrival order, oldest at `#head`: forgetting the oldest is an index step,
   * not a walk over a map's deleted slots (which V8 iterates until it next rehashes).
   */
  #queue: string[] = [];
  /** When each queued id goes stale (an id forgotten and seen again is queued twice). */
  #staleAt: number[] = [];
  #head = 0;

  constructor(options: ReplayGuardOptions) {
    this.#clock = options.clock;
    this.#windowMs = options.windowMs ?? 5 * 60_000;
    this.#skewMs = options.skewMs ?? 60_000;
    this.#capacity = Math.max(1, options.capacity ?? 100_000);
  }

  /** Ids remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Checks a message and, when it is fresh, remembers its id. Call it only after the message
   * is authenticated, or a forger could burn the ids of messages still to come.
   */
  check(id: string, timestampMs: number): ReplayVerdict {
    const now = this.#clock.now();
    if (
      !Number.isFinite(timestampMs) ||
      now - timestampMs > this.#windowMs ||
      timestampMs - now > this.#skewMs
    ) {
      return 'stale';
    }
    this.#evict(now);
    if (this.#seen.has(id)) return 'replayed';
    while (this.#seen.size >= this.#capacity && this.#head < this.#queue.length) this.#forgetOldest();
    const staleAt = timestampMs + this.#windowMs;
    this.#seen.set(id, staleAt);
    this.#queue.push(id);
    this.#staleAt.push(staleAt);
    return 'fresh';
  }

  /** Forgets every id. */
  clear(): void {
    this.#seen.clear();
    this.#queue = [];
    this.#staleAt = [];
    this.#head = 0;
  }

  #evict(now: number): void {
    // Arrival order is close to timestamp order; stopping at the first live id keeps this O(1)
    // amortised, and a late straggler is still dropped by capacity or a later pass.
    while (this.#head < this.#queue.length && this.#staleAt[this.#head]! < now) this.#forgetOldest();
  }

  #forgetOldest(): void {
    const id = this.#queue[this.#head];
    if (id === undefined) return;
    // the entry of this arrival only: the id may have been forgotten and seen again since
    if (this.#seen.get(id) === this.#staleAt[this.#head]) this.#seen.delete(id);
    this.#queue[this.#head] = '';
    this.#head++;
    // Drop the consumed front once it is most of the array, so memory follows the live ids.
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#staleAt = this.#staleAt.slice(this.#head);
      this.#head = 0;
    }
  }
}
