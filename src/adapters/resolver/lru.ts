/**
 * A bounded in-process cache, least recently used out first, each entry with an optional
 * lifetime read from the injected clock (so tests expire entries by advancing a clock).
 */
import type { Clock } from '../../lib/clock.js';

export class Lru<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly capacity: number,
    private readonly clock: Clock,
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.clock.now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` for `ttlMs` (default: until pushed out). */
  set(key: string, value: V, ttlMs = Number.POSITIVE_INFINITY): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.clock.now() + ttlMs });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
