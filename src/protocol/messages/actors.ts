/**
 * Data of the actor messages: mailbox traffic between actors on different nodes. An
 * `actor_message` carries one message for an actor's mailbox (a tagged message: `type` plus
 * payload); an `ask` adds `replyTo` and `corr`, answered by an `actor_reply` with the same
 * `corr`. A message that cannot be delivered comes back as a `dead_letter`.
 */
import { z } from 'zod';
import { addressField, idField, jsonField, nameField, textField, ulidField } from '../fields.js';

/** The `type` of a message inside an actor's mailbox (`task.claimed`, `peer.beat`). */
export const actorMessageTypeField = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._:/-]{0,127}$/, 'not a message type');

/** `actor_message`: one message for a remote actor's mailbox. */
export const actorMessageSchema = z.object({
  corr: idField.optional(),
  /** The sending actor's address, when the sender is an actor. */
  from: addressField.optional(),
  payload: jsonField,
  /** Where the reply goes, for an ask. */
  replyTo: addressField.optional(),
  to: addressField,
  type: actorMessageTypeField,
});
export type ActorMessage = z.infer<typeof actorMessageSchema>;

/**
 * `topic_message`: one message for the subscribers of a topic (a broadcast channel: the
 * coordination channel, HMMM, one task's discussion), when it is no protocol message itself:
 * its mailbox type and payload. The channel it comes on names the topic.
 */
export const topicMessageSchema = z.object({
  payload: jsonField,
  type: actorMessageTypeField,
});
export type TopicMessage = z.infer<typeof topicMessageSchema>;

/** A failure answered to an ask, as data (the error's name, message and retryability). */
export const remoteErrorSchema = z.object({
  message: textField,
  name: nameField,
  retryable: z.boolean(),
});
export type RemoteError = z.infer<typeof remoteErrorSchema>;

/** `actor_reply`: the answer to an ask, success or failure. */
export const actorReplySchema = z.discriminatedUnion('ok', [
  z.object({ corr: idField, ok: z.literal(true), payload: jsonField }),
  z.object({ corr: idField, error: remoteErrorSchema, ok: z.literal(false) }),
]);
export type ActorReply = z.infer<typeof actorReplySchema>;

/** Why a message could not be delivered. */
export const DEAD_LETTER_REASONS = [
  'unknown_actor',
  'stopped',
  'mailbox_full',
  'timeout',
  'unreachable',
] as const;

/** `dead_letter`: a message that reached no actor, returned to its sender. */
export const deadLetterSchema = z.object({
  corr: idField.optional(),
  /** The id of the envelope that was not delivered. */
  message: ulidField.optional(),
  reason: z.enum(DEAD_LETTER_REASONS),
  to: addressField,
  type: actorMessageTypeField,
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;
