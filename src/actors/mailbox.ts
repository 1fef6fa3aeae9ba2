/**
 * Mailboxes and the dispatcher that drains them. A send never runs the receiver in the
 * sender's stack: it appends to the receiver's bounded queue, and the dispatcher delivers in
 * batches on the microtask queue, yielding to I/O (setImmediate) after a budget of messages,
 * so a busy actor cannot starve timers and sockets.
 *
 * Overflow policy: **drop newest**. When a mailbox holds `capacity` messages, the message
 * being sent is refused (the send returns false, an ask rejects with MailboxFullError) and
 * counted in `bzzz_mailbox_dropped_total`; what is already queued is kept in order.
 *
 * A mailbox without a receiver is suspended: it buffers (up to its capacity) while its actor
 * restarts, and delivers to the replacement once it is attached.
 */
import type { MailboxMessage } from './message.js';

export type Deliver = (message: MailboxMessage) => void;

export class Mailbox {
  #queue: MailboxMessage[] = [];
  #head = 0;
  #receiver: Deliver | undefined;
  /** True while the mailbox sits in the dispatcher's run queue. */
  scheduled = false;

  constructor(
    readonly path: string,
    readonly capacity: number,
    private readonly dispatcher: Dispatcher,
  ) {}

  get size(): number {
    return this.#queue.length - this.#head;
  }

  get attached(): boolean {
    return this.#receiver !== undefined;
  }

  /** Appends a message; false when the mailbox is full (the message is dropped). */
  enqueue(message: MailboxMessage): boolean {
    if (this.#queue.length - this.#head >= this.capacity) return false;
    this.#queue.push(message);
    if (!this.scheduled && this.#receiver !== undefined) this.dispatcher.schedule(this);
    return true;
  }

  attach(receiver: Deliver): void {
    this.#receiver = receiver;
    if (this.size > 0 && !this.scheduled) this.dispatcher.schedule(this);
  }

  /** Detaches the receiver; messages buffer until the next attach. */
  suspend(): void {
    this.#receiver = undefined;
  }

  /** Removes and returns every queued message (for dead-lettering). */
  drainAll(): MailboxMessage[] {
    const rest = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    return rest;
  }

  /**
   * Delivers up to `max` messages; returns how many. A receiver that throws does not stop
   * the mailbox: the error goes to `onError` and delivery continues.
   */
  run(max: number, onError: (message: MailboxMessage, error: unknown) => void): number {
    let delivered = 0;
    while (delivered < max && this.#head < this.#queue.length) {
      const receiver = this.#receiver;
      if (receiver === undefined) break;
      const message = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined as unknown as MailboxMessage;
      this.#head++;
      delivered++;
      try {
        receiver(message);
      } catch (error) {
        onError(message, error);
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return delivered;
  }
}

/** Runs mailboxes that have messages, fairly, in bounded batches. */
export class Dispatcher {
  #runQueue: Mailbox[] = [];
  #draining = false;
  #idleWaiters: (() => void)[] = [];

  constructor(
    private readonly onError: (message: MailboxMessage, error: unknown) => void,
    private readonly batch = 256,
    private readonly budget = 8192,
  ) {}

  schedule(mailbox: Mailbox): void {
    mailbox.scheduled = true;
    this.#runQueue.push(mailbox);
    if (!this.#draining) {
      this.#draining = true;
      queueMicrotask(this.#drain);
    }
  }

  /** Resolves when no mailbox has messages left to deliver. */
  idle(): Promise<void> {
    if (!this.#draining) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  readonly #drain = (): void => {
    let spent = 0;
    let index = 0;
    while (index < this.#runQueue.length) {
      const mailbox = this.#runQueue[index++]!;
      spent += mailbox.run(this.batch, this.onError);
      if (mailbox.size > 0 && mailbox.attached) this.#runQueue.push(mailbox);
      else mailbox.scheduled = false;
      if (spent >= this.budget) break;
    }
    this.#runQueue = this.#runQueue.slice(index);
    if (this.#runQueue.length > 0) {
      setImmediate(this.#drain);
      return;
    }
    this.#draining = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  };
}
