/**
 * The writes a usage store owes its database while the database cannot take them: a bounded
 * queue, retried in batches with exponential backoff on the injected clock. A write is tried
 * at once when nothing waits before it; once one failed, later ones queue behind it (no
 * caller waits for a connection timeout per request while the server is down). When the
 * buffer is full the oldest write not being retried at that moment is dropped and counted;
 * on stop, one last attempt is made and what remains is counted as dropped and logged. A
 * write the database refuses for its data (retrying cannot help) is dropped and logged, never
 * retried. Nothing here throws at its caller.
 */
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { isNonRetryable } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import type { PendingWrite } from './records.js';

export interface WriteBufferOptions {
  capacity: number;
  /** Writes per attempt while catching up. */
  batchSize: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface WriteBufferComponents {
  clock: Clock;
  logger: Logger;
  /** A failure as one safe line (no secret), for the log and the health. */
  describe(error: unknown): string;
}

export class WriteBuffer {
  readonly #queue: PendingWrite[] = [];
  /** The batch being retried now: out of the queue, still pending, never the one dropped. */
  #inFlight: PendingWrite[] = [];
  readonly #warn: RateLimitedLog;
  #dropped = 0;
  #problem: string | undefined;
  #delayMs: number;
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly write: (batch: PendingWrite[]) => Promise<void>,
    private readonly options: WriteBufferOptions,
    private readonly components: WriteBufferComponents,
  ) {
    this.#delayMs = options.baseDelayMs;
    this.#warn = new RateLimitedLog(components.logger, components.clock);
  }

  /** Writes now when nothing waits, else queues; never rejects. */
  async submit(item: PendingWrite): Promise<void> {
    if (this.#closed) {
      this.#drop(1, 'the usage store is stopped');
      return;
    }
    if (this.#queue.length === 0 && this.#problem === undefined) {
      try {
        await this.write([item]);
        return;
      } catch (error) {
        if (isNonRetryable(error)) {
          this.#refused(error, 1);
          return;
        }
        this.#failed(error);
      }
    }
    this.#queue.push(item);
    if (this.#queue.length + this.#inFlight.length > this.options.capacity) {
      this.#queue.shift();
      this.#drop(1, 'the write buffer is full');
    }
    this.#schedule();
  }

  /** Marks the database unreachable (a failed start) and keeps trying to reach it. */
  markUnavailable(error: unknown): void {
    this.#failed(error);
    this.#schedule();
  }

  /** The writes owed, oldest first (the batch being retried included). */
  get pending(): readonly PendingWrite[] {
    return this.#inFlight.length === 0 ? this.#queue : [...this.#inFlight, ...this.#queue];
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Why the database is not taking writes, or undefined when it is. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** One last attempt, bounded by the write's own timeouts; what remains is dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.components.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    if (this.#queue.length > 0) await this.#flush();
    if (this.#queue.length > 0) {
      const lost = this.#queue.length;
      this.#queue.length = 0;
      this.#drop(lost, 'the usage store stopped before the database took them');
    }
  }

  /**
   * Writes a batch; returns what is still owed (empty when written). A batch the database
   * refuses for its data is written one by one, so one bad record cannot hold up the rest:
   * the refused ones are dropped and counted.
   */
  async #writeBatch(batch: PendingWrite[]): Promise<PendingWrite[]> {
    try {
      await this.write(batch);
      return [];
    } catch (error) {
      if (!isNonRetryable(error)) {
        this.#failed(error);
        return batch;
      }
      if (batch.length === 1) {
        this.#refused(error, 1);
        return [];
      }
    }
    for (const [i, item] of batch.entries()) {
      const left = await this.#writeBatch([item]);
      if (left.length > 0) return batch.slice(i);
    }
    return [];
  }

  #refused(error: unknown, count: number): void {
    this.#dropped += count;
    this.components.logger.warn(
      { problem: this.components.describe(error), dropped: this.#dropped },
      'usage write refused by the database: dropped',
    );
  }

  #failed(error: unknown): void {
    const problem = this.components.describe(error);
    if (this.#problem === undefined) this.components.logger.warn({ problem }, 'usage store degraded');
    this.#problem = problem;
  }

  #drop(count: number, why: string): void {
    this.#dropped += count;
    this.#warn.warn(why, { lost: count, dropped: this.#dropped }, `usage writes lost: ${why}`);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#flushing !== undefined || this.#closed) return;
    this.#timer = this.components.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#problem !== undefined) this.#schedule();
      });
    }, this.#delayMs);
    this.#delayMs = Math.min(this.#delayMs * 2, this.options.maxDelayMs);
  }

  /** Writes batches until the queue is empty (an empty queue still probes the database once). */
  async #flush(): Promise<void> {
    do {
      const batch = this.#queue.splice(0, this.options.batchSize);
      this.#inFlight = batch;
      const left = await this.#writeBatch(batch).finally(() => (this.#inFlight = []));
      if (left.length > 0) {
        this.#queue.unshift(...left);
        const over = this.#queue.length - this.options.capacity;
        if (over > 0) {
          this.#queue.splice(0, over);
          this.#drop(over, 'the write buffer is full');
        }
        return;
      }
    } while (this.#queue.length > 0);
    if (this.#problem !== undefined) this.components.logger.info('usage store reachable again');
    this.#problem = undefined;
    this.#delayMs = this.options.baseDelayMs;
  }
}
