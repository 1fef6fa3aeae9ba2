/**
 * The registry of message types: each `type` of SPEC §7 mapped to the schema of its `data`.
 * Adding a message type means adding a schema here; `decodeEnvelope` rejects any other type as
 * `unknown_type`.
 *
 * Every schema lists its fields in sorted order: zod writes its output in the order of the
 * shape, so the data `createEnvelope` returns is already canonical and signing it takes the
 * fast path of `canonical.ts` (a test keeps this true).
 */
import type { z } from 'zod';
import { actorMessageSchema, actorReplySchema, deadLetterSchema } from './actors.js';
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
import { taskAnnouncementSchema, taskClaimSchema, taskCompleteSchema, taskProgressSchema } from './tasks.js';

export * from './actors.js';
export * from './cluster.js';
export * from './hmmm.js';
export * from './tasks.js';

/** Message type → schema of its `data`. */
export const messageSchemas = {
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
  actor_message: actorMessageSchema,
  actor_reply: actorReplySchema,
  dead_letter: deadLetterSchema,
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
