/**
 * The usage port's types: the proxy's usage records (one per proxied model request) and the
 * history of task outcomes, kept in PostgreSQL when `database_url` is set, else in the node's
 * embedded database. `UsageRecord`, `UsageSummary` and `UsageSink` are defined here only: the
 * proxy (`src/adapters/proxy/usage-sink.ts`) re-exports them for its own sinks.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { TRANSCRIPT_OUTCOMES, type TranscriptOutcome } from '../../protocol/transcript.js';

/** One proxied model request: who asked (virtual key, node, task), what it cost, how it went. */
export interface UsageRecord {
  /** Unique per request: recording the same id twice counts it once. */
  id: string;
  /** When the request was made (ms since the epoch). */
  at: number;
  /** The virtual key's name. */
  key: string;
  node: string;
  /** The task key the reasoner sent, when it sent one. */
  task: string | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** The HTTP status the client got. */
  status: number;
  latencyMs: number;
  stream: boolean;
}

/** One group of {@link UsageSummary}: a key, a task (`-` for requests without one) or a model. */
export interface UsageSummaryGroup {
  group: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

/** Totals over every record, and per group when asked (groups in ascending order). */
export interface UsageSummary {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  groups: UsageSummaryGroup[];
}

/** Where the proxy writes its usage records and reads what was spent. */
export interface UsageSink {
  /**
   * Stores the record. A store that cannot write now keeps it (a bounded buffer, retried) and
   * resolves: a model request is never failed for its bookkeeping. Invalid input rejects with
   * `InvalidUsageRecordError`.
   */
  record(r: UsageRecord): Promise<void>;
  summary(by?: 'key' | 'task' | 'model'): Promise<UsageSummary>;
  /** USD spent by a key, a task, or both (the records not yet written included). */
  spent(filter: { key?: string; task?: string }): Promise<number>;
}

/**
 * How a task ended on this node (`stopped`: its node stopped while it held the task): the
 * outcomes a task's transcript records (the migrations' CHECK lists the same five).
 */
export const TASK_HISTORY_STATES = TRANSCRIPT_OUTCOMES;
export type TaskHistoryState = TranscriptOutcome;

/** One task attempt's outcome: who held it, how many rounds, what it spent, its pull request. */
export interface TaskOutcomeRecord {
  /** The task key, `local:demo/app#3`. */
  key: string;
  /** `OWNER/NAME` */
  repo: string;
  state: TaskHistoryState;
  /** The agent that held the task. */
  holder: string;
  node: string;
  /** Commands run (the reasoner's rounds that ran something). */
  rounds: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** When this attempt began and ended (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  /** The pull request's URL, when one was opened. */
  pr: string | null;
  /** Why it failed, escalated, was lost or stopped. */
  reason: string | null;
}

export interface TaskHistoryQuery {
  /** At most this many, newest first (default 100, at most 10 000). */
  limit?: number;
  repo?: string;
  state?: TaskHistoryState;
}

/** What the task actors need: somewhere to put an outcome. */
export interface TaskOutcomeSink {
  recordTask(outcome: TaskOutcomeRecord): Promise<void>;
}

export interface UsageStoreHealth {
  status: 'ok' | 'degraded';
  /** Why it is degraded (the server's URL shown without its password). */
  detail?: string;
  /** Writes kept in memory, waiting for the database. */
  pending: number;
  /** Writes lost: the buffer was full, or the store stopped before they could be written. */
  dropped: number;
}

/** The usage sink and the task history behind one lifecycle. */
export interface UsageStore extends UsageSink, TaskOutcomeSink {
  readonly backend: 'postgres' | 'sqlite';
  /** Where it writes, for logs: the URL without its password, or the file. */
  readonly target: string;
  /** Opens the database and applies the schema migrations. Safe to call twice. */
  start(): Promise<void>;
  /** Writes what is buffered (bounded by the query timeout), then closes. Safe to call twice. */
  stop(): Promise<void>;
  tasks(query?: TaskHistoryQuery): Promise<TaskOutcomeRecord[]>;
  health(): UsageStoreHealth;
}

/** Options shared by both backends. */
export interface UsageStoreOptions {
  /**
   * Start even when the database cannot be reached (the node: it runs degraded, buffering
   * writes and trying again). False (commands): `start` rejects with a clear error.
   */
  startDegraded?: boolean;
  /** Writes kept in memory while the database is unreachable (default 10 000). */
  bufferCapacity?: number;
  /** First retry of buffered writes after this long, doubling up to `retryMaxMs` (500 ms, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface PostgresUsageStoreInit extends UsageStoreOptions {
  /** `postgres://USER:PASSWORD@HOST:PORT/DB` */
  url: string;
  /** Connections at most (default 5). */
  poolSize?: number;
  /** Opening a connection gives up after this long (default 5 s). */
  connectTimeoutMs?: number;
  /** A query gives up after this long, on the server and in the client (default 10 s). */
  queryTimeoutMs?: number;
}

export interface SqliteUsageStoreInit extends UsageStoreOptions {
  /** The database file (`<data_dir>/history.db`). */
  path: string;
}

export type UsageStoreInit =
  ({ backend: 'postgres' } & PostgresUsageStoreInit) | ({ backend: 'sqlite' } & SqliteUsageStoreInit);

export interface UsageStoreComponents {
  logger: Logger;
  clock: Clock;
}
