/**
 * The libp2p side of a bus: raw bytes on bus subjects, carried by gossipsub (broadcasts) and by
 * `/bzzz/actor/1.0.0` streams (mailboxes). Envelopes, signatures and trust stay in the
 * envelope bus above (`src/adapters/bus/envelope-bus.ts`), exactly as over NATS.
 *
 * A gossipsub message is handed to the bus inside the topic validator, so the bus decodes it
 * once and its verdict decides what gossipsub does: accepted → Accept (delivered, forwarded);
 * refused for a reason every honest node of the same version would agree on → Reject, which
 * costs the peer that sent it score (P4, see scoring.ts) until it is graylisted; refused for a
 * reason an honest peer can cause (see `NOT_PUNISHED`) → Ignore, neither forwarded nor
 * punished. Publications leave one after another, in the order `publish` was called.
 *
 * Subscriptions live here, not on the libp2p node: when the node starts again (a supervisor
 * restarted it), each topic is joined once on the new one.
 */
import { randomBytes } from 'node:crypto';
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import type { Clock } from '../../lib/clock.js';
import type { NodeId, RejectReason } from '../../protocol/index.js';
import {
  subjectMatches,
  type BusStatus,
  type Transport,
  type TransportReceiver,
  type TransportStatusListener,
} from '../bus/index.js';
import { ActorStreams } from './actor-streams.js';
import {
  frame,
  routeOf,
  subjectOfActorFrame,
  subjectOfTopicMessage,
  topicMessage,
  topicOfSubscription,
} from './frames.js';
import type { Libp2pNode } from './types.js';

interface Entry {
  readonly tokens: readonly string[];
  readonly onMessage: TransportReceiver;
  readonly topic: string | undefined;
}

/**
 * Refusals an honest peer can cause: they depend on the receiver's clock or memory (stale,
 * replayed, from self, an internal failure) or on its version (a type or an envelope version it
 * does not know yet, as during a rolling upgrade), or on its configuration (a sender outside
 * its `BZZZ_CLUSTER_MEMBERS`, which a node already told of a new member relays while others
 * are not told yet). Answered Ignore: not forwarded, not punished.
 */
const NOT_PUNISHED: ReadonlySet<RejectReason> = new Set([
  'stale',
  'replayed',
  'from_self',
  'not_member',
  'internal',
  'unknown_type',
  'unsupported_version',
]);

/** Options of a transport. */
export interface Libp2pTransportInit {
  cluster: string;
  nodeId: NodeId;
  maxMessageBytes: number;
  clock: Clock;
  logger: Logger;
  /** Counts a message refused before it reached the bus (a broken frame). */
  rejected?: (reason: RejectReason) => void;
}

/** A bus transport over a (replaceable) libp2p node. */
export class Libp2pTransport implements Transport {
  readonly #init: Libp2pTransportInit;
  readonly #log: RateLimitedLog;
  readonly #entries = new Set<Entry>();
  readonly #topics = new Map<string, number>();
  readonly #listeners = new Set<TransportStatusListener>();
  #node: Libp2pNode | undefined;
  #streams: ActorStreams | undefined;
  #status: BusStatus = 'connecting';
  #tail: Promise<void> = Promise.resolve();
  #received = 0;
  /**
   * The next publication's nonce: from a random start, one more per publication, so no two
   * publications of this node share one (message ids are the hash of the data).
   */
  #nonce = randomBytes(8).readBigUInt64BE();

  constructor(init: Libp2pTransportInit) {
    this.#init = init;
    this.#log = new RateLimitedLog(init.logger, init.clock, 60_000);
  }

  /** Messages handed to the bus so far, gossip and mailbox, accepted or not (tests wait on it). */
  get received(): number {
    return this.#received;
  }

  /** Outbound actor lines (one per peer written to) held now. */
  get actorLines(): number {
    return this.#streams?.lines ?? 0;
  }

  /** Gossipsub topics this transport is joined to. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** Starts using `node`: joins every topic in use and serves the actor protocol. */
  async attach(node: Libp2pNode): Promise<void> {
    if (this.#status === 'closed') return;
    this.#node = node;
    for (const topic of this.#topics.keys()) this.#join(node, topic);
    const streams = new ActorStreams({
      node,
      maxFrameBytes: this.#init.maxMessageBytes,
      logger: this.#init.logger,
      onFrame: (peer, bytes) => this.#onFrame(peer, bytes),
      onBadStream: (peer, detail) => this.#refuse('too_large', detail, peer),
    });
    this.#streams = streams;
    await streams.start();
    this.#setStatus('connected');
  }

  /** Stops using `node` (it is about to stop): what was published goes out first. */
  async detach(node: Libp2pNode): Promise<void> {
    await this.#release(node, 'connecting');
  }

  writable(): boolean {
    return this.#node !== undefined && this.#status === 'connected';
  }

  publish(subject: string, bytes: Uint8Array): boolean {
    const node = this.#node;
    if (node === undefined || !this.writable()) return false;
    const route = routeOf(this.#init.cluster, subject);
    if (route === undefined) return false;
    if (route.kind === 'actor') {
      const data = frame(route.header, bytes);
      if (data.length > this.#init.maxMessageBytes) return false;
      // there is no wire to oneself (NATS: noEcho); the actor system delivers locally
      if (route.node === this.#init.nodeId) return false;
      return this.#streams?.send(route.node, data) ?? false;
    }
    const data = topicMessage(this.#nonce++, route.header, bytes);
    if (data.length > this.#init.maxMessageBytes) return false;
    const { pubsub } = node.services;
    this.#tail = this.#tail.then(
      () =>
        pubsub.publish(route.topic, data).then(
          () => undefined,
          (error: unknown) =>
            this.#init.logger.debug({ err: describeError(error) }, 'gossipsub publish failed'),
        ),
      () => undefined,
    );
    return true;
  }

  subscribe(subject: string, onMessage: TransportReceiver): () => void {
    const topic = topicOfSubscription(this.#init.cluster, subject);
    const entry: Entry = { tokens: subject.split('.'), onMessage, topic };
    this.#entries.add(entry);
    if (topic !== undefined) {
      const count = this.#topics.get(topic) ?? 0;
      this.#topics.set(topic, count + 1);
      if (count === 0 && this.#node !== undefined) this.#join(this.#node, topic);
    }
    return () => {
      if (!this.#entries.delete(entry) || topic === undefined) return;
      const count = (this.#topics.get(topic) ?? 1) - 1;
      if (count > 0) {
        this.#topics.set(topic, count);
        return;
      }
      this.#topics.delete(topic);
      if (this.#node !== undefined) this.#leave(this.#node, topic);
    };
  }

  status(): BusStatus {
    return this.#status;
  }

  onStatus(listener: TransportStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends what is pending, leaves every topic and ends; the node itself keeps running. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    const node = this.#node;
    if (node !== undefined) await this.#release(node, 'closed');
    this.#entries.clear();
    this.#topics.clear();
    this.#setStatus('closed');
  }

  async #release(node: Libp2pNode, next: BusStatus): Promise<void> {
    if (this.#node !== node) return;
    await this.#tail;
    await this.#streams?.stop();
    for (const topic of this.#topics.keys()) this.#leave(node, topic);
    this.#node = undefined;
    this.#streams = undefined;
    this.#setStatus(next);
  }

  #join(node: Libp2pNode, topic: string): void {
    const { pubsub } = node.services;
    pubsub.topicValidators.set(topic, (peer, message) => this.#validate(peer, message));
    pubsub.subscribe(topic);
  }

  #leave(node: Libp2pNode, topic: string): void {
    const { pubsub } = node.services;
    try {
      pubsub.unsubscribe(topic);
    } catch (error) {
      this.#init.logger.debug({ topic, err: describeError(error) }, 'gossipsub unsubscribe failed');
    }
    pubsub.topicValidators.delete(topic);
  }

  #validate(peer: PeerId, message: Message): TopicValidatorResult {
    const received = subjectOfTopicMessage(this.#init.cluster, message.topic, message.data);
    if (received === undefined) {
      this.#refuse('schema', `unreadable frame on ${message.topic}`, peer.toString());
      return TopicValidatorResult.Reject;
    }
    const reason = this.#hand(received.subject, received.envelope);
    if (reason === null) return TopicValidatorResult.Ignore;
    if (reason === undefined) return TopicValidatorResult.Accept;
    return NOT_PUNISHED.has(reason) ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject;
  }

  #onFrame(peer: string, bytes: Uint8Array): void {
    const received = subjectOfActorFrame(this.#init.cluster, this.#init.nodeId, bytes);
    if (received === undefined) {
      this.#refuse('schema', 'unreadable actor frame', peer);
      return;
    }
    this.#hand(received.subject, received.envelope);
  }

  /**
   * Hands a message to every matching subscription; returns the verdict (the first refusal
   * wins), or `null` when no subscription wanted it.
   */
  #hand(subject: string, bytes: Uint8Array): RejectReason | undefined | null {
    const tokens = subject.split('.');
    let verdict: RejectReason | undefined | null = null;
    this.#received++;
    for (const entry of this.#entries) {
      if (!subjectMatches(entry.tokens, tokens)) continue;
      try {
        const reason = entry.onMessage(subject, bytes);
        if (verdict === null || verdict === undefined) verdict = reason;
      } catch (error) {
        this.#log.warn('receiver_failed', { err: describeError(error) }, 'bus receiver failed');
        verdict ??= 'internal';
      }
    }
    return verdict;
  }

  #refuse(reason: RejectReason, detail: string, peer: string): void {
    this.#received++;
    this.#init.rejected?.(reason);
    this.#log.warn(reason, { detail, peer }, 'message rejected');
  }

  #setStatus(status: BusStatus): void {
    if (this.#status === status || this.#status === 'closed') return;
    this.#status = status;
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        this.#init.logger.warn({ err: describeError(error) }, 'bus status listener failed');
      }
    }
  }
}
