/**
 * What the two SQL usage stores share past their drivers: writes go through the bounded
 * buffer, checked first, and the reads are one set of queries, written once here over a
 * {@link SqlReader} that says how its database writes a parameter and the money column and
 * runs a read. The stores differ only in how they connect, migrate and write a batch.
 */
import {
  NO_TASK_GROUP,
  checkHistoryQuery,
  checkSpentFilter,
  checkTaskOutcome,
  checkUsageRecord,
  pendingSpent,
} from './records.js';
import { num, toSummary, toTaskOutcome, type SummaryRow, type TaskRow } from './rows.js';
import type * as T from './types.js';
import type { WriteBuffer } from './write-buffer.js';

/** A database's reads, as a store gives them. */
export interface SqlReader {
  /** The usage table's money as integer nano-dollars (an SQL expression). */
  readonly costNano: string;
  /** The history's columns under `TaskRow`'s names. */
  readonly taskColumns: string;
  /** The placeholder of the `n`th parameter (1-based). */
  placeholder(n: number): string;
  all<R>(sql: string, values: (string | number)[]): Promise<R[]>;
}

/** `WHERE column = ?` for each term with a value, else nothing; its parameters go to `values`. */
function whereEqual(
  reader: SqlReader,
  terms: [column: string, value: string | undefined][],
  values: (string | number)[],
): string {
  const kept = terms.flatMap(([column, value]) =>
    value === undefined ? [] : [`${column} = ${reader.placeholder(values.push(value))}`],
  );
  return kept.length === 0 ? '' : `WHERE ${kept.join(' AND ')}`;
}

/** The usage and the outcome writes, each checked before it waits in the buffer. */
export async function submitUsage(buffer: WriteBuffer, r: T.UsageRecord): Promise<void> {
  await buffer.submit({ kind: 'usage', record: checkUsageRecord(r) });
}

export async function submitTask(buffer: WriteBuffer, outcome: T.TaskOutcomeRecord): Promise<void> {
  await buffer.submit({ kind: 'task', record: checkTaskOutcome(outcome) });
}

export async function readSummary(reader: SqlReader, by?: 'key' | 'task' | 'model'): Promise<T.UsageSummary> {
  const columns = `count(*) AS requests, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
    coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(${reader.costNano}), 0) AS cost_nano`;
  const total = await reader.all<SummaryRow>(`SELECT ${columns} FROM bzzz_usage`, []);
  if (by === undefined) return toSummary(total[0], []);
  const group = by === 'task' ? `coalesce(task, '${NO_TASK_GROUP}')` : by;
  const groups = await reader.all<SummaryRow>(
    `SELECT ${group} AS grp, ${columns} FROM bzzz_usage GROUP BY 1`,
    [],
  );
  return toSummary(total[0], groups);
}

/** What a key, a task or both have spent in USD, the writes still buffered included. */
export async function readSpent(
  reader: SqlReader,
  buffer: WriteBuffer,
  filter: { key?: string; task?: string },
): Promise<number> {
  const checked = checkSpentFilter(filter);
  const values: string[] = [];
  const where = whereEqual(
    reader,
    [
      ['key', checked.key],
      ['task', checked.task],
    ],
    values,
  );
  const rows = await reader.all<{ nano: string | number | null }>(
    `SELECT coalesce(sum(${reader.costNano}), 0) AS nano FROM bzzz_usage ${where}`,
    values,
  );
  return (Math.round(num(rows[0]?.nano)) + pendingSpent(buffer.pending, checked)) / 1e9;
}

export async function readTasks(
  reader: SqlReader,
  query?: T.TaskHistoryQuery,
): Promise<T.TaskOutcomeRecord[]> {
  const checked = checkHistoryQuery(query);
  const values: (string | number)[] = [];
  const where = whereEqual(
    reader,
    [
      ['repo', checked.repo],
      ['state', checked.state],
    ],
    values,
  );
  const limit = reader.placeholder(values.push(checked.limit));
  const rows = await reader.all<TaskRow>(
    `SELECT ${reader.taskColumns} FROM bzzz_task_history ${where} ORDER BY ended_at DESC, id LIMIT ${limit}`,
    values,
  );
  return rows.map(toTaskOutcome);
}

/** `degraded` while the buffer cannot write, with why and how much waits. */
export function bufferHealth(buffer: WriteBuffer): T.UsageStoreHealth {
  const problem = buffer.problem;
  return {
    status: problem === undefined ? 'ok' : 'degraded',
    ...(problem === undefined ? {} : { detail: problem }),
    pending: buffer.pending.length,
    dropped: buffer.dropped,
  };
}
