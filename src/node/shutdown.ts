/**
 * Graceful shutdown of a running node: the first request (a signal, a critical health
 * check) stops the tree within the timeout; a second signal, or the timeout, forces the exit
 * with code 1 and a log line naming the children that did not stop.
 */
import type { Clock, TimerHandle } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export interface Stoppable {
  stop(): Promise<void>;
  stuck(): string[];
}

export class ShutdownController {
  #stopping = false;
  #done = false;
  #timer: TimerHandle | undefined;
  readonly #exit: Promise<number>;
  #resolve: (code: number) => void = () => undefined;

  constructor(
    private readonly target: Stoppable,
    private readonly options: { clock: Clock; logger: Logger; timeoutMs: number },
  ) {
    this.#exit = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Resolves with the process exit code once the node has stopped or was forced. */
  get exitCode(): Promise<number> {
    return this.#exit;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** A signal: the first stops gracefully (exit 0), the second forces exit 1. */
  signal(name: string): void {
    if (this.#stopping) {
      this.options.logger.error({ signal: name, stuck: this.target.stuck() }, `second ${name}: forcing exit`);
      this.#finish(1);
      return;
    }
    this.request(name, 0);
  }

  /** Starts a graceful stop that will exit with `code`. */
  request(why: string, code: number): void {
    if (this.#stopping) return;
    this.#stopping = true;
    const { clock, logger, timeoutMs } = this.options;
    logger.info({ why, timeoutMs }, 'shutting down');
    this.#timer = clock.setTimeout(() => {
      logger.error({ stuck: this.target.stuck() }, `shutdown timed out after ${timeoutMs} ms; forcing exit`);
      this.#finish(1);
    }, timeoutMs);
    this.target.stop().then(
      () => {
        logger.info('stopped');
        this.#finish(code);
      },
      (error: unknown) => {
        logger.error({ err: describeError(error) }, 'shutdown failed');
        this.#finish(1);
      },
    );
  }

  /** The node ended on its own (its root failed). */
  failed(error: Error): void {
    if (this.#stopping) return;
    this.options.logger.fatal({ err: describeError(error) }, 'supervision tree failed; node exits');
    this.#finish(1);
  }

  #finish(code: number): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== undefined) this.options.clock.clearTimeout(this.#timer);
    this.#resolve(code);
  }
}
