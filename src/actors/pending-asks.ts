/**
 * The asks of one actor system still waiting for their reply: each has a correlation id
 * (`corr`, which its reply carries back to `$ask/<corr>`) and a timer. A reply settles the
 * asker's promise with its data, or rejects it with the error the other actor answered; the
 * timer rejects it with AskTimeoutError; closing the system rejects every one still waiting.
 */
import type { Clock, TimerHandle } from '../lib/clock.js';
import { AskTimeoutError, DeadLetterError, RemoteActorError } from './errors.js';
import type { MailboxMessage, ReplyMessage } from './message.js';

/** The asker's side of an ask: what settles its promise. */
export interface Asker {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface PendingAsk extends Asker {
  timer: TimerHandle;
  to: string;
  type: string;
}

export class PendingAsks {
  readonly #clock: Clock;
  readonly #pending = new Map<string, PendingAsk>();
  #nextCorr = 1;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A correlation id no ask of this system used before. */
  nextCorr(): string {
    return `a${this.#nextCorr++}`;
  }

  /** Waits for the reply to the ask `corr` of a `type` message to `to`, at most `timeoutMs`. */
  add(corr: string, to: string, type: string, timeoutMs: number, asker: Asker): void {
    const timer = this.#clock.setTimeout(() => {
      this.#pending.delete(corr);
      asker.reject(new AskTimeoutError(to, type, timeoutMs));
    }, timeoutMs);
    this.#pending.set(corr, { resolve: asker.resolve, reject: asker.reject, timer, to, type });
  }

  /** Gives up the ask `corr` (its request could not leave), rejecting it with `error`. */
  cancel(corr: string, error: Error): void {
    const pending = this.#pending.get(corr);
    if (pending === undefined) return;
    this.#clock.clearTimeout(pending.timer);
    this.#pending.delete(corr);
    pending.reject(error);
  }

  /** Settles the ask `corr` with a reply; false when no such ask is waiting. */
  settle(corr: string, message: MailboxMessage): boolean {
    const pending = this.#pending.get(corr);
    if (pending === undefined) return false;
    this.#pending.delete(corr);
    this.#clock.clearTimeout(pending.timer);
    const reply = message as Partial<ReplyMessage>;
    if (reply.error !== undefined) {
      pending.reject(new RemoteActorError(pending.to, reply.error.name, reply.error.message));
    } else {
      pending.resolve(reply.data);
    }
    return true;
  }

  /** Rejects every waiting ask with DeadLetterError (the system shuts down). */
  rejectAll(): void {
    for (const [corr, pending] of this.#pending) {
      this.#clock.clearTimeout(pending.timer);
      pending.reject(new DeadLetterError(pending.to, pending.type));
      this.#pending.delete(corr);
    }
  }
}
