/**
 * The message queue of a supervisor: jobs run one at a time, in order, each to completion,
 * starting on a later microtask so that a request never runs in the stack of the actor that
 * made it. A failing job is reported and the queue goes on.
 */
export class SerialQueue {
  #jobs: (() => Promise<void>)[] = [];
  #busy = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Queues `job`; resolves or rejects with its result once it has run. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push(() => job().then(resolve, reject));
      if (this.#busy) return;
      this.#busy = true;
      queueMicrotask(() => void this.#drain());
    });
  }

  /** Drops every job not started yet (a killed supervisor). */
  clear(): void {
    this.#jobs = [];
  }

  async #drain(): Promise<void> {
    while (this.#jobs.length > 0) {
      const batch = this.#jobs;
      this.#jobs = [];
      for (const job of batch) {
        try {
          await job();
        } catch (error) {
          this.onError(error);
        }
      }
    }
    this.#busy = false;
  }
}
