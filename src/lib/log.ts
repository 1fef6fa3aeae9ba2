/**
 * Logging: pino everywhere, plus a limiter that logs a recurring condition (a dead letter, a
 * rejected message) once per reason per interval instead of once per occurrence.
 */
import { pino, type Logger } from 'pino';
import type { Clock } from './clock.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; stderr by default so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? 'info', ...(options.name !== undefined ? { name: options.name } : {}) },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Logs at most once per `intervalMs` for each reason; counts what it suppressed. */
export class RateLimitedLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  warn(reason: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    const last = this.#last.get(reason);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    this.logger.warn({ ...fields, reason, suppressed: last?.suppressed ?? 0 }, message);
    this.#last.set(reason, { at: now, suppressed: 0 });
  }
}
