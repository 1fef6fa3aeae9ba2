/**
 * Broadcasts leaving together. Broadcasts (coordination, HMMM, task channels) published one
 * after another in the same turn to the same subject leave, when the turn ends, as one
 * `message_batch` envelope: one id, one signature and one NATS message for all of them, which
 * receivers deliver as the messages they are, in order. A lone broadcast leaves as itself.
 * A batch over the envelope size limit is halved until each part fits.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { RateLimitedLog } from '../../lib/log.js';
import {
  BATCHABLE_TYPES,
  encodeData,
  InvalidMessageError,
  MAX_BATCH,
  MAX_ENVELOPE_BYTES,
  sealEncodedEnvelope,
  type MessageType,
} from '../../protocol/index.js';
import { parseMessageData } from '../../protocol/fast-data.js';
import type { Channel, Outgoing } from './types.js';

/** Types a broadcast batch may carry. */
const BATCHABLE: ReadonlySet<MessageType> = new Set(BATCHABLE_TYPES);

/** True for a message that may wait for others: a broadcast type, no recipient, no `corr`. */
export function batchable(channel: Channel, message: Outgoing): boolean {
  return (
    channel.kind !== 'actor' &&
    message.to === undefined &&
    message.corr === undefined &&
    BATCHABLE.has(message.type)
  );
}

/**
 * Broadcasts published in one turn to one subject, waiting to leave as one envelope: each
 * message's type and its data as encoded when it was published.
 */
interface PendingBatch {
  readonly subject: string;
  readonly types: MessageType[];
  readonly texts: string[];
}

/** Who sends a batch and how: the node, its key, its clock, the transport's `publish`. */
export interface BatchSender {
  readonly nodeId: string;
  readonly privateKey: KeyObject | null;
  readonly clock: Clock;
  readonly log: RateLimitedLog;
  publish(subject: string, bytes: Uint8Array): boolean;
}

/** The broadcasts of one bus waiting for the end of the turn. */
export class BroadcastBatcher {
  readonly #sender: BatchSender;
  #batch: PendingBatch | undefined;

  constructor(sender: BatchSender) {
    this.#sender = sender;
  }

  /**
   * Checks and encodes a {@link batchable} message and adds it to the batch for `subject`,
   * sending first a batch waiting for another subject. Throws InvalidMessageError for data
   * its schema refuses.
   */
  add<T extends MessageType>(subject: string, message: Outgoing<T>): void {
    const checked = parseMessageData(message.type, message.data);
    if (!checked.success)
      throw new InvalidMessageError(message.type, z.prettifyError(checked.error), { cause: checked.error });
    // Encoded now: what leaves is the message as it was when published, and a value that is
    // no JSON fails here, at its sender, as an unbatched one does.
    const text = encodeData(checked.data, this.#sender.privateKey !== null);
    let batch = this.#batch;
    if (batch !== undefined && batch.subject !== subject) {
      this.flush();
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { subject, types: [], texts: [] };
      this.#batch = batch;
      queueMicrotask(this.#flushTask);
    }
    batch.types.push(message.type);
    batch.texts.push(text);
    if (batch.texts.length >= MAX_BATCH) this.flush();
  }

  readonly #flushTask = (): void => this.flush();

  /** Sends the waiting broadcasts, if any. Never throws (it runs from a microtask too). */
  flush(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    try {
      this.#send(batch.subject, batch.types, batch.texts);
    } catch (error) {
      this.#sender.log.warn(
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
  #send(subject: string, types: MessageType[], texts: string[]): void {
    const { nodeId, privateKey: key, clock } = this.#sender;
    if (texts.length === 1) {
      this.#sender.publish(subject, sealEncodedEnvelope(types[0]!, texts[0]!, nodeId, key, clock));
      return;
    }
    // `{"data":…,"type":…}` per message, members in canonical order; a type needs no escaping.
    let list = '';
    for (let i = 0; i < texts.length; i++)
      list += `${i === 0 ? '' : ','}{"data":${texts[i]!},"type":"${types[i]!}"}`;
    const bytes = sealEncodedEnvelope('message_batch', `{"messages":[${list}]}`, nodeId, key, clock);
    if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
      const half = Math.ceil(texts.length / 2);
      this.#send(subject, types.slice(0, half), texts.slice(0, half));
      this.#send(subject, types.slice(half), texts.slice(half));
      return;
    }
    this.#sender.publish(subject, bytes);
  }
}
