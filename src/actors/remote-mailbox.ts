/**
 * Mailbox traffic between nodes: a message or a reply for an actor on another node out, the
 * envelopes on this node's mailbox subjects in.
 *
 * Out: a message for `bzzz://<other node>/<path>` becomes an `actor_message` envelope on that
 * actor's subject, a reply to a remote ask an `actor_reply`. A mailbox message's `from` (the
 * sending actor) crosses as its `bzzz://` address, so the receiver can answer or send to it
 * like any actor; the envelope's `from` names the node. `data` crosses as JSON (`undefined`
 * arrives as `null`).
 * In: an `actor_message` is delivered with `system.send`. A message for an actor that does not
 * exist here is a dead letter on this node and, for an ask, a `dead_letter` back to the asker,
 * whose ask then fails at once instead of waiting for its timeout. Answers settle asks (see
 * `remote-asks.ts`).
 */
import type { Bus, Channel, Delivery, Outgoing } from '../adapters/bus/index.js';
import type { RateLimitedLog } from '../lib/log.js';
import { describeError } from '../lib/errors.js';
import { parseAddress, type ActorMessage, type EnvelopeOf, type RejectReason } from '../protocol/index.js';
import { ASK, TOPIC, type RemoteAddresses } from './remote-addresses.js';
import type { RemoteAsks } from './remote-asks.js';
import { wirePayload } from './remote-broadcasts.js';
import type { MailboxMessage, ReplyMessage } from './message.js';
import type { ActorSystem } from './system.js';

/** What the two directions share: the system, the bus and the binding's state. */
export interface RemoteLink {
  readonly system: ActorSystem;
  readonly bus: Bus;
  readonly log: RateLimitedLog;
  readonly addresses: RemoteAddresses;
  readonly asks: RemoteAsks;
  /** Counts and logs a message dropped by routing rules. */
  reject(reason: RejectReason, detail: string, from: string): void;
}

/** Publishes what `build` makes; false (logged) when it cannot be built or sent. */
export function publishTo(link: RemoteLink, channel: Channel, build: () => Outgoing): boolean {
  try {
    return link.bus.publish(channel, build());
  } catch (error) {
    unsendable(link, error);
    return false;
  }
}

function unsendable(link: RemoteLink, error: unknown): void {
  link.log.warn('remote:unsendable', { err: describeError(error) }, 'message cannot be sent to another node');
}

/** Sends `message` to the actor at a system address of another node; false if it cannot. */
export function sendRemote(link: RemoteLink, to: string, message: MailboxMessage): boolean {
  let route;
  try {
    route = link.addresses.routeTo(to);
  } catch (error) {
    unsendable(link, error);
    return false;
  }
  if (route === undefined) return false;
  const { channel, wire: wireTo } = route;
  if (message.type === 'bzzz.reply') {
    const reply = message as ReplyMessage;
    return publishTo(link, channel, () => actorReply(wireTo, reply));
  }
  const { corr, replyTo } = message;
  // An ask of this node's (`…/$ask/<corr>` with its own corr) is answered at the one ask
  // address, so the wire names no per-ask address; any other `replyTo` crosses as it is.
  const ownAsk = link.asks.isOwn(replyTo, corr);
  let wireReplyTo: string | undefined;
  if (ownAsk) wireReplyTo = link.asks.address;
  else if (replyTo !== undefined) {
    wireReplyTo = link.addresses.replyAddress(replyTo);
    if (wireReplyTo === undefined) return false;
  }
  const wireFrom = message.from === undefined ? undefined : link.addresses.senderAddress(message.from);
  const sent = publishTo(link, channel, () => {
    // Members added in sorted order: the data is canonical as built.
    const data: Record<string, unknown> = {};
    if (corr !== undefined) data.corr = corr;
    if (wireFrom !== undefined) data.from = wireFrom;
    data.payload = message.data ?? null;
    if (wireReplyTo !== undefined) data.replyTo = wireReplyTo;
    data.to = wireTo;
    data.type = message.type;
    const wire = data as ActorMessage;
    return corr === undefined
      ? { type: 'actor_message', to: wireTo, data: wire }
      : { type: 'actor_message', to: wireTo, corr, data: wire };
  });
  if (sent && ownAsk) link.asks.sent(corr, route.address.node);
  return sent;
}

function actorReply(wireTo: string, reply: ReplyMessage): Outgoing<'actor_reply'> {
  return {
    type: 'actor_reply',
    to: wireTo,
    corr: reply.corr,
    data:
      reply.error === undefined
        ? { corr: reply.corr, ok: true, payload: wirePayload(reply.data) }
        : { corr: reply.corr, ok: false, error: { ...reply.error, retryable: false } },
  };
}

/** Takes one envelope that came to this node's mailbox subjects. */
export function receiveMailbox(link: RemoteLink, { envelope }: Delivery): void {
  switch (envelope.type) {
    case 'actor_message':
      receiveMessage(link, envelope);
      return;
    case 'actor_reply': {
      const { data } = envelope;
      link.asks.settle(
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
      link.asks.settle(envelope, data.corr, {
        type: 'bzzz.reply',
        corr: data.corr,
        error: { name: 'DeadLetterError', message: `no actor at ${data.to} (${data.reason})` },
      });
      return;
    }
    default:
      return;
  }
}

/** Delivers an `actor_message`; an ask that reaches no actor is answered with a dead letter. */
function receiveMessage(link: RemoteLink, envelope: EnvelopeOf<'actor_message'>): void {
  const { data } = envelope;
  const to = parseAddress(data.to);
  if (to.path[0] === ASK || to.path[0] === TOPIC) {
    link.reject('bad_data', 'an actor message to a reserved path', envelope.from);
    return;
  }
  const path = to.path.join('/');
  const replyTo = data.replyTo === undefined ? undefined : link.addresses.systemAddressOf(data.replyTo);
  const from = data.from === undefined ? undefined : link.addresses.systemAddressOf(data.from);
  const message: MailboxMessage = {
    type: data.type,
    data: data.payload,
    ...(from === undefined ? {} : { from }),
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(data.corr === undefined ? {} : { corr: data.corr }),
  };
  if (link.system.send(path, message) || data.replyTo === undefined) return;
  deadLetterBack(link, envelope, data.replyTo, path);
}

function deadLetterBack(
  link: RemoteLink,
  envelope: EnvelopeOf<'actor_message'>,
  replyTo: string,
  path: string,
): void {
  const { data } = envelope;
  publishTo(link, { kind: 'actor', address: parseAddress(replyTo) }, () => ({
    type: 'dead_letter',
    to: replyTo,
    ...(data.corr === undefined ? {} : { corr: data.corr }),
    data: {
      to: data.to,
      type: data.type,
      message: envelope.id,
      reason: link.system.has(path) ? 'mailbox_full' : 'unknown_actor',
      ...(data.corr === undefined ? {} : { corr: data.corr }),
    },
  }));
}
