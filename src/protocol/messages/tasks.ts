/**
 * Data of the task messages (names from the original system): a task is announced, claimed,
 * reports progress and completes. These are advice between agents; the claim lease in the
 * store stays the truth (SPEC §8), so `task_claim` carries the fencing token it won.
 */
import { z } from 'zod';
import {
  bodyField,
  countField,
  listOf,
  nameField,
  nodeIdField,
  repositoryField,
  taskKeyField,
  TASK_OUTCOMES,
  taskStateField,
  textField,
  timestampField,
  urlField,
} from '../fields.js';

/** `task_announcement`: an open task found on a forge. */
export const taskAnnouncementSchema = z.object({
  body: bodyField.optional(),
  labels: listOf(nameField),
  /** Higher runs first; 0 when the forge says nothing. */
  priority: z.int().min(0).max(100).optional(),
  repository: repositoryField,
  task: taskKeyField,
  title: z.string().min(1).max(1024),
  url: urlField.optional(),
});
export type TaskAnnouncement = z.infer<typeof taskAnnouncementSchema>;

/** `task_claim`: this node won the lease on a task. */
export const taskClaimSchema = z.object({
  /** The agent's display name. */
  agent: nameField.optional(),
  expiresAt: timestampField,
  node: nodeIdField,
  task: taskKeyField,
  /** The fencing token of the grant (the KV revision), strictly increasing per task. */
  token: countField,
});
export type TaskClaim = z.infer<typeof taskClaimSchema>;

/** `task_progress`: a task moved to a new state or took a step. */
export const taskProgressSchema = z.object({
  /** The agent working on it (its display name, the claim holder). */
  agent: nameField.optional(),
  /** The task's branch, once prepared. */
  branch: nameField.optional(),
  /** The command of the step, when there is one. */
  command: textField.optional(),
  /** The step's exit code. */
  exitCode: z.int().optional(),
  maxSteps: countField.optional(),
  message: textField.optional(),
  node: nodeIdField,
  /** The task's pull request, once published. */
  pullRequest: urlField.optional(),
  /** Why it failed, escalated or was lost. */
  reason: textField.optional(),
  state: taskStateField,
  step: countField.optional(),
  task: taskKeyField,
  /** The fencing token of the agent's lease, once won. */
  token: countField.optional(),
});
export type TaskProgress = z.infer<typeof taskProgressSchema>;

/** `task_complete`: a task left the working states for good. */
export const taskCompleteSchema = z.object({
  /** The agent that worked on it. */
  agent: nameField.optional(),
  branch: nameField.optional(),
  node: nodeIdField,
  outcome: z.enum(TASK_OUTCOMES),
  pullRequest: urlField.optional(),
  /** Why it failed or was escalated. */
  reason: textField.optional(),
  summary: textField.optional(),
  task: taskKeyField,
});
export type TaskComplete = z.infer<typeof taskCompleteSchema>;
