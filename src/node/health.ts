/**
 * Health checks: each runs on its own interval with a timeout; its last status, run time,
 * duration and message are kept for `/health/checks`. A check marked critical that keeps
 * failing for longer than the grace period starts a graceful shutdown of the node.
 */
import type { Clock, TimerHandle } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export interface HealthCheck {
  name: string;
  /** A critical check that stays failed shuts the node down. */
  critical?: boolean;
  intervalMs?: number;
  timeoutMs?: number;
  /** Resolves (optionally with a message) when healthy; throws when not. */
  run(): Promise<string | undefined> | string | undefined;
}

export interface CheckStatus {
  name: string;
  critical: boolean;
  status: 'pass' | 'fail' | 'pending';
  last_run: string | null;
  duration_ms: number;
  message: string;
  failing_since: string | null;
}

export interface HealthMonitorOptions {
  clock: Clock;
  logger: Logger;
  defaultIntervalMs: number;
  /** How long a critical check may stay failed before the node shuts down. */
  criticalGraceMs: number;
  onCriticalFailure: (check: string, message: string) => void;
  onStatus?: (check: string, up: boolean) => void;
}

interface State {
  check: HealthCheck;
  status: CheckStatus;
  failingSince: number | undefined;
  timer: TimerHandle | undefined;
}

export class HealthMonitor {
  readonly #states: State[];
  #running = false;
  #tripped = false;

  constructor(
    checks: HealthCheck[],
    private readonly options: HealthMonitorOptions,
  ) {
    this.#states = checks.map((check) => ({
      check,
      status: {
        name: check.name,
        critical: check.critical ?? false,
        status: 'pending',
        last_run: null,
        duration_ms: 0,
        message: 'not run yet',
        failing_since: null,
      },
      failingSince: undefined,
      timer: undefined,
    }));
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await Promise.all(this.#states.map((s) => this.#runOnce(s)));
    for (const state of this.#states) this.#schedule(state);
  }

  stop(): Promise<void> {
    this.#running = false;
    for (const state of this.#states) {
      if (state.timer !== undefined) this.options.clock.clearTimeout(state.timer);
      state.timer = undefined;
    }
    return Promise.resolve();
  }

  statuses(): CheckStatus[] {
    return this.#states.map((s) => ({ ...s.status }));
  }

  /** `fail` if a critical check fails, `warn` if another fails, else `pass`. */
  overall(): 'pass' | 'warn' | 'fail' {
    let result: 'pass' | 'warn' | 'fail' = 'pass';
    for (const { status } of this.#states) {
      if (status.status !== 'fail') continue;
      if (status.critical) return 'fail';
      result = 'warn';
    }
    return result;
  }

  #schedule(state: State): void {
    if (!this.#running) return;
    const interval = state.check.intervalMs ?? this.options.defaultIntervalMs;
    state.timer = this.options.clock.setTimeout(() => {
      state.timer = undefined;
      void this.#runOnce(state).then(() => this.#schedule(state));
    }, interval);
  }

  async #runOnce(state: State): Promise<void> {
    const { clock } = this.options;
    const started = clock.now();
    const timeoutMs = state.check.timeoutMs ?? 5_000;
    let timer: TimerHandle | undefined;
    try {
      const message = await Promise.race([
        Promise.resolve().then(() => state.check.run()),
        new Promise<never>((_, reject) => {
          timer = clock.setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.#record(state, started, true, message ?? 'ok');
    } catch (error) {
      this.#record(state, started, false, describeError(error));
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
  }

  #record(state: State, started: number, ok: boolean, message: string): void {
    const now = this.options.clock.now();
    const wasFailing = state.failingSince !== undefined;
    if (ok) state.failingSince = undefined;
    else state.failingSince ??= now;
    state.status = {
      ...state.status,
      status: ok ? 'pass' : 'fail',
      last_run: new Date(started).toISOString(),
      duration_ms: now - started,
      message,
      failing_since: state.failingSince === undefined ? null : new Date(state.failingSince).toISOString(),
    };
    this.options.onStatus?.(state.check.name, ok);
    if (!ok && !wasFailing)
      this.options.logger.warn({ check: state.check.name, message }, 'health check failing');
    if (ok && wasFailing) this.options.logger.info({ check: state.check.name }, 'health check recovered');
    if (
      !ok &&
      state.status.critical &&
      !this.#tripped &&
      this.#running &&
      now - (state.failingSince ?? now) >= this.options.criticalGraceMs
    ) {
      this.#tripped = true;
      this.options.logger.error(
        { check: state.check.name, message },
        'critical health check stayed failed: shutting down',
      );
      this.options.onCriticalFailure(state.check.name, message);
    }
  }
}
