/**
 * When a supervisor may restart and how long it waits: restart intensity (at most
 * `maxRestarts` restarts within `periodMs`, OTP's intensity and period) and exponential
 * backoff with jitter between restarts of the same child. The first restart after a child
 * has run steadily is immediate, as in OTP; only a crash loop backs off.
 */
import type { Clock } from '../lib/clock.js';

export interface IntensityOptions {
  /** Restarts allowed within the period before the supervisor gives up (default 3). */
  maxRestarts?: number;
  /** The sliding window, ms (default 5000). */
  periodMs?: number;
}

export interface BackoffOptions {
  /** Delay before the second restart in a row, ms (default 10). Doubles each time after. */
  initialMs?: number;
  /** Ceiling of the delay, ms (default 5000). */
  maxMs?: number;
  /** Relative jitter, 0..1 (default 0.2): the delay is scaled by a factor in [1-j, 1+j]. */
  jitter?: number;
  /** A child that ran this long since its last start counts as steady again (default periodMs). */
  resetAfterMs?: number;
}

/** Counts restarts in a sliding window. */
export class RestartIntensity {
  readonly maxRestarts: number;
  readonly periodMs: number;
  #times: number[] = [];

  constructor(
    private readonly clock: Clock,
    options: IntensityOptions = {},
  ) {
    this.maxRestarts = options.maxRestarts ?? 3;
    this.periodMs = options.periodMs ?? 5_000;
  }

  /** Records one restart; false when it exceeds the intensity (the supervisor must fail). */
  record(): boolean {
    const now = this.clock.now();
    this.#times = this.#times.filter((t) => now - t < this.periodMs);
    this.#times.push(now);
    return this.#times.length <= this.maxRestarts;
  }

  get recent(): number {
    const now = this.clock.now();
    return this.#times.filter((t) => now - t < this.periodMs).length;
  }
}

/** Per-child backoff: 0 for the first restart, then initial × 2^(n-1), capped, jittered. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: number;
  readonly resetAfterMs: number;

  constructor(
    options: BackoffOptions,
    defaultResetMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 10;
    this.maxMs = options.maxMs ?? 5_000;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.resetAfterMs = options.resetAfterMs ?? defaultResetMs;
  }

  /**
   * The delay before restarting a child that has been restarted `consecutive` times in a
   * row already (0 means this is the first restart).
   */
  delay(consecutive: number): number {
    if (consecutive <= 0) return 0;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** (consecutive - 1));
    const factor = 1 + this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, base * factor)));
  }
}
