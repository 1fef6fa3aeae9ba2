/**
 * The actor system of one node: a registry of mailboxes by actor path, `send` and `ask`,
 * replies, and dead letters. Actors share no mutable state; they reach each other only
 * through this. A path registered again after a restart keeps its mailbox, so a reference
 * to an actor stays valid across restarts of the actor behind it.
 */
import { systemClock, type Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import { RateLimitedLog, silentLogger, type Logger } from '../lib/log.js';
import { AddressInUseError, DeadLetterError, InvalidAddressError, MailboxFullError } from './errors.js';
import { Dispatcher, Mailbox, type Deliver } from './mailbox.js';
import { PendingAsks } from './pending-asks.js';
import type {
  ActorSystemComponents,
  ActorSystemInit,
  ActorSystemMetrics,
  AskOptions,
  DeadLetterReason,
  RemoteTransport,
} from './system-types.js';
import { isValidSegment, type MailboxMessage, type ActorAddress, type ReplyMessage } from './message.js';

export type {
  ActorSystemComponents,
  ActorSystemInit,
  ActorSystemMetrics,
  AskOptions,
  DeadLetterReason,
  RemoteTransport,
} from './system-types.js';

const ASK_PREFIX = '$ask/';
const REMOTE_PREFIX = 'bzzz://';

export class ActorSystem {
  readonly nodeId: string;
  readonly mailboxCapacity: number;
  readonly askTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly #metrics: ActorSystemMetrics | undefined;
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #pending: PendingAsks;
  readonly #exits = new Map<string, (reason: Error) => void>();
  readonly #topics = new Map<string, Set<string>>();
  readonly #dispatcher: Dispatcher;
  readonly #deadLetterLog: RateLimitedLog;
  #remote: RemoteTransport | undefined;
  #deadLetters = 0;

  constructor(init: ActorSystemInit = {}, components: ActorSystemComponents = {}) {
    this.nodeId = init.nodeId ?? 'local';
    this.mailboxCapacity = init.mailboxCapacity ?? 10_000;
    this.askTimeoutMs = init.askTimeoutMs ?? 5_000;
    this.clock = components.clock ?? systemClock;
    this.logger = components.logger ?? silentLogger();
    this.#metrics = components.metrics;
    this.#pending = new PendingAsks(this.clock);
    this.#deadLetterLog = new RateLimitedLog(this.logger, this.clock, 60_000);
    this.#dispatcher = new Dispatcher((message, error) => {
      this.logger.error({ err: describeError(error), type: message.type }, 'actor failed to take a message');
      this.#deadLetter('undeliverable', '(receiver)', message);
    });
  }

  /** Connects (or, with undefined, disconnects) the transport to other nodes. */
  setRemote(transport: RemoteTransport | undefined): void {
    this.#remote = transport;
  }

  /** The address other nodes use for `path` on this node. */
  addressOf(path: string): ActorAddress {
    return `${REMOTE_PREFIX}${this.nodeId}/${path}`;
  }

  /** Dead letters since start. */
  get deadLetters(): number {
    return this.#deadLetters;
  }

  /** Number of registered mailboxes. */
  get size(): number {
    return this.#mailboxes.size;
  }

  /**
   * Registers a receiver at `path`, or re-attaches one to the mailbox kept for that path
   * while its actor restarted. Throws AddressInUseError if a live receiver holds the path.
   */
  register(path: string, deliver: Deliver, exit?: (reason: Error) => void): void {
    assertPath(path);
    if (exit !== undefined) this.#exits.set(path, exit);
    else this.#exits.delete(path);
    const existing = this.#mailboxes.get(path);
    if (existing !== undefined) {
      if (existing.attached) throw new AddressInUseError(path);
      existing.attach(deliver);
      return;
    }
    const mailbox = new Mailbox(path, this.mailboxCapacity, this.#dispatcher);
    this.#mailboxes.set(path, mailbox);
    mailbox.attach(deliver);
  }

  /** Detaches the receiver but keeps the mailbox, buffering messages for a replacement. */
  suspend(path: string): void {
    this.#mailboxes.get(path)?.suspend();
    this.#exits.delete(path);
  }

  /**
   * Ends the actor at `path` abnormally with `reason`, as Erlang's `exit(Pid, Reason)`: its
   * supervisor sees a crash. False when no live actor is there.
   */
  exit(path: string, reason: Error): boolean {
    const exit = this.#exits.get(path);
    if (exit === undefined) return false;
    this.#exits.delete(path);
    exit(reason);
    return true;
  }

  /** Delivers every message published on `topic` to the actor at `path`. */
  subscribe(topic: string, path: string): void {
    let subscribers = this.#topics.get(topic);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#topics.set(topic, subscribers);
    }
    subscribers.add(path);
  }

  unsubscribe(topic: string, path: string): void {
    const subscribers = this.#topics.get(topic);
    subscribers?.delete(path);
    if (subscribers?.size === 0) this.#topics.delete(topic);
  }

  /**
   * Sends `message` to every subscriber of `topic` in this process and, through the remote
   * transport, to other processes; returns how many local subscribers got it.
   */
  publish(topic: string, message: MailboxMessage): number {
    this.#remote?.publish(topic, message);
    return this.deliverTopic(topic, message);
  }

  /** Delivers a topic message to this process's subscribers only (what the bus calls on receipt). */
  deliverTopic(topic: string, message: MailboxMessage): number {
    const subscribers = this.#topics.get(topic);
    if (subscribers === undefined) return 0;
    let delivered = 0;
    for (const path of subscribers) {
      if (!this.#mailboxes.has(path)) {
        subscribers.delete(path);
        continue;
      }
      if (this.send(path, message)) delivered++;
    }
    return delivered;
  }

  /** Removes the mailbox; whatever it still held becomes dead letters. */
  unregister(path: string): void {
    const mailbox = this.#mailboxes.get(path);
    if (mailbox === undefined) return;
    this.#mailboxes.delete(path);
    this.#exits.delete(path);
    for (const message of mailbox.drainAll()) this.#deadLetter('stopped', path, message);
  }

  has(path: string): boolean {
    return this.#mailboxes.has(path);
  }

  /** Paths of every registered actor. */
  paths(): string[] {
    return [...this.#mailboxes.keys()];
  }

  /**
   * Sends a message; returns false when it could not be queued (a dead letter, or dropped
   * by a full mailbox). Never throws for an unknown target.
   */
  send(to: ActorAddress, message: MailboxMessage): boolean {
    if (to.startsWith(ASK_PREFIX)) return this.#settle(to.slice(ASK_PREFIX.length), message);
    const path = this.#localPath(to);
    if (path === undefined) return this.#sendRemote(to, message);
    if (path.startsWith(ASK_PREFIX)) return this.#settle(path.slice(ASK_PREFIX.length), message);
    const mailbox = path === undefined ? undefined : this.#mailboxes.get(path);
    if (mailbox === undefined) {
      this.#deadLetter('unknown', to, message);
      return false;
    }
    if (!mailbox.enqueue(message)) {
      this.#metrics?.mailboxDropped();
      this.#deadLetterLog.warn('mailbox_full', { to, type: message.type }, 'mailbox full: message dropped');
      return false;
    }
    return true;
  }

  /** Sends a request and resolves with the reply's data, or rejects with a typed error. */
  ask<R = unknown>(to: ActorAddress, message: MailboxMessage, options: AskOptions = {}): Promise<R> {
    const corr = this.#pending.nextCorr();
    const timeoutMs = options.timeoutMs ?? this.askTimeoutMs;
    return new Promise<R>((resolve, reject) => {
      const path = this.#localPath(to);
      const mailbox = path === undefined ? undefined : this.#mailboxes.get(path);
      if (mailbox === undefined && (path !== undefined || this.#remote === undefined)) {
        this.#deadLetter(path === undefined ? 'no_route' : 'unknown', to, message);
        reject(new DeadLetterError(to, message.type));
        return;
      }
      const settle = (value: unknown): void => resolve(value as R);
      this.#pending.add(corr, to, message.type, timeoutMs, { resolve: settle, reject });
      const replyTo = mailbox === undefined ? this.addressOf(`${ASK_PREFIX}${corr}`) : `${ASK_PREFIX}${corr}`;
      const request: MailboxMessage = {
        ...message,
        replyTo,
        corr,
        ...(options.from ? { from: options.from } : {}),
      };
      if (mailbox === undefined) {
        if (!this.#sendRemote(to, request)) this.#pending.cancel(corr, new DeadLetterError(to, message.type));
        return;
      }
      if (!mailbox.enqueue(request)) {
        this.#metrics?.mailboxDropped();
        this.#pending.cancel(corr, new MailboxFullError(to, mailbox.capacity));
      }
    });
  }

  /** Answers a request received through `ask`. A request without `replyTo` is ignored. */
  reply(request: MailboxMessage, data: unknown): void {
    if (request.replyTo === undefined || request.corr === undefined) return;
    const reply: ReplyMessage = { type: 'bzzz.reply', corr: request.corr, data };
    this.send(request.replyTo, reply);
  }

  /** Answers a request with an error; the asker's promise rejects with RemoteActorError. */
  replyError(request: MailboxMessage, error: Error): void {
    if (request.replyTo === undefined || request.corr === undefined) return;
    const reply: ReplyMessage = {
      type: 'bzzz.reply',
      corr: request.corr,
      error: { name: error.name, message: error.message },
    };
    this.send(request.replyTo, reply);
  }

  /** Resolves when every queued message has been delivered. */
  idle(): Promise<void> {
    return this.#dispatcher.idle();
  }

  /** Rejects every pending ask (used at shutdown). */
  close(): void {
    this.#pending.rejectAll();
  }

  #sendRemote(to: ActorAddress, message: MailboxMessage): boolean {
    if (this.#remote !== undefined && this.#remote.send(to, message)) return true;
    this.#deadLetter(this.#remote === undefined ? 'no_route' : 'undeliverable', to, message);
    return false;
  }

  #settle(corr: string, message: MailboxMessage): boolean {
    if (this.#pending.settle(corr, message)) return true;
    this.#deadLetter('unknown', `${ASK_PREFIX}${corr}`, message);
    return false;
  }

  #localPath(to: ActorAddress): string | undefined {
    if (!to.startsWith(REMOTE_PREFIX)) return to;
    const rest = to.slice(REMOTE_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash < 0 || rest.slice(0, slash) !== this.nodeId) return undefined;
    return rest.slice(slash + 1);
  }

  #deadLetter(reason: DeadLetterReason, to: string, message: MailboxMessage): void {
    this.#deadLetters++;
    this.#metrics?.deadLetter(reason);
    this.#deadLetterLog.warn(`dead_letter:${reason}`, { to, type: message.type }, 'dead letter');
  }
}

function assertPath(path: string): void {
  if (path.length === 0 || !path.split('/').every(isValidSegment)) throw new InvalidAddressError(path);
}
