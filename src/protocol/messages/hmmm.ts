/**
 * Data of the HMMM meta-discussion and coordination messages (names from the original system):
 * agents talk about tasks, ask each other for help, coordinate work that spans tasks, warn of
 * dependencies, and escalate to a human when stuck.
 */
import { z } from 'zod';
import {
  countField,
  idField,
  listOf,
  nameField,
  nodeIdField,
  taskKeyField,
  textField,
  ulidField,
} from '../fields.js';
import { threadHashField } from '../thread-node.js';

/** `meta_discussion`: one post in a discussion thread. */
export const metaDiscussionSchema = z.object({
  /** The id of the message this answers. */
  inReplyTo: ulidField.optional(),
  task: taskKeyField.optional(),
  text: textField.min(1),
  thread: idField,
});
export type MetaDiscussion = z.infer<typeof metaDiscussionSchema>;

/**
 * `task_help_request`: an agent working on a task asks its peers a question. It names itself
 * with an `id` of its own making, which answers quote, and carries the task's title and labels
 * so only advisors whose capabilities fit the task answer. `thread` (optional, newer nodes send it)
 * is the hash of the request's node in the task's HMMM thread, from which the advisor reads the
 * discussion so far.
 */
export const taskHelpRequestSchema = z.object({
  /** The asking agent's name. */
  agent: nameField.optional(),
  /** Steps tried so far. */
  attempts: countField.optional(),
  context: textField.optional(),
  /** The request's id; every answer names it. */
  id: ulidField,
  /** The task's labels; without them only an advisor that takes any task answers. */
  labels: listOf(nameField).optional(),
  node: nodeIdField,
  question: textField.min(1),
  task: taskKeyField,
  /** The hash of the asker's `help_request` node in the task's HMMM thread (its head then). */
  thread: threadHashField.optional(),
  title: z.string().min(1).max(1024).optional(),
});
export type TaskHelpRequest = z.infer<typeof taskHelpRequestSchema>;

/** `task_help_response`: an answer to a help request. */
export const taskHelpResponseSchema = z.object({
  /** The answering agent's name (an advisor, or a person). */
  agent: nameField.optional(),
  answer: textField.min(1),
  node: nodeIdField,
  /** The `id` of the `task_help_request` answered. */
  request: ulidField,
  task: taskKeyField,
  /** The hash of the answer's `help_response` node in the task's thread. */
  thread: threadHashField.optional(),
});
export type TaskHelpResponse = z.infer<typeof taskHelpResponseSchema>;

/** `coordination_request`: work spanning several tasks needs the agents to agree. */
export const coordinationRequestSchema = z.object({
  participants: listOf(nodeIdField),
  reason: textField.min(1),
  session: idField,
  tasks: listOf(taskKeyField).min(1),
});
export type CoordinationRequest = z.infer<typeof coordinationRequestSchema>;

/** `coordination_complete`: a coordination session ended. */
export const coordinationCompleteSchema = z.object({
  outcome: z.enum(['resolved', 'abandoned', 'escalated']),
  session: idField,
  summary: textField.optional(),
});
export type CoordinationComplete = z.infer<typeof coordinationCompleteSchema>;

/** `dependency_alert`: a task depends on, blocks or conflicts with others. */
export const dependencyAlertSchema = z.object({
  kind: z.enum(['depends_on', 'blocks', 'conflicts']),
  message: textField.optional(),
  related: listOf(taskKeyField).min(1),
  task: taskKeyField,
});
export type DependencyAlert = z.infer<typeof dependencyAlertSchema>;

/** Why a task was escalated to a human. */
export const ESCALATION_REASONS = [
  'help_unanswered',
  'repeated_failure',
  'step_limit',
  'time_limit',
  'budget',
  'requested',
  'other',
] as const;

/** `escalation_trigger`: a task needs a human (the escalation webhook is called). */
export const escalationTriggerSchema = z.object({
  agent: nameField.optional(),
  attempts: countField.optional(),
  detail: textField.optional(),
  node: nodeIdField,
  question: textField.optional(),
  reason: z.enum(ESCALATION_REASONS),
  task: taskKeyField,
});
export type EscalationTrigger = z.infer<typeof escalationTriggerSchema>;
