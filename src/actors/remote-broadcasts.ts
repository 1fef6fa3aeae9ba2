/**
 * Topics across nodes: which topics cross (`coordination`, `hmmm`, `hmmm.task.<task key>`, see
 * `TOPICS`) and on which bus channel, and what a publication on one looks like on the wire.
 *
 * A message whose type is a protocol broadcast (`availability_broadcast`, …, see
 * {@link NATIVE_BROADCASTS}) and whose data passes that type's schema crosses as itself; any
 * other crosses in a `topic_message` (its type and payload). On receipt both become the
 * mailbox message they were, as does an `actor_message` on a topic, which older nodes sent.
 */
import type { Channel, Delivery, Outgoing } from '../adapters/bus/index.js';
import { parseMessageData } from '../protocol/fast-data.js';
import { BATCHABLE_TYPES, isTaskKey, type JsonValue, type MessageType } from '../protocol/index.js';
import { TOPICS } from '../protocol/topics.js';
import type { MailboxMessage } from './message.js';

/**
 * Protocol messages an actor may publish on a topic as themselves: the broadcast types, but
 * not the two that carry other messages.
 */
export const NATIVE_BROADCASTS: ReadonlySet<string> = new Set(
  BATCHABLE_TYPES.filter((type) => type !== 'actor_message' && type !== 'topic_message'),
);

/** True for a type in {@link NATIVE_BROADCASTS}. */
export function isNativeBroadcast(type: string): type is MessageType {
  return NATIVE_BROADCASTS.has(type);
}

const TASK_TOPIC = TOPICS.task('');

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

/**
 * A mailbox message's data as a wire payload: `undefined` becomes `null`, anything else goes as
 * it is. The bus checks it against the message's schema before it leaves, so a value that is
 * no JSON fails there (as unsendable) rather than here.
 */
export function wirePayload(data: unknown): JsonValue {
  return (data ?? null) as JsonValue;
}

/** The message to publish for a mailbox message on a topic: itself when native, else wrapped. */
export function broadcastOf(message: MailboxMessage): Outgoing {
  const type = message.type;
  if (isNativeBroadcast(type)) {
    const native = parseMessageData(type, message.data);
    if (native.success) return { type, data: native.data };
  }
  return { type: 'topic_message', data: { payload: wirePayload(message.data), type } };
}

/** A received broadcast as the mailbox message it was published as. */
export function receivedBroadcast({ envelope }: Delivery): MailboxMessage {
  return envelope.type === 'topic_message' || envelope.type === 'actor_message'
    ? { type: envelope.data.type, data: envelope.data.payload }
    : { type: envelope.type, data: envelope.data };
}
