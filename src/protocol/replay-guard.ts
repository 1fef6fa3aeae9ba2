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
  /** id → time after which the id is stale anyway; insertion order is arrival order. */
  readonly #seen = new Map<string, number>();

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
    if (this.#seen.size >= this.#capacity) {
      const oldest = this.#seen.keys().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
    this.#seen.set(id, timestampMs + this.#windowMs);
    return 'fresh';
  }

  /** Forgets every id. */
  clear(): void {
    this.#seen.clear();
  }

  #evict(now: number): void {
    // Arrival order is close to timestamp order; stopping at the first live id keeps this O(1)
    // amortised, and a late straggler is still dropped by capacity or a later pass.
    for (const [id, staleAt] of this.#seen) {
      if (staleAt >= now) break;
      this.#seen.delete(id);
    }
  }
}
