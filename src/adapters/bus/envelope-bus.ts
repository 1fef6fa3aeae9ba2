/**
 * The trust boundary every bus implementation shares: envelopes out, envelopes in.
 *
 * Out: `publish` builds the envelope (`createEnvelope` checks the data against its schema),
 * signs it with the node key (or leaves it unsigned when signing is off) and hands the wire
 * bytes to the transport. In: each message the transport delivers is decoded exactly once
 * (`decodeEnvelope` with this node's replay guard), checked against the channel it came on,
 * (and, with `members`, refused unless its sender is a member of the cluster), then fanned out
 * to every handler whose pattern matches. A rejected message is counted by
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
  createEnvelope,
  decodeEnvelope,
  hmmmSubject,
  hmmmTaskWildcard,
  ReplayGuard,
  sealEnvelopeBytes,
  unsignedEnvelopeBytes,
  type Envelope,
  type MessageType,
  type RejectReason,
  type UnsignedEnvelopeOf,
} from '../../protocol/index.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog } from '../../lib/log.js';
import { batchable, BroadcastBatcher } from './broadcast-batch.js';
import { batchMessages, channelProblem, matches } from './channel-check.js';
import { subjectOf } from './channels.js';
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
import { SubjectCache } from './subject-cache.js';
import type { Transport } from './transport.js';

export type { Transport, TransportReceiver, TransportStatusListener } from './transport.js';

interface Route {
  readonly off: () => void;
  readonly handlers: Set<{ pattern: ChannelPattern; handler: DeliveryHandler }>;
}

/** A bus over any transport, with signing, decoding and rejection counting. */
export class EnvelopeBus implements Bus {
  readonly nodeId: string;
  readonly cluster: string;
  readonly #transport: Transport;
  readonly #init: BusInit;
  readonly #components: BusComponents;
  readonly #verify: boolean;
  readonly #guard: ReplayGuard;
  readonly #members: ReadonlySet<string> | undefined;
  readonly #rejectLog: RateLimitedLog;
  readonly #routes = new Map<string, Route>();
  readonly #cache: SubjectCache;
  /** Undefined when batching is off. */
  readonly #batcher: BroadcastBatcher | undefined;
  #closed = false;

  constructor(transport: Transport, init: BusInit, components: BusComponents) {
    this.#transport = transport;
    this.#init = init;
    this.#components = components;
    this.nodeId = init.nodeId;
    this.cluster = init.cluster;
    this.#verify = init.verify ?? init.privateKey !== null;
    this.#members =
      init.members === undefined || init.members.length === 0 ? undefined : new Set(init.members);
    this.#guard = new ReplayGuard({
      clock: components.clock,
      ...(init.replayWindowMs === undefined ? {} : { windowMs: init.replayWindowMs }),
      ...(init.replayCapacity === undefined ? {} : { capacity: init.replayCapacity }),
    });
    this.#rejectLog = new RateLimitedLog(components.logger, components.clock, 60_000);
    this.#cache = new SubjectCache(init.cluster);
    this.#batcher =
      (init.batch ?? true)
        ? new BroadcastBatcher({
            nodeId: init.nodeId,
            privateKey: init.privateKey,
            clock: components.clock,
            log: this.#rejectLog,
            publish: (subject, bytes) => transport.publish(subject, bytes),
          })
        : undefined;
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
   * Publishes one message. Broadcasts published one after another in the same turn to the
   * same channel leave together, when the turn ends, as one `message_batch` envelope (see
   * `broadcast-batch.ts`); a lone broadcast leaves alone, in the same turn, as before.
   * Anything else, or a broadcast to another channel, first sends what is waiting, so
   * messages leave in the order they were published.
   */
  publish<T extends MessageType>(channel: Channel, message: Outgoing<T>): boolean {
    if (this.#closed) return false;
    const subject = this.#cache.subjectOf(channel);
    if (this.#batcher === undefined || !batchable(channel, message)) {
      this.#batcher?.flush();
      return this.#send(subject, message);
    }
    this.#batcher.add(subject, message);
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
    this.#batcher?.flush();
    this.#closed = true;
    for (const route of this.#routes.values()) route.off();
    this.#routes.clear();
    await this.#transport.close();
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

  /** Decodes, checks and delivers one message; returns why it was refused, if it was. */
  #receive(subject: string, bytes: Uint8Array, handlers: Route['handlers']): RejectReason | undefined {
    const channel = this.#cache.channelOf(subject);
    if (channel === undefined) {
      return this.#reject('schema', `subject ${subject.slice(0, 200)} is no channel`, subject);
    }
    const result = decodeEnvelope(bytes, {
      self: this.nodeId,
      verify: this.#verify,
      seen: this.#guard,
      ...(this.#members === undefined ? {} : { members: this.#members }),
    });
    if (!result.ok) return this.#reject(result.reason, result.detail, subject);
    const envelope = result.envelope;
    const problem = channelProblem(envelope, channel);
    if (problem !== undefined) return this.#reject(problem[0], problem[1], subject);
    if (envelope.type !== 'message_batch') {
      this.#deliver(subject, envelope, channel, handlers);
      return undefined;
    }
    const singles = batchMessages(envelope, channel);
    if (!Array.isArray(singles)) {
      const [reason, detail] = singles.problem;
      return this.#reject(reason, `messages.${singles.index}: ${detail}`, subject);
    }
    for (const single of singles) this.#deliver(subject, single, channel, handlers);
    return undefined;
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

  #reject(reason: RejectReason, detail: string, subject: string): RejectReason {
    this.#components.rejected?.(reason);
    this.#rejectLog.warn(reason, { detail, subject: subject.slice(0, 200) }, 'message rejected');
    return reason;
  }
}
