/**
 * What happened while a task was worked on, step by step: the history the reasoner reads and
 * the task machine keeps (and, later, the task's transcript). One definition for both; the
 * type is derived from its schema.
 */
import { z } from 'zod';

/** One thing that happened while working on a task. */
export const historyEntrySchema = z.discriminatedUnion('kind', [
  /** A command ran in the sandbox (output already capped and redacted). */
  z.object({
    kind: z.literal('command'),
    command: z.string(),
    exitCode: z.int(),
    stdout: z.string(),
    stderr: z.string(),
    /** The model's tool call the command came from, when it did (its result answers it). */
    toolCallId: z.string().optional(),
    /** The model's reasoning when it chose the command, shown to it again in later steps. */
    reasoning: z.string().optional(),
  }),
  /** Advice from another agent or a human (a `task_help_response`). */
  z.object({ kind: z.literal('advice'), from: z.string(), text: z.string() }),
  /** A peer's suggestion on the agent's plan (a `plan_review` with verdict `suggest`), and that plan. */
  z.object({ kind: z.literal('review'), from: z.string(), text: z.string(), plan: z.string().optional() }),
]);

/** One thing that happened while working on a task. */
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
