/**
 * Checking what is written before it reaches a database: a usage record, a task outcome, a
 * history query. A bad one is refused with `InvalidUsageRecordError` naming the member.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvalidUsageRecordError } from './errors.js';
import {
  TASK_HISTORY_STATES,
  type TaskHistoryQuery,
  type TaskOutcomeRecord,
  type UsageRecord,
} from './types.js';

/** No NUL: PostgreSQL's text cannot hold one, and a record neither backend takes is refused up front. */
const noNul = (s: string) => !s.includes('\u0000');
const text = (max: number) => z.string().min(1).max(max).refine(noNul, 'contains a NUL character');
const tokens = z.number().int().min(0).max(1e12);
const usd = z.number().min(0).max(1e9);
const time = z.number().int().min(0).max(8.64e15);

const usageRecordSchema = z.object({
  id: text(200),
  at: time,
  key: text(200),
  node: text(200),
  task: text(300).nullable(),
  model: text(200),
  promptTokens: tokens,
  completionTokens: tokens,
  costUsd: usd,
  status: z.number().int().min(0).max(999),
  latencyMs: z.number().min(0).max(1e9),
  stream: z.boolean(),
});

const taskOutcomeSchema = z
  .object({
    key: text(300),
    repo: text(300),
    state: z.enum(TASK_HISTORY_STATES),
    holder: text(200),
    node: text(200),
    rounds: z.number().int().min(0).max(1e9),
    promptTokens: tokens,
    completionTokens: tokens,
    costUsd: usd,
    startedAt: time,
    endedAt: time,
    pr: text(2_000).nullable(),
    reason: z.string().max(10_000).refine(noNul, 'contains a NUL character').nullable(),
  })
  .refine((r) => r.endedAt >= r.startedAt, { message: 'endedAt before startedAt', path: ['endedAt'] });

const historyQuerySchema = z.object({
  limit: z.number().int().min(1).max(10_000).default(100),
  repo: text(300).optional(),
  state: z.enum(TASK_HISTORY_STATES).optional(),
});

/** A task outcome as stored: with the id that makes a retried write land once. */
export type StoredTaskOutcome = TaskOutcomeRecord & { id: string };

/** A write the store owes the database. */
export type PendingWrite =
  { kind: 'usage'; record: UsageRecord } | { kind: 'task'; record: StoredTaskOutcome };

function issueOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(record)'}: ${issue.message}`;
}

export function checkUsageRecord(record: unknown): UsageRecord {
  const parsed = usageRecordSchema.safeParse(record);
  if (!parsed.success) throw new InvalidUsageRecordError('usage record', issueOf(parsed.error));
  return parsed.data;
}

export function checkTaskOutcome(record: unknown): StoredTaskOutcome {
  const parsed = taskOutcomeSchema.safeParse(record);
  if (!parsed.success) throw new InvalidUsageRecordError('task outcome', issueOf(parsed.error));
  return { ...parsed.data, id: randomUUID() };
}

export function checkHistoryQuery(query: TaskHistoryQuery | undefined) {
  const parsed = historyQuerySchema.safeParse(query ?? {});
  if (!parsed.success) throw new InvalidUsageRecordError('history query', issueOf(parsed.error));
  return parsed.data;
}

export function checkSpentFilter(filter: { key?: string; task?: string }): { key?: string; task?: string } {
  const parsed = z.object({ key: text(200).optional(), task: text(300).optional() }).safeParse(filter);
  if (!parsed.success) throw new InvalidUsageRecordError('history query', issueOf(parsed.error));
  return parsed.data;
}

/** USD as integer nano-dollars: sums of them are exact. */
export function toNanoUsd(usd: number): number {
  return Math.round(usd * 1e9);
}

/** What a pending write adds to `spent(filter)`. */
export function pendingSpent(
  pending: readonly PendingWrite[],
  filter: { key?: string; task?: string },
): number {
  let nano = 0;
  for (const write of pending) {
    if (write.kind !== 'usage') continue;
    const r = write.record;
    if (filter.key !== undefined && r.key !== filter.key) continue;
    if (filter.task !== undefined && r.task !== filter.task) continue;
    nano += toNanoUsd(r.costUsd);
  }
  return nano;
}

/** The group of a summary for requests without a task (one name, whichever store summarizes). */
export const NO_TASK_GROUP = '(none)';
