/**
 * Resource subscriptions of every session: which task names each session subscribed to, by
 * task, so that a change of one task notifies exactly the sessions that asked about it, each
 * with the URIs it subscribed with. Bounded per session; a closed session's are dropped.
 */
import { BzzzError, describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

/** Sends `notifications/resources/updated` for one URI to one session. */
export type UpdateSender = (uri: string) => Promise<void>;

/** A session asked for more subscriptions than it may hold. */
export class TooManySubscriptionsError extends BzzzError {
  override readonly name = 'TooManySubscriptionsError';
  constructor(readonly limit: number) {
    super(`a session holds at most ${limit} subscriptions: unsubscribe from some first`, {
      retryable: false,
    });
  }
}

interface Subscriber {
  send: UpdateSender;
  /** URI → task key. */
  uris: Map<string, string>;
}

export class Subscriptions {
  readonly #subscribers = new Map<string, Subscriber>();
  /** Task key → subscriber ids. */
  readonly #byTask = new Map<string, Set<string>>();
  readonly #perSession: number;
  readonly #logger: Logger;

  constructor(options: { perSession?: number; logger: Logger }) {
    this.#perSession = options.perSession ?? 256;
    this.#logger = options.logger;
  }

  /** Registers a session's sender (before its first subscription). */
  open(id: string, send: UpdateSender): void {
    if (!this.#subscribers.has(id)) this.#subscribers.set(id, { send, uris: new Map() });
  }

  add(id: string, key: string, uri: string): void {
    const subscriber = this.#subscribers.get(id);
    if (subscriber === undefined) return;
    if (!subscriber.uris.has(uri) && subscriber.uris.size >= this.#perSession)
      throw new TooManySubscriptionsError(this.#perSession);
    subscriber.uris.set(uri, key);
    let ids = this.#byTask.get(key);
    if (ids === undefined) this.#byTask.set(key, (ids = new Set()));
    ids.add(id);
  }

  remove(id: string, uri: string): void {
    const subscriber = this.#subscribers.get(id);
    const key = subscriber?.uris.get(uri);
    if (subscriber === undefined || key === undefined) return;
    subscriber.uris.delete(uri);
    if (![...subscriber.uris.values()].includes(key)) this.#forget(key, id);
  }

  /** Drops a closed session's subscriptions. */
  close(id: string): void {
    const subscriber = this.#subscribers.get(id);
    if (subscriber === undefined) return;
    for (const key of new Set(subscriber.uris.values())) this.#forget(key, id);
    this.#subscribers.delete(id);
  }

  /** Subscriptions held now, over every session. */
  size(): number {
    let n = 0;
    for (const subscriber of this.#subscribers.values()) n += subscriber.uris.size;
    return n;
  }

  /** Tells every session subscribed to a name of task `key` that it changed. */
  changed(key: string): void {
    for (const id of this.#byTask.get(key) ?? []) {
      const subscriber = this.#subscribers.get(id);
      if (subscriber === undefined) continue;
      for (const [uri, of] of subscriber.uris) {
        if (of !== key) continue;
        subscriber.send(uri).catch((error: unknown) => {
          this.#logger.debug({ uri, err: describeError(error) }, 'MCP: could not notify a subscriber');
        });
      }
    }
  }

  #forget(key: string, id: string): void {
    const ids = this.#byTask.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#byTask.delete(key);
  }
}
