/**
 * Where a trusted envelope may arrive, and which handlers hear it. An envelope that decoded
 * and verified may still not belong on the channel it came on: a message about a node from
 * another node, a mailbox message on a broadcast channel, a message for another node's
 * mailbox. A `message_batch` is split back into the messages it carries, each checked as if
 * it had come alone.
 */
import { ADDRESS_SCHEME, type Envelope, type MessageType, type RejectReason } from '../../protocol/index.js';
import type { Channel, ChannelPattern } from './types.js';

/** Types a node's mailbox accepts. */
const MAILBOX_TYPES: ReadonlySet<MessageType> = new Set(['actor_message', 'actor_reply', 'dead_letter']);

/** Why an envelope does not belong where it came: a reason and a detail for the log. */
export type ChannelProblem = [RejectReason, string];

/** Checks a trusted envelope against where it arrived; returns why it does not belong. */
export function channelProblem(envelope: Envelope, channel: Channel): ChannelProblem | undefined {
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

/**
 * The messages of a batch, each what it would have been alone: the batch's frame with the
 * message's type and data; or the problem of the first that does not belong. All are checked
 * before any is delivered: one verdict per envelope.
 */
export function batchMessages(
  envelope: Envelope & { type: 'message_batch' },
  channel: Channel,
): Envelope[] | { index: number; problem: ChannelProblem } {
  const { messages } = envelope.data;
  const { v, id, from, timestamp, hop_count, sig } = envelope;
  const singles: Envelope[] = new Array<Envelope>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const { type, data } = messages[i]!;
    // Written out rather than spread: one small object per message. A batch carries neither
    // `to` nor `corr` (the sender batches only messages without them).
    const single = { v, id, type, from, timestamp, hop_count, data, sig } as Envelope;
    const problem = channelProblem(single, channel);
    if (problem !== undefined) return { index: i, problem };
    singles[i] = single;
  }
  return singles;
}

/** True when a handler subscribed with `pattern` hears a message on `channel`. */
export function matches(pattern: ChannelPattern, channel: Channel): boolean {
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
