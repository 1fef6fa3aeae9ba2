/**
 * The one lifecycle of everything that holds a resource (a connection, a server, a store, a
 * pool of sandboxes). An adapter opens one and returns this; the supervision tree is the only
 * caller of `stop` and `kill` (through the `service` actor of `src/actors/service.ts`).
 */

/** What a service opens: something that can fail on its own and be stopped. */
export interface Resource {
  /** Registers the listener for a failure after start (a server error, a lost connection). */
  onFailure?(listener: (error: Error) => void): void;
  /** Graceful stop (drain). Safe to call twice. */
  stop(): Promise<void>;
  /** Immediate release, when the actor is killed. */
  kill?(): void;
}
