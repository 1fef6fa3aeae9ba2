/**
 * A task's transcript (issue 16): the blob a task's `log` name points at, written by the node
 * whose agent worked on the task when the task ends (any outcome but `skipped`). Its bytes are
 * the canonical JSON (canonical.ts) of one {@link Transcript} object:
 *
 * - who and what: `task` (the key), `name` (`owner~repo:n`), `agent`, `node` (id), `nodeName`,
 *   `roles` (the node's capabilities);
 * - how it ended: `outcome` (`done`, `failed`, `escalated`, `lost`, `stopped`), `reason`,
 *   `summary`, `pr`, `branch`, `base`, `token` (the lease's fencing token);
 * - when: `startedAt` (the task actor started) and `endedAt` (the recording), RFC 3339;
 * - `steps`: the task's history in order (history.ts): every command with its exit code and
 *   output (capped and redacted by the sandbox, as the model saw them) and the model's
 *   reasoning when there was one, and every piece of advice;
 * - `artifacts`: the `diff` and `tree` blobs recorded with it (null when not captured), so the
 *   log alone leads to the rest.
 */
import { z } from 'zod';
import { historyEntrySchema } from './history.js';

const hash = z.string().regex(/^[0-9a-f]{64}$/);

/** The outcomes a transcript records: the task's end, `skipped` aside (that agent never held it). */
export const TRANSCRIPT_OUTCOMES = ['done', 'failed', 'escalated', 'lost', 'stopped'] as const;
export type TranscriptOutcome = (typeof TRANSCRIPT_OUTCOMES)[number];

/** The diff blob: `truncated` when the diff was longer than the node keeps. */
export const diffArtifactSchema = z.strictObject({
  hash,
  size: z.int().min(0),
  truncated: z.boolean(),
});

/** The result tree's manifest blob: how many files and bytes it lists, and whether it was capped. */
export const treeArtifactSchema = z.strictObject({
  hash,
  files: z.int().min(0),
  bytes: z.int().min(0),
  capped: z.boolean(),
});

export const transcriptSchema = z.strictObject({
  v: z.literal(1),
  task: z.string(),
  name: z.string(),
  agent: z.string(),
  node: z.string(),
  nodeName: z.string(),
  roles: z.array(z.string()),
  outcome: z.enum(TRANSCRIPT_OUTCOMES),
  reason: z.string().nullable(),
  summary: z.string().nullable(),
  pr: z.strictObject({ number: z.int(), url: z.string() }).nullable(),
  branch: z.string().nullable(),
  base: z.string().nullable(),
  token: z.int().nullable(),
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }),
  steps: z.array(historyEntrySchema),
  artifacts: z.strictObject({
    diff: diffArtifactSchema.nullable(),
    tree: treeArtifactSchema.nullable(),
  }),
});

/** A task's transcript (the `log` blob). */
export type Transcript = z.infer<typeof transcriptSchema>;
export type DiffArtifact = z.infer<typeof diffArtifactSchema>;
export type TreeArtifact = z.infer<typeof treeArtifactSchema>;
