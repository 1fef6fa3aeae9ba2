/**
 * The periodic garbage collection of a content store, as a resource with the one lifecycle
 * (src/lib/resource.ts): a run every `intervalMs` on the injected clock, one at a time;
 * `stop` cancels the next run and waits for the one under way. A failed run is logged and
 * the next one is still scheduled: a full disk or a busy index must not stop collection.
 */
import type { Clock, TimerHandle } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Resource } from '../../lib/resource.js';
import type { ContentStore, GcReport } from './types.js';

export interface GarbageCollectorInit {
  /** Between the end of one run and the start of the next (default 10 min). */
  intervalMs?: number;
  /** Overrides the store's grace period. */
  graceMs?: number;
}

export class GarbageCollector implements Resource {
  readonly #intervalMs: number;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(
    private readonly store: ContentStore,
    private readonly init: GarbageCollectorInit,
    private readonly components: { clock: Clock; logger: Logger; onRun?(report: GcReport): void },
  ) {
    this.#intervalMs = init.intervalMs ?? 10 * 60 * 1000;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.components.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.components.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, this.#intervalMs);
  }

  async #run(): Promise<void> {
    try {
      const report = await this.store.gc(
        this.init.graceMs === undefined ? {} : { graceMs: this.init.graceMs },
      );
      if (report.removed.length > 0)
        this.components.logger.info(
          { removed: report.removed.length, freedBytes: report.freedBytes },
          'content store gc',
        );
      this.components.onRun?.(report);
    } catch (error) {
      this.components.logger.warn({ err: error }, 'content store gc failed; retrying at the next interval');
    }
  }
}
