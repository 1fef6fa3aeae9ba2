/**
 * Data of the cluster messages: what a node can do (`capability_broadcast`, on start and on
 * change) and how busy it is (`availability_broadcast`, every second), both from the original
 * system; the leader's heartbeat and content-store announcements are ours.
 */
import { z } from 'zod';
import { countField, listOf, nameField, nodeIdField, taskKeyField } from '../fields.js';

/** `capability_broadcast`: a node's name and what it can do. */
export const capabilityBroadcastSchema = z.object({
  capabilities: listOf(nameField),
  maxTasks: countField,
  /** Reasoning models it can use. */
  models: listOf(nameField),
  name: nameField,
  node: nodeIdField,
  /** Sandbox backends available (`docker`, `bwrap`). */
  sandboxes: listOf(nameField),
  /** The bzzz version it runs. */
  version: nameField,
});
export type CapabilityBroadcast = z.infer<typeof capabilityBroadcastSchema>;

/** `availability_broadcast`: a node's heartbeat and load. */
export const availabilityBroadcastSchema = z.object({
  /** Tasks it runs now. */
  load: countField,
  maxTasks: countField,
  node: nodeIdField,
  status: z.enum(['ready', 'busy', 'draining']),
  tasks: listOf(taskKeyField),
});
export type AvailabilityBroadcast = z.infer<typeof availabilityBroadcastSchema>;

/** `election_heartbeat`: the leader says it still holds the lease. */
export const electionHeartbeatSchema = z.object({
  node: nodeIdField,
  /** Store revision of the leader lease (its fencing token). */
  revision: countField,
  /** Increases with every new leader. */
  term: countField,
  /** Lease time to live, so followers know when to stop waiting. */
  ttlMs: z.int().min(1),
});
export type ElectionHeartbeat = z.infer<typeof electionHeartbeatSchema>;

/** `blob_announce`: a node holds a blob of the content store. */
export const blobAnnounceSchema = z.object({
  /** BLAKE3-256 of the content, lower-case hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a BLAKE3-256 hex digest'),
  mediaType: nameField.optional(),
  name: nameField.optional(),
  size: countField,
});
export type BlobAnnounce = z.infer<typeof blobAnnounceSchema>;
