/**
 * The registry of message types: each `type` of SPEC §7 mapped to the schema of its `data`.
 * Adding a message type means adding a schema here; `decodeEnvelope` rejects any other type as
 * `unknown_type`.
 *
 * Every schema lists its fields in sorted order: zod writes its output in the order of the
 * shape, so the data `createEnvelope` returns is already canonical and signing it takes the
 * fast path of `canonical.ts` (a test keeps this true).
 */
import { z } from 'zod';
import { MAX_LIST } from '../limits.js';
import { actorMessageSchema, actorReplySchema, deadLetterSchema, topicMessageSchema } from './actors.js';
import { auditHeadMessageSchema } from './audit.js';
import {
  availabilityBroadcastSchema,
  blobAnnounceSchema,
  capabilityBroadcastSchema,
  electionHeartbeatSchema,
} from './cluster.js';
import {
  coordinationCompleteSchema,
  coordinationRequestSchema,
  dependencyAlertSchema,
  escalationTriggerSchema,
  metaDiscussionSchema,
  taskHelpRequestSchema,
  taskHelpResponseSchema,
} from './hmmm.js';
import { planProposalSchema, planReviewSchema } from './plan.js';
import { taskAnnouncementSchema, taskClaimSchema, taskCompleteSchema, taskProgressSchema } from './tasks.js';

export * from './actors.js';
export * from './audit.js';
export * from './cluster.js';
export * from './hmmm.js';
export * from './plan.js';
export * from './tasks.js';

/** The message types a batch may carry: every type but mailbox replies, dead letters and batches. */
const singleSchemas = {
  task_announcement: taskAnnouncementSchema,
  task_claim: taskClaimSchema,
  task_progress: taskProgressSchema,
  task_complete: taskCompleteSchema,
  capability_broadcast: capabilityBroadcastSchema,
  availability_broadcast: availabilityBroadcastSchema,
  meta_discussion: metaDiscussionSchema,
  task_help_request: taskHelpRequestSchema,
  task_help_response: taskHelpResponseSchema,
  coordination_request: coordinationRequestSchema,
  coordination_complete: coordinationCompleteSchema,
  dependency_alert: dependencyAlertSchema,
  escalation_trigger: escalationTriggerSchema,
  election_heartbeat: electionHeartbeatSchema,
  blob_announce: blobAnnounceSchema,
  plan_proposal: planProposalSchema,
  plan_review: planReviewSchema,
  audit_head: auditHeadMessageSchema,
  actor_message: actorMessageSchema,
  topic_message: topicMessageSchema,
} as const satisfies Record<string, z.ZodType>;

/** A message type a `message_batch` may carry. */
export type BatchableType = keyof typeof singleSchemas;

/** The types a `message_batch` may carry. */
export const BATCHABLE_TYPES = Object.keys(singleSchemas) as readonly BatchableType[];

/** Most messages in one `message_batch`. */
export const MAX_BATCH = MAX_LIST;

/** One message inside a batch, as it would have been sent alone: its type and data. */
export type BatchEntry = {
  [T in BatchableType]: { data: z.output<(typeof singleSchemas)[T]>; type: T };
}[BatchableType];

const batchEntrySchema = z.discriminatedUnion(
  'type',
  BATCHABLE_TYPES.map((type) =>
    z.object({ data: singleSchemas[type] as z.ZodType, type: z.literal(type) }),
  ) as [
    z.ZodObject<{ data: z.ZodType; type: z.ZodLiteral<BatchableType> }>,
    ...z.ZodObject<{ data: z.ZodType; type: z.ZodLiteral<BatchableType> }>[],
  ],
) as unknown as z.ZodType<BatchEntry>;

/**
 * `message_batch`: broadcasts one node published on one channel in one turn, sent as one
 * envelope (one id, one signature) and delivered as the messages they are, in order. A bus
 * makes them; nothing else sends one, and one never holds another.
 */
export const messageBatchSchema = z.object({
  messages: z.array(batchEntrySchema).min(1).max(MAX_BATCH),
});

/** Message type → schema of its `data`. */
export const messageSchemas = {
  ...singleSchemas,
  actor_reply: actorReplySchema,
  dead_letter: deadLetterSchema,
  message_batch: messageBatchSchema,
} as const satisfies Record<string, z.ZodType>;

/** A message type name. */
export type MessageType = keyof typeof messageSchemas;

/** The `data` of a message of type `T`. */
export type MessageData<T extends MessageType> = z.output<(typeof messageSchemas)[T]>;

/** Every message type, in registry order. */
export const MESSAGE_TYPES = Object.keys(messageSchemas) as readonly MessageType[];

/** True when `type` is a known message type. */
export function isMessageType(type: string): type is MessageType {
  return Object.hasOwn(messageSchemas, type);
}
