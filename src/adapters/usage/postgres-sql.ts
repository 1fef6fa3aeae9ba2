/**
 * The PostgreSQL writes: one multi-row INSERT per batch, idempotent by id (a batch retried
 * after a commit whose answer was lost lands once). Times go in as ms since the epoch and are
 * stored as `timestamptz`; money as a decimal string with nine places (exact NUMERIC).
 */
import type { QueryConfig } from 'pg';
import type { StoredTaskOutcome } from './records.js';
import type { UsageRecord } from './types.js';

type Value = string | number | boolean | null;

/** `INSERT INTO table (columns) VALUES (...), (...)` with `$n` placeholders for `rows`. */
function insert<R>(
  table: string,
  columns: readonly string[],
  rows: readonly R[],
  cells: (row: R, param: (value: Value) => string) => string[],
): QueryConfig<Value[]> {
  const values: Value[] = [];
  const param = (value: Value) => `$${values.push(value)}`;
  const tuples = rows.map((row) => `(${cells(row, param).join(', ')})`);
  return {
    text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
    values,
  };
}

const time = (ms: number, param: (value: Value) => string) =>
  `to_timestamp(${param(ms)}::double precision / 1000)`;
const money = (usd: number, param: (value: Value) => string) => `${param(usd.toFixed(9))}::numeric`;

const USAGE_COLUMNS = [
  'id',
  'at',
  'key',
  'node',
  'task',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'status',
  'latency_ms',
  'stream',
] as const;

export function insertUsage(records: readonly UsageRecord[]): QueryConfig<Value[]> {
  return insert('bzzz_usage', USAGE_COLUMNS, records, (r, p) => [
    p(r.id),
    time(r.at, p),
    p(r.key),
    p(r.node),
    p(r.task),
    p(r.model),
    p(r.promptTokens),
    p(r.completionTokens),
    money(r.costUsd, p),
    p(r.status),
    p(r.latencyMs),
    p(r.stream),
  ]);
}

const TASK_COLUMNS = [
  'id',
  'key',
  'repo',
  'state',
  'holder',
  'node',
  'rounds',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'started_at',
  'ended_at',
  'pr',
  'reason',
] as const;

export function insertTasks(records: readonly StoredTaskOutcome[]): QueryConfig<Value[]> {
  return insert('bzzz_task_history', TASK_COLUMNS, records, (r, p) => [
    p(r.id),
    p(r.key),
    p(r.repo),
    p(r.state),
    p(r.holder),
    p(r.node),
    p(r.rounds),
    p(r.promptTokens),
    p(r.completionTokens),
    money(r.costUsd, p),
    time(r.startedAt, p),
    time(r.endedAt, p),
    p(r.pr),
    p(r.reason),
  ]);
}
