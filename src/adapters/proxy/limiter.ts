/**
 * Requests- and tokens-per-minute limits as token buckets: a bucket holds at most its
 * per-minute limit and refills at limit/60 per second. A request takes one token from each
 * `rpm` bucket of its key and model, and its estimated tokens from each `tpm` bucket, all or
 * nothing; when one lacks, nothing is taken and the caller learns how long until it would
 * not. A request bigger than a whole minute's allowance waits for a full bucket (and leaves
 * it in debt) rather than never passing. After the reply, the tokens estimated are settled
 * against the tokens used: the bucket is charged the difference, or refunded it.
 *
 * This file is the in-memory limiter (one process) and what every limiter shares; the
 * Redis one (`redis-limiter.ts`) runs the same arithmetic in one script, so that proxies
 * sharing a Redis share one set of buckets.
 */
import type { Clock } from '../../lib/clock.js';
import type { ModelLimits, VirtualKey } from './keys.js';

/** One bucket a request draws on: `rpm:key:agent-1`, `tpm:model:gpt-4o`. */
export interface Bucket {
  id: string;
  /** The limit per minute: what the bucket holds when full. */
  capacity: number;
  /** What the request takes (negative: a refund, when settling). */
  cost: number;
}

export type TakeResult = { ok: true } | { ok: false; bucket: string; retryAfterMs: number };

export interface RateLimiter {
  /** Takes every bucket's cost, or none of them and says which one lacked and for how long. */
  take(buckets: readonly Bucket[]): Promise<TakeResult>;
  /** Applies the costs whatever the levels (the difference between estimate and use). */
  settle(buckets: readonly Bucket[]): Promise<void>;
  close(): Promise<void>;
}

export const MINUTE_MS = 60_000;

/** The buckets a request of `key` for `model` draws on, with `tokens` estimated. */
export function bucketsFor(
  key: VirtualKey,
  model: string,
  limits: ModelLimits | undefined,
  tokens: number,
): Bucket[] {
  const buckets: Bucket[] = [];
  if (key.rpm !== undefined) buckets.push({ id: `rpm:key:${key.name}`, capacity: key.rpm, cost: 1 });
  if (key.tpm !== undefined) buckets.push({ id: `tpm:key:${key.name}`, capacity: key.tpm, cost: tokens });
  if (limits?.rpm !== undefined) buckets.push({ id: `rpm:model:${model}`, capacity: limits.rpm, cost: 1 });
  if (limits?.tpm !== undefined)
    buckets.push({ id: `tpm:model:${model}`, capacity: limits.tpm, cost: tokens });
  return buckets;
}

/** The token buckets of `taken` charged `delta` more tokens (negative: refunded). */
export function settlement(taken: readonly Bucket[], delta: number): Bucket[] {
  if (delta === 0) return [];
  return taken.filter((b) => b.id.startsWith('tpm:')).map((b) => ({ ...b, cost: delta }));
}

/** A bucket's level after refilling from `level` at `at` until `now`. */
export function refilled(level: number, at: number, now: number, capacity: number): number {
  return Math.min(capacity, level + (Math.max(0, now - at) * capacity) / MINUTE_MS);
}

/** Milliseconds until a bucket at `level` holds what `cost` needs (capped at a full bucket). */
export function waitFor(level: number, cost: number, capacity: number): number {
  const need = Math.min(cost, capacity);
  return level >= need ? 0 : Math.ceil(((need - level) * MINUTE_MS) / capacity);
}

interface Level {
  level: number;
  at: number;
}

/** The buckets of one process, on the injected clock. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #levels = new Map<string, Level>();

  constructor(private readonly clock: Clock) {}

  take(buckets: readonly Bucket[]): Promise<TakeResult> {
    const now = this.clock.now();
    const levels = buckets.map((b) => this.#level(b, now));
    let refusal: TakeResult = { ok: true };
    buckets.forEach((b, i) => {
      const wait = waitFor(levels[i]!, b.cost, b.capacity);
      if (wait > 0 && (refusal.ok || wait > refusal.retryAfterMs))
        refusal = { ok: false, bucket: b.id, retryAfterMs: wait };
    });
    if (!refusal.ok) return Promise.resolve(refusal);
    buckets.forEach((b, i) => this.#levels.set(b.id, { level: levels[i]! - b.cost, at: now }));
    this.#sweep(now);
    return Promise.resolve({ ok: true });
  }

  settle(buckets: readonly Bucket[]): Promise<void> {
    const now = this.clock.now();
    for (const b of buckets)
      this.#levels.set(b.id, { level: Math.min(b.capacity, this.#level(b, now) - b.cost), at: now });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #level(b: Bucket, now: number): number {
    const stored = this.#levels.get(b.id);
    return stored === undefined ? b.capacity : refilled(stored.level, stored.at, now, b.capacity);
  }

  /** Forgets buckets untouched for long enough to be full again, once there are many. */
  #sweep(now: number): void {
    if (this.#levels.size < 10_000) return;
    for (const [id, l] of this.#levels) if (l.level >= 0 && now - l.at > MINUTE_MS) this.#levels.delete(id);
  }
}
