/**
 * Remote routing: binds an {@link ActorSystem} to a {@link Bus}, so `send`, `ask` and
 * `publish` reach actors and subscribers on other nodes exactly as local ones.
 *
 * Out (through `system.setRemote`): a message for `bzzz://<other node>/<path>` becomes an
 * `actor_message` envelope on that actor's subject; a reply to a remote ask becomes an
 * `actor_reply`; a publication on a mapped topic becomes an envelope on the topic's subject,
 * typed as the protocol message itself when it is one (`availability_broadcast`, …) and
 * carried in a `topic_message` (its type and payload) otherwise. An `actor_message` to a
 * `…/$topic/<topic>` address, which older nodes sent instead, is still taken.
 * In: envelopes on this node's mailbox subjects are delivered with `system.send`, topic
 * envelopes with `system.deliverTopic`. A message for an actor that does not exist here is a
 * dead letter on this node and, for an ask, a `dead_letter` back to the asker, whose ask then
 * fails at once instead of waiting for its timeout.
 *
 * Asks: every remote ask of a node names the same `replyTo`, `bzzz://<node>/$ask`, and the
 * envelope's `corr` tells the asks apart, so a request and its reply carry addresses (and
 * subjects) the node has seen before, which are parsed and checked once and then remembered.
 * A reply to the per-ask form `…/$ask/<corr>`, which older nodes used, is still accepted.
 *
 * Topics (the names actors use, see `TOPICS`): `coordination`, `hmmm` and `hmmm.task.<task key>`
 * map to `bzzz.<cluster>.coordination`, `.hmmm` and `.hmmm.task.<encoded key>`; any other topic
 * stays in the process. `data` crosses as JSON (`undefined` arrives as `null`). A mailbox
 * message's `from` (the sending actor) crosses as its `bzzz://` address, so the receiver can
 * answer or send to it like any actor; the envelope's `from` names the node.
 */
import type { Bus, BusSubscription, Channel, Delivery } from '../adapters/bus/index.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import { RateLimitedLog, silentLogger, type Logger } from '../lib/log.js';
import {
  BATCHABLE_TYPES,
  formatAddress,
  isNodeId,
  isTaskKey,
  parseAddress,
  type Address as WireAddress,
  type Envelope,
  type MessageData,
  type MessageType,
  type RejectReason,
} from '../protocol/index.js';
import { parseMessageData } from '../protocol/fast-data.js';
import type { ChildSpec } from '../supervisor/child.js';
import { TOPICS } from '../protocol/topics.js';
import type { MailboxMessage, ReplyMessage } from './message.js';
import { serviceSpec } from './service.js';
import type { ActorSystem } from './system.js';

/** Injected parts of the binding. */
export interface RemoteComponents {
  logger?: Logger;
  clock?: Clock;
  /** Counts a message dropped by routing rules (`bzzz_messages_rejected_total{reason}`). */
  rejected?: (reason: RejectReason) => void;
}

/** A live binding; `close` detaches the system from the bus. */
export interface RemoteBinding {
  close(): void;
}

/**
 * Protocol messages an actor may publish on a topic as themselves: the broadcast types, but
 * not the two that carry other messages.
 */
const NATIVE_BROADCASTS: ReadonlySet<string> = new Set(
  BATCHABLE_TYPES.filter((type) => type !== 'actor_message' && type !== 'topic_message'),
);
const ASK = '$ask';
const TOPIC = '$topic';
const SCHEME = 'bzzz://';
const TASK_TOPIC = TOPICS.task('');
/** Outstanding remote asks remembered, to check who answers them. */
const MAX_PENDING_ASKS = 10_000;
/** Destinations remembered (one per remote actor in use); a full cache starts over. */
const ROUTE_CACHE_SIZE = 1024;

/** Where a message for a remote system address goes, worked out once per address. */
interface Route {
  readonly address: WireAddress;
  /** The address as the wire writes it (escaped, checked). */
  readonly wire: string;
  /** The bus channel, one object per destination (the bus remembers its subject by it). */
  readonly channel: Channel;
}

/** The two fixed channels, one frozen object each (the bus remembers a subject per object). */
const COORDINATION: Channel = Object.freeze({ kind: 'coordination' });
const HMMM: Channel = Object.freeze({ kind: 'hmmm' });

/** The bus channel of a topic, or `undefined` for a topic that stays in the process. */
export function topicChannel(topic: string): Channel | undefined {
  if (topic === TOPICS.coordination) return COORDINATION;
  if (topic === TOPICS.hmmm) return HMMM;
  if (topic.startsWith(TASK_TOPIC)) {
    const task = topic.slice(TASK_TOPIC.length);
    if (isTaskKey(task)) return { kind: 'task', task };
  }
  return undefined;
}

/** The topic of a received broadcast channel. */
export function channelTopic(channel: Channel): string | undefined {
  switch (channel.kind) {
    case 'coordination':
      return TOPICS.coordination;
    case 'hmmm':
      return TOPICS.hmmm;
    case 'task':
      return TOPICS.task(channel.task);
    default:
      return undefined;
  }
}

/** A system address (`bzzz://<node>/<a>/<b>`) as a wire address; `undefined` if it is none. */
export function wireAddress(address: string): WireAddress | undefined {
  if (!address.startsWith(SCHEME)) return undefined;
  const rest = address.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const node = rest.slice(0, slash);
  if (!isNodeId(node)) return undefined;
  return { node, path: rest.slice(slash + 1).split('/') };
}

function systemAddress(address: WireAddress): string {
  return `${SCHEME}${address.node}/${address.path.join('/')}`;
}

/** Binds `system` to `bus`; incoming traffic flows at once. */
export function bindRemote(system: ActorSystem, bus: Bus, components: RemoteComponents = {}): RemoteBinding {
  const logger = components.logger ?? silentLogger();
  const log = new RateLimitedLog(logger, components.clock ?? systemClock, 60_000);
  /** corr of an outstanding remote ask → the node it went to. */
  const asks = new Map<string, string>();
  /** system address of a remote actor → its route. */
  const routes = new Map<string, Route>();
  /** wire address of a remote asker or sender → its system address. */
  const askers = new Map<string, string>();
  /** sending actor (local path or system address) → its wire address. */
  const senders = new Map<string, string>();
  /** This node's ask replies come to one address; the envelope's `corr` says which ask. */
  const askAddress = formatAddress({ node: bus.nodeId, path: [ASK] });
  /** The system address prefix of this node's pending asks (`ActorSystem.ask` makes them). */
  const ownAskPrefix = `${SCHEME}${bus.nodeId}/${ASK}/`;

  /**
   * The route to a system address on another node (`undefined` for a local or invalid one),
   * remembered, except for per-ask addresses of another node (`…/$ask/<corr>`), which are
   * used once.
   */
  const routeTo = (to: string): Route | undefined => {
    const known = routes.get(to);
    if (known !== undefined) return known;
    const address = wireAddress(to);
    if (address === undefined || address.node === bus.nodeId) return undefined;
    const wire = formatAddress(address);
    Object.freeze(address.path);
    const route: Route = {
      address,
      wire,
      channel: Object.freeze({ kind: 'actor', address: Object.freeze(address) }),
    };
    if (address.path[0] === ASK && address.path.length > 1) return route;
    if (routes.size >= ROUTE_CACHE_SIZE) routes.clear();
    routes.set(to, route);
    return route;
  };

  /** The system address a wire address (a `replyTo`, a sender) names, remembered per address. */
  const systemAddressOf = (wire: string): string => {
    let address = askers.get(wire);
    if (address === undefined) {
      const parsed = parseAddress(wire);
      address = systemAddress(parsed);
      if (parsed.path[0] === ASK && parsed.path.length > 1) return address;
      if (askers.size >= ROUTE_CACHE_SIZE) askers.clear();
      askers.set(wire, address);
    }
    return address;
  };

  const reject = (reason: RejectReason, detail: string, from: string): void => {
    components.rejected?.(reason);
    log.warn(`remote:${reason}`, { detail, from }, 'message rejected');
  };

  const publishTo = (channel: Channel, build: () => Parameters<Bus['publish']>[1]): boolean => {
    try {
      return bus.publish(channel, build());
    } catch (error) {
      log.warn('remote:unsendable', { err: describeError(error) }, 'message cannot be sent to another node');
      return false;
    }
  };

  const send = (to: string, message: MailboxMessage): boolean => {
    let route: Route | undefined;
    try {
      route = routeTo(to);
    } catch (error) {
      log.warn('remote:unsendable', { err: describeError(error) }, 'message cannot be sent to another node');
      return false;
    }
    if (route === undefined) return false;
    const { channel, wire: wireTo } = route;
    if (message.type === 'bzzz.reply') {
      const reply = message as ReplyMessage;
      return publishTo(channel, () => ({
        type: 'actor_reply',
        to: wireTo,
        corr: reply.corr,
        data:
          reply.error === undefined
            ? { corr: reply.corr, ok: true, payload: (reply.data ?? null) as never }
            : { corr: reply.corr, ok: false, error: { ...reply.error, retryable: false } },
      }));
    }
    const { corr, replyTo } = message;
    // An ask of this node's (`…/$ask/<corr>` with its own corr) is answered at the one ask
    // address, so the wire names no per-ask address; any other `replyTo` crosses as it is.
    const ownAsk = replyTo !== undefined && corr !== undefined && replyTo === `${ownAskPrefix}${corr}`;
    let wireReplyTo: string | undefined;
    if (ownAsk) wireReplyTo = askAddress;
    else if (replyTo !== undefined) {
      const address = wireAddress(replyTo);
      if (address === undefined) return false;
      wireReplyTo = formatReply(address);
      if (wireReplyTo === undefined) return false;
    }
    const wireFrom = message.from === undefined ? undefined : senderAddress(message.from);
    const sent = publishTo(channel, () => {
      // Members added in sorted order: the data is canonical as built.
      const data: Record<string, unknown> = {};
      if (corr !== undefined) data.corr = corr;
      if (wireFrom !== undefined) data.from = wireFrom;
      data.payload = message.data ?? null;
      if (wireReplyTo !== undefined) data.replyTo = wireReplyTo;
      data.to = wireTo;
      data.type = message.type;
      const wire = data as MessageData<'actor_message'>;
      return corr === undefined
        ? { type: 'actor_message', to: wireTo, data: wire }
        : { type: 'actor_message', to: wireTo, corr, data: wire };
    });
    if (sent && ownAsk) {
      if (asks.size >= MAX_PENDING_ASKS) asks.delete(asks.keys().next().value!);
      asks.set(corr, route.address.node);
    }
    return sent;
  };

  /**
   * The wire address of a sending actor: a local path names an actor of this node. Remembered
   * per sender; one that is no valid address is left out (logged), the message still goes.
   */
  const senderAddress = (from: string): string | undefined => {
    const known = senders.get(from);
    if (known !== undefined) return known;
    const address = from.startsWith(SCHEME) ? wireAddress(from) : { node: bus.nodeId, path: from.split('/') };
    let wire: string | undefined;
    try {
      if (address !== undefined) wire = formatAddress(address);
    } catch {
      wire = undefined;
    }
    if (wire === undefined) {
      log.warn('remote:bad_from', { from: from.slice(0, 200) }, 'sender address left out of a message');
      return undefined;
    }
    if (senders.size >= ROUTE_CACHE_SIZE) senders.clear();
    senders.set(from, wire);
    return wire;
  };

  /** A `replyTo` other than this node's own asks, formatted; `undefined` if it cannot be. */
  const formatReply = (address: WireAddress): string | undefined => {
    try {
      return formatAddress(address);
    } catch (error) {
      log.warn('remote:unsendable', { err: describeError(error) }, 'message cannot be sent to another node');
      return undefined;
    }
  };

  const publish = (topic: string, message: MailboxMessage): void => {
    const channel = topicChannel(topic);
    if (channel === undefined) return;
    const type = message.type;
    const native = NATIVE_BROADCASTS.has(type) && parseMessageData(type as MessageType, message.data).success;
    publishTo(channel, () =>
      native
        ? { type: type as MessageType, data: message.data as never }
        : { type: 'topic_message', data: { payload: (message.data ?? null) as never, type } },
    );
  };

  const onBroadcast = ({ envelope, channel }: Delivery): void => {
    const topic = channelTopic(channel);
    if (topic === undefined) return;
    const message: MailboxMessage =
      envelope.type === 'topic_message' || envelope.type === 'actor_message'
        ? { type: envelope.data.type, data: envelope.data.payload }
        : { type: envelope.type, data: envelope.data };
    system.deliverTopic(topic, message);
  };

  const settle = (envelope: Envelope, corr: string, reply: ReplyMessage): void => {
    // This node's ask address, or (as older nodes answer) the ask's own `…/$ask/<corr>`.
    const to =
      envelope.to === undefined || envelope.to === askAddress ? undefined : parseAddress(envelope.to);
    const toAsk =
      envelope.to === askAddress || (to?.path.length === 2 && to.path[0] === ASK && to.path[1] === corr);
    if (!toAsk) {
      reject('bad_data', 'a reply must go to the ask it answers', envelope.from);
      return;
    }
    if (asks.get(corr) !== envelope.from) {
      reject('bad_sender', 'a reply from a node that was not asked', envelope.from);
      return;
    }
    asks.delete(corr);
    system.send(`${ASK}/${corr}`, reply);
  };

  const onMailbox = ({ envelope }: Delivery): void => {
    switch (envelope.type) {
      case 'actor_message': {
        const { data } = envelope;
        const to = parseAddress(data.to);
        if (to.path[0] === ASK || to.path[0] === TOPIC) {
          reject('bad_data', 'an actor message to a reserved path', envelope.from);
          return;
        }
        const path = to.path.join('/');
        const replyTo = data.replyTo === undefined ? undefined : systemAddressOf(data.replyTo);
        const from = data.from === undefined ? undefined : systemAddressOf(data.from);
        const message: MailboxMessage = {
          type: data.type,
          data: data.payload,
          ...(from === undefined ? {} : { from }),
          ...(replyTo === undefined ? {} : { replyTo }),
          ...(data.corr === undefined ? {} : { corr: data.corr }),
        };
        if (system.send(path, message) || data.replyTo === undefined) return;
        const back = parseAddress(data.replyTo);
        publishTo({ kind: 'actor', address: back }, () => ({
          type: 'dead_letter',
          to: data.replyTo!,
          ...(data.corr === undefined ? {} : { corr: data.corr }),
          data: {
            to: data.to,
            type: data.type,
            message: envelope.id,
            reason: system.has(path) ? 'mailbox_full' : 'unknown_actor',
            ...(data.corr === undefined ? {} : { corr: data.corr }),
          },
        }));
        return;
      }
      case 'actor_reply': {
        const { data } = envelope;
        settle(
          envelope,
          data.corr,
          data.ok
            ? { type: 'bzzz.reply', corr: data.corr, data: data.payload }
            : {
                type: 'bzzz.reply',
                corr: data.corr,
                error: { name: data.error.name, message: data.error.message },
              },
        );
        return;
      }
      case 'dead_letter': {
        const { data } = envelope;
        if (data.corr === undefined) return;
        settle(envelope, data.corr, {
          type: 'bzzz.reply',
          corr: data.corr,
          error: { name: 'DeadLetterError', message: `no actor at ${data.to} (${data.reason})` },
        });
        return;
      }
      default:
        return;
    }
  };

  const subscriptions: BusSubscription[] = [
    bus.subscribe({ kind: 'coordination' }, onBroadcast),
    bus.subscribe({ kind: 'hmmm' }, onBroadcast),
    bus.subscribe({ kind: 'tasks' }, onBroadcast),
    bus.subscribe({ kind: 'mailbox' }, onMailbox),
  ];
  system.setRemote({ send, publish });

  let closed = false;
  return {
    close: () => {
      if (closed) return;
      closed = true;
      system.setRemote(undefined);
      for (const subscription of subscriptions) subscription.unsubscribe();
      asks.clear();
    },
  };
}

/**
 * The binding as a supervised child: binds on start, unbinds on stop. Place it after the
 * connection actor (it needs the bus object, not a live connection).
 */
export function remoteSpec(
  bus: Bus,
  components: Omit<RemoteComponents, 'logger' | 'clock'> = {},
  id = 'remote',
): ChildSpec {
  return serviceSpec(id, (ctx) => {
    const binding = bindRemote(ctx.system, bus, { ...components, logger: ctx.logger, clock: ctx.clock });
    return Promise.resolve({ stop: () => Promise.resolve(binding.close()) });
  });
}
