/**
 * Data of plan review on a task's HMMM channel (the original's "agent proposes plan → other
 * agents review → feedback"): after its claim an agent posts its plan (`plan_proposal`), and
 * advisors whose capabilities fit the task answer `approve` or `suggest` with a reason
 * (`plan_review`) while the agent listens. Both carry the hash of their node in the task's
 * thread, so every side's thread converges on the same DAG.
 */
import { z } from 'zod';
import { countField, listOf, nameField, nodeIdField, taskKeyField, textField, ulidField } from '../fields.js';
import { planVerdictField, threadHashField } from '../thread-node.js';

/** `plan_proposal`: an agent's plan for a task it holds, for its peers to review. */
export const planProposalSchema = z.object({
  /** The proposing agent's name. */
  agent: nameField.optional(),
  /** The proposal's id; every review names it. */
  id: ulidField,
  /** The task's labels: only advisors whose capabilities fit them review. */
  labels: listOf(nameField).optional(),
  node: nodeIdField,
  plan: textField.min(1),
  /** How long the agent listens for reviews, ms (0: it does not wait; advisors need not answer). */
  reviewMs: countField.optional(),
  task: taskKeyField,
  /** The hash of the proposal's node in the task's thread. */
  thread: threadHashField.optional(),
  title: z.string().min(1).max(1024).optional(),
});
export type PlanProposal = z.infer<typeof planProposalSchema>;

/** `plan_review`: an advisor's verdict on a plan, with its reason (or its suggestion). */
export const planReviewSchema = z.object({
  /** The reviewer's name. */
  agent: nameField.optional(),
  node: nodeIdField,
  /** The `id` of the `plan_proposal` reviewed. */
  proposal: ulidField,
  reason: textField,
  task: taskKeyField,
  /** The hash of the review's node in the task's thread. */
  thread: threadHashField.optional(),
  verdict: planVerdictField,
});
export type PlanReview = z.infer<typeof planReviewSchema>;
