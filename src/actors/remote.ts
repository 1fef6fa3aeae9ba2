/**
 * Remote routing: binds an {@link ActorSystem} to a {@link Bus}, so `send`, `ask` and
 * `publish` reach actors and subscribers on other nodes exactly as local ones.
 *
 * Out (through `system.setRemote`): a message or reply for `bzzz://<other node>/<path>` goes
 * to that actor's subject (`remote-mailbox.ts`); a publication on a mapped topic goes to the
 * topic's channel, as the protocol message itself or in a `topic_message`
 * (`remote-broadcasts.ts`, where `NATIVE_BROADCASTS` decides). An `actor_message` to a
 * `…/$topic/<topic>` address, which older nodes sent instead, is still taken.
 * In: envelopes on this node's mailbox subjects are delivered with `system.send`, answers to
 * remote asks settle them (`remote-asks.ts`), topic envelopes go to `system.deliverTopic`.
 * Addresses are parsed and checked once and then remembered (`remote-addresses.ts`).
 *
 * Topics (the names actors use, see `TOPICS`): `coordination`, `hmmm` and `hmmm.task.<task key>`
 * map to `bzzz.<cluster>.coordination`, `.hmmm` and `.hmmm.task.<encoded key>`; any other topic
 * stays in the process.
 */
import type { Bus, BusSubscription, Delivery } from '../adapters/bus/index.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { RateLimitedLog, silentLogger, type Logger } from '../lib/log.js';
import type { RejectReason } from '../protocol/index.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { MailboxMessage } from './message.js';
import { RemoteAddresses } from './remote-addresses.js';
import { RemoteAsks } from './remote-asks.js';
import { broadcastOf, channelTopic, receivedBroadcast, topicChannel } from './remote-broadcasts.js';
import { publishTo, receiveMailbox, sendRemote, type RemoteLink } from './remote-mailbox.js';
import { serviceSpec } from './service.js';
import type { ActorSystem } from './system.js';

export { wireAddress } from './remote-addresses.js';
export { channelTopic, topicChannel } from './remote-broadcasts.js';

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

/** Binds `system` to `bus`; incoming traffic flows at once. */
export function bindRemote(system: ActorSystem, bus: Bus, components: RemoteComponents = {}): RemoteBinding {
  const log = new RateLimitedLog(
    components.logger ?? silentLogger(),
    components.clock ?? systemClock,
    60_000,
  );
  const reject = (reason: RejectReason, detail: string, from: string): void => {
    components.rejected?.(reason);
    log.warn(`remote:${reason}`, { detail, from }, 'message rejected');
  };
  const link: RemoteLink = {
    system,
    bus,
    log,
    reject,
    addresses: new RemoteAddresses(bus.nodeId, log),
    asks: new RemoteAsks(system, bus.nodeId, reject),
  };

  const publish = (topic: string, message: MailboxMessage): void => {
    const channel = topicChannel(topic);
    if (channel !== undefined) publishTo(link, channel, () => broadcastOf(message));
  };
  const onBroadcast = (delivery: Delivery): void => {
    const topic = channelTopic(delivery.channel);
    if (topic !== undefined) system.deliverTopic(topic, receivedBroadcast(delivery));
  };
  const onMailbox = (delivery: Delivery): void => receiveMailbox(link, delivery);

  const subscriptions: BusSubscription[] = [
    bus.subscribe({ kind: 'coordination' }, onBroadcast),
    bus.subscribe({ kind: 'hmmm' }, onBroadcast),
    bus.subscribe({ kind: 'tasks' }, onBroadcast),
    bus.subscribe({ kind: 'mailbox' }, onMailbox),
  ];
  system.setRemote({ send: (to, message) => sendRemote(link, to, message), publish });

  let closed = false;
  return {
    close: () => {
      if (closed) return;
      closed = true;
      system.setRemote(undefined);
      for (const subscription of subscriptions) subscription.unsubscribe();
      link.asks.clear();
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
