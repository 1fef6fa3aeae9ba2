/**
 * The trust boundary every bus implementation shares: envelopes out, envelopes in.
 *
 * Out: `publish` builds the envelope (`createEnvelope` checks the data against its schema),
 * signs it with the node key (or leaves it unsigned when signing is off) and hands the wire
 * bytes to the transport. In: each message the transport delivers is decoded exactly once
 * (`decodeEnvelope` with this node's replay guard), checked against the channel it came on,
 * then fanned out to every handler whose pattern matches. A rejected message is counted by
 * reason and logged once per reason per minute; a handler that throws is logged the same way.
 * Nothing here throws back into a transport callback.
 *
 * One transport subscription per subject, shared by every handler on it: subscribing to one
 * task's channel rides on the `hmmm.task.*` subscription, and this node's actor addresses on
 * the `actor.<self>.>` one. So the same message is never decoded twice (the replay guard
 * would call the second copy a replay) and the transport holds a known, small set of
 * subscriptions whatever the actors do.
 */
import {
  actorSubject,
  actorWildcard,
  coordinationSubject,
  BATCHABLE_TYPES,
  createEnvelope,
  decodeEnvelope,
  encodeData,
  sealEncodedEnvelope,
  InvalidMessageError,
  MAX_BATCH,
  MAX_ENVELOPE_BYTES,
  hmmmSubject,
  hmmmTaskWildcard,
  ReplayGuard,
  sealEnvelopeBytes,
  unsignedEnvelopeBytes,
  ADDRESS_SCHEME,
  type Envelope,
  type MessageType,
  type RejectReason,
  type UnsignedEnvelopeOf,
} from '../../protocol/index.js';
import { z } from 'zod';
import { parseMessageData } from '../../protocol/fast-data.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog } from '../../lib/log.js';
import { channelOfSubject, subjectOf } from './channels.js';
import { BusClosedError } from './errors.js';
import type {
  Bus,
  BusComponents,
  BusInit,
  BusStatus,
  BusSubscription,
  Channel,
  ChannelPattern,
  DeliveryHandler,
  Outgoing,
} from './types.js';

/** Receives status changes of a transport. */
export type TransportStatusListener = (status: BusStatus) => void;

/** What a bus implementation provides: raw bytes on subjects (wildcards `*` and `>`). */
export interface Transport {
  /** Hands bytes to the wire; false when it cannot (closed, never connected). */
  publish(subject: string, bytes: Uint8Array): boolean;
  /** Listens on `subject` until the returned function is called. */
  subscribe(subject: string, onMessage: (subject: string, bytes: Uint8Array) => void): () => void;
  status(): BusStatus;
  onStatus(listener: TransportStatusListener): () => void;
  /** True when `publish` would take bytes now (what a batched message's `publish` answers). */
  writable(): boolean;
  /** Drains and closes. */
  close(): Promise<void>;
}

interface Route {
  readonly off: () => void;
  readonly handlers: Set<{ pattern: ChannelPattern; handler: DeliveryHandler }>;
}

/** Subjects and channels remembered per bus; a full cache starts over. */
const CACHE_SIZE = 1024;

/** Segments never hold a NUL (a control character), so joining on it tells paths apart. */
const SEPARATOR = '\u0000';

/** Types a broadcast batch may carry. */
const BATCHABLE: ReadonlySet<MessageType> = new Set(BATCHABLE_TYPES);

/**
 * Broadcasts published in one turn to one subject, waiting to leave as one envelope: each
 * message's type and its data as encoded when it was published.
 */
interface PendingBatch {
  readonly subject: string;
  readonly types: MessageType[];
  readonly texts: string[];
}

/** Types a node's mailbox accepts. */
const MAILBOX_TYPES: ReadonlySet<MessageType> = new Set(['actor_message', 'actor_reply', 'dead_letter']);

/** A bus over any transport, with signing, decoding and rejection counting. */
export class EnvelopeBus implements Bus {
  readonly nodeId: string;
  readonly cluster: string;
  readonly #transport: Transport;
  readonly #init: BusInit;
  readonly #components: BusComponents;
  readonly #verify: boolean;
  readonly #guard: ReplayGuard;
  readonly #rejectLog: RateLimitedLog;
  readonly #routes = new Map<string, Route>();
  /** Channel key → subject, for channels already mapped once (publishing). */
  readonly #subjects = new Map<string, string>();
  /** Channel object → subject: a sender that reuses its channel objects skips building a key. */
  readonly #subjectsByChannel = new WeakMap<Channel, string>();
  /** Subject → channel, for subjects already mapped once (receiving). */
  readonly #channels = new Map<string, Channel>();
  readonly #batching: boolean;
  #batch: PendingBatch | undefined;
  #closed = false;

  constructor(transport: Transport, init: BusInit, components: BusComponents) {
    this.#transport = transport;
    this.#init = init;
    this.#components = components;
    this.nodeId = init.nodeId;
    this.cluster = init.cluster;
    this.#verify = init.verify ?? init.privateKey !== null;
    this.#guard = new ReplayGuard({
      clock: components.clock,
      ...(init.replayWindowMs === undefined ? {} : { windowMs: init.replayWindowMs }),
      ...(init.replayCapacity === undefined ? {} : { capacity: init.replayCapacity }),
    });
    this.#rejectLog = new RateLimitedLog(components.logger, components.clock, 60_000);
    this.#batching = init.batch ?? true;
  }

  connected(): boolean {
    return !this.#closed && this.#transport.status() === 'connected';
  }

  status(): BusStatus {
    return this.#closed ? 'closed' : this.#transport.status();
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#transport.onStatus(listener);
  }

  /** Transport subscriptions held now (one per subject in use). */
  get subscriptionCount(): number {
    return this.#routes.size;
  }

  /**
   * Publishes one message. Broadcasts (coordination, HMMM, task channels) published one after
   * another in the same turn to the same channel leave together, when the turn ends, as one
   * `message_batch` envelope: one id, one signature and one NATS message for all of them, which
   * receivers deliver as the messages they are, in order. A lone broadcast leaves alone, in the
   * same turn, as before. Anything else, or a broadcast to another channel, first sends what is
   * waiting, so messages leave in the order they were published.
   */
  publish<T extends MessageType>(channel: Channel, message: Outgoing<T>): boolean {
    if (this.#closed) return false;
    const subject = this.#subjectOf(channel);
    if (
      !this.#batching ||
      channel.kind === 'actor' ||
      message.to !== undefined ||
      message.corr !== undefined ||
      !BATCHABLE.has(message.type)
    ) {
      this.#flushBatch();
      return this.#send(subject, message);
    }
    const checked = parseMessageData(message.type, message.data);
    if (!checked.success)
      throw new InvalidMessageError(message.type, z.prettifyError(checked.error), { cause: checked.error });
    // Encoded now: what leaves is the message as it was when published, and a value that is
    // no JSON fails here, at its sender, as an unbatched one does.
    const text = encodeData(checked.data, this.#init.privateKey !== null);
    let batch = this.#batch;
    if (batch !== undefined && batch.subject !== subject) {
      this.#flushBatch();
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { subject, types: [], texts: [] };
      this.#batch = batch;
      queueMicrotask(this.#flushBatchTask);
    }
    batch.types.push(message.type);
    batch.texts.push(text);
    if (batch.texts.length >= MAX_BATCH) this.#flushBatch();
    return this.#transport.writable();
  }

  /** One message in its own envelope. */
  #send<T extends MessageType>(subject: string, message: Outgoing<T>): boolean {
    // `createEnvelope` leaves out a member given as undefined: no copies to omit them here.
    const unsigned = createEnvelope(
      { type: message.type, from: this.nodeId, data: message.data, to: message.to, corr: message.corr },
      this.#components.clock,
    );
    return this.#transport.publish(subject, this.#seal(unsigned));
  }

  /** Wire bytes: signed and canonical, or (signing off) plain JSON. */
  #seal<T extends MessageType>(unsigned: UnsignedEnvelopeOf<T>): Buffer {
    const key = this.#init.privateKey;
    return key === null ? unsignedEnvelopeBytes(unsigned) : sealEnvelopeBytes(unsigned, key);
  }

  readonly #flushBatchTask = (): void => this.#flushBatch();

  /** Sends the waiting broadcasts, if any. Never throws (it runs from a microtask too). */
  #flushBatch(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    try {
      this.#sendBatch(batch.subject, batch.types, batch.texts);
    } catch (error) {
      this.#rejectLog.warn(
        'batch_failed',
        { subject: batch.subject, messages: batch.texts.length, err: describeError(error) },
        'broadcasts could not be sent',
      );
    }
  }

  /**
   * Messages checked and encoded on publish, as one envelope (a lone one as itself); halved
   * until each envelope is within the size limit.
   */
  #sendBatch(subject: string, types: MessageType[], texts: string[]): void {
    const key = this.#init.privateKey;
    const clock = this.#components.clock;
    if (texts.length === 1) {
      this.#transport.publish(subject, sealEncodedEnvelope(types[0]!, texts[0]!, this.nodeId, key, clock));
      return;
    }
    // `{"data":…,"type":…}` per message, members in canonical order; a type needs no escaping.
    let list = '';
    for (let i = 0; i < texts.length; i++)
      list += `${i === 0 ? '' : ','}{"data":${texts[i]!},"type":"${types[i]!}"}`;
    const bytes = sealEncodedEnvelope('message_batch', `{"messages":[${list}]}`, this.nodeId, key, clock);
    if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
      const half = Math.ceil(texts.length / 2);
      this.#sendBatch(subject, types.slice(0, half), texts.slice(0, half));
      this.#sendBatch(subject, types.slice(half), texts.slice(half));
      return;
    }
    this.#transport.publish(subject, bytes);
  }

  subscribe(pattern: ChannelPattern, handler: DeliveryHandler): BusSubscription {
    if (this.#closed) throw new BusClosedError('subscribe');
    const subject = this.#routeSubject(pattern);
    let route = this.#routes.get(subject);
    if (route === undefined) {
      const handlers: Route['handlers'] = new Set();
      const off = this.#transport.subscribe(subject, (received, bytes) =>
        this.#receive(received, bytes, handlers),
      );
      route = { off, handlers };
      this.#routes.set(subject, route);
    }
    const entry = { pattern, handler };
    route.handlers.add(entry);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        const current = this.#routes.get(subject);
        if (current === undefined) return;
        current.handlers.delete(entry);
        if (current.handlers.size === 0) {
          this.#routes.delete(subject);
          current.off();
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushBatch();
    this.#closed = true;
    for (const route of this.#routes.values()) route.off();
    this.#routes.clear();
    await this.#transport.close();
  }

  /** `subjectOf`, remembered: the mapping is pure, and encoding an actor path is not free. */
  #subjectOf(channel: Channel): string {
    const known = this.#subjectsByChannel.get(channel);
    if (known !== undefined) return known;
    const subject = this.#subjectOfKey(channel);
    // A channel object mutated after use would map wrongly: only frozen ones are remembered.
    if (
      Object.isFrozen(channel) &&
      (channel.kind !== 'actor' ||
        (Object.isFrozen(channel.address) && Object.isFrozen(channel.address.path)))
    )
      this.#subjectsByChannel.set(channel, subject);
    return subject;
  }

  #subjectOfKey(channel: Channel): string {
    let key: string;
    switch (channel.kind) {
      case 'coordination':
      case 'hmmm':
        key = channel.kind;
        break;
      case 'task':
        key = `task${SEPARATOR}${channel.task}`;
        break;
      case 'actor':
        // A path with a NUL is invalid; it skips the cache so `subjectOf` says so.
        if (channel.address.path.some((segment) => segment.includes(SEPARATOR)))
          return subjectOf(this.cluster, channel);
        key = `actor${SEPARATOR}${channel.address.node}${SEPARATOR}${channel.address.path.join(SEPARATOR)}`;
        break;
    }
    let subject = this.#subjects.get(key);
    if (subject === undefined) {
      subject = subjectOf(this.cluster, channel);
      if (this.#subjects.size >= CACHE_SIZE) this.#subjects.clear();
      this.#subjects.set(key, subject);
    }
    return subject;
  }

  /** `channelOfSubject`, remembered for subjects that are channels (frozen: handlers share them). */
  #channelOf(subject: string): Channel | undefined {
    const cached = this.#channels.get(subject);
    if (cached !== undefined) return cached;
    const channel = channelOfSubject(this.cluster, subject);
    if (channel === undefined) return undefined;
    if (channel.kind === 'actor') {
      Object.freeze(channel.address.path);
      Object.freeze(channel.address);
    }
    Object.freeze(channel);
    if (this.#channels.size >= CACHE_SIZE) this.#channels.clear();
    this.#channels.set(subject, channel);
    return channel;
  }

  /** The shared transport subject a pattern rides on. */
  #routeSubject(pattern: ChannelPattern): string {
    switch (pattern.kind) {
      case 'coordination':
        return coordinationSubject(this.cluster);
      case 'hmmm':
        return hmmmSubject(this.cluster);
      case 'task':
      case 'tasks':
        if (pattern.kind === 'task') subjectOf(this.cluster, pattern); // validates the key
        return hmmmTaskWildcard(this.cluster);
      case 'mailbox':
        return actorWildcard(this.cluster, this.nodeId);
      case 'actor':
        return pattern.address.node === this.nodeId
          ? actorWildcard(this.cluster, this.nodeId)
          : actorSubject(this.cluster, pattern.address);
    }
  }

  #receive(subject: string, bytes: Uint8Array, handlers: Route['handlers']): void {
    const channel = this.#channelOf(subject);
    if (channel === undefined) {
      this.#reject('schema', `subject ${subject.slice(0, 200)} is no channel`, subject);
      return;
    }
    const result = decodeEnvelope(bytes, { self: this.nodeId, verify: this.#verify, seen: this.#guard });
    if (!result.ok) {
      this.#reject(result.reason, result.detail, subject);
      return;
    }
    const envelope = result.envelope;
    const problem = this.#channelProblem(envelope, channel);
    if (problem !== undefined) {
      this.#reject(problem[0], problem[1], subject);
      return;
    }
    if (envelope.type !== 'message_batch') {
      this.#deliver(subject, envelope, channel, handlers);
      return;
    }
    // Each message of a batch is what it would have been alone: the batch's frame with the
    // message's type and data. All are checked before any is delivered: one verdict per envelope.
    const { messages } = envelope.data;
    const { v, id, from, timestamp, hop_count, sig } = envelope;
    const singles: Envelope[] = new Array<Envelope>(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const { type, data } = messages[i]!;
      // Written out rather than spread: one small object per message. A batch carries neither
      // `to` nor `corr` (the sender batches only messages without them).
      const single = { v, id, type, from, timestamp, hop_count, data, sig } as Envelope;
      const inner = this.#channelProblem(single, channel);
      if (inner !== undefined) {
        this.#reject(inner[0], `messages.${i}: ${inner[1]}`, subject);
        return;
      }
      singles[i] = single;
    }
    for (const single of singles) this.#deliver(subject, single, channel, handlers);
  }

  #deliver(subject: string, envelope: Envelope, channel: Channel, handlers: Route['handlers']): void {
    for (const { pattern, handler } of handlers) {
      if (!matches(pattern, channel)) continue;
      try {
        handler({ envelope, channel });
      } catch (error) {
        this.#rejectLog.warn(
          'handler_failed',
          { subject, type: envelope.type, err: describeError(error) },
          'bus handler failed',
        );
      }
    }
  }

  /** Checks a trusted envelope against where it arrived; returns why it does not belong. */
  #channelProblem(envelope: Envelope, channel: Channel): [RejectReason, string] | undefined {
    const node = (envelope.data as { node?: unknown }).node;
    // A message about its sender must come from that sender, or one node could speak for another.
    if (typeof node === 'string' && node !== envelope.from) return ['bad_sender', 'data.node is not from'];
    if (envelope.type === 'message_batch' && (envelope.to !== undefined || envelope.corr !== undefined))
      return ['bad_data', 'a batch carries no to or corr'];
    if (channel.kind !== 'actor') {
      return MAILBOX_TYPES.has(envelope.type) && envelope.type !== 'actor_message'
        ? ['unknown_type', `${envelope.type} on a broadcast channel`]
        : undefined;
    }
    // (a `message_batch` is no mailbox type: batches are broadcasts only)
    if (!MAILBOX_TYPES.has(envelope.type)) return ['unknown_type', `${envelope.type} on a mailbox`];
    const to = envelope.type === 'actor_message' ? envelope.data.to : envelope.to;
    // Decoding checked `to` as a whole address already: only its node is still needed.
    const recipient = to?.slice(ADDRESS_SCHEME.length, to.indexOf('/', ADDRESS_SCHEME.length));
    if (recipient !== channel.address.node) return ['bad_data', 'recipient is not the mailbox it came to'];
    return undefined;
  }

  #reject(reason: RejectReason, detail: string, subject: string): void {
    this.#components.rejected?.(reason);
    this.#rejectLog.warn(reason, { detail, subject: subject.slice(0, 200) }, 'message rejected');
  }
}

function matches(pattern: ChannelPattern, channel: Channel): boolean {
  switch (pattern.kind) {
    case 'task':
      return channel.kind === 'task' && channel.task === pattern.task;
    case 'actor':
      return (
        channel.kind === 'actor' &&
        channel.address.node === pattern.address.node &&
        samePath(channel.address.path, pattern.address.path)
      );
    case 'tasks':
      return channel.kind === 'task';
    case 'mailbox':
      return channel.kind === 'actor';
    default:
      return channel.kind === pattern.kind;
  }
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}
