/**
 * The usage store in PostgreSQL (`database_url`): the v2 architecture's metadata store, shared
 * by every node and proxy of a cluster. A bounded pool (5 connections by default) with a
 * connect timeout and a query timeout enforced both by the server (`statement_timeout`) and by
 * the client; the schema is migrated at start (see postgres-migrate.ts). When the server is
 * down, writes wait in a bounded buffer and are retried, reads fail with a clear
 * `UsageStoreUnavailableError`, and the health says `degraded`; nothing crashes the node.
 * The URL's password never appears in a log or an error: the target is shown redacted and
 * every driver message is scrubbed.
 */
import pg from 'pg';
import { redactUrl, urlPassword } from '../../lib/redact.js';
import {
  isRefusedData,
  isUnavailable,
  safeCause,
  UsageSchemaError,
  UsageStoreClosedError,
  UsageStoreError,
  UsageStoreUnavailableError,
} from './errors.js';
import { migratePostgres } from './postgres-migrate.js';
import { insertTasks, insertUsage } from './postgres-sql.js';
import type { PendingWrite } from './records.js';
import {
  bufferHealth,
  readSpent,
  readSummary,
  readTasks,
  submitTask,
  submitUsage,
  type SqlReader,
} from './sql-reads.js';
import type * as T from './types.js';
import { bufferOptions } from './options.js';
import { WriteBuffer } from './write-buffer.js';

const TASK_COLUMNS = `key, repo, state, holder, node, rounds, prompt_tokens, completion_tokens,
  cost_usd * 1000000000 AS cost_nano, round(extract(epoch FROM started_at) * 1000) AS started_at,
  round(extract(epoch FROM ended_at) * 1000) AS ended_at, pr, reason`;

export class PostgresUsageStore implements T.UsageStore {
  readonly backend = 'postgres';
  readonly target: string;
  readonly #secrets: string[];
  readonly #buffer: WriteBuffer;
  readonly #queryTimeoutMs: number;
  #pool: pg.Pool | undefined;
  #schema: Promise<void> | undefined;
  #stopped = false;
  readonly #reader: SqlReader = {
    costNano: 'cost_usd * 1000000000',
    taskColumns: TASK_COLUMNS,
    placeholder: (n) => `$${n}`,
    all: async <R>(sql: string, values: (string | number)[]) => (await this.#query(sql, values)) as R[],
  };

  constructor(
    private readonly init: T.PostgresUsageStoreInit,
    private readonly components: T.UsageStoreComponents,
  ) {
    this.target = redactUrl(init.url);
    const raw = /^[a-z]+:\/\/[^:/@]*:([^@/]*)@/i.exec(init.url)?.[1] ?? '';
    this.#secrets = [urlPassword(init.url), raw, process.env.PGPASSWORD ?? ''].filter((s) => s !== '');
    this.#queryTimeoutMs = init.queryTimeoutMs ?? 10_000;
    this.#buffer = new WriteBuffer((batch) => this.#write(batch), bufferOptions(init), {
      ...components,
      describe: (error) => this.#wrap(error, 'write failed').message,
    });
  }

  async start(): Promise<void> {
    if (this.#pool !== undefined) return;
    if (this.#stopped) throw new UsageStoreClosedError(this.target);
    const pool = new pg.Pool({
      connectionString: this.init.url,
      max: this.init.poolSize ?? 5,
      connectionTimeoutMillis: this.init.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: this.#queryTimeoutMs,
      query_timeout: this.#queryTimeoutMs + 1_000,
      application_name: 'bzzz',
      keepAlive: true,
    });
    // an idle connection the server dropped: the pool discards it; the next query reconnects
    pool.on('error', (error) =>
      this.components.logger.warn(
        { target: this.target, problem: safeCause(error, this.#secrets).message },
        'usage store connection lost',
      ),
    );
    this.#pool = pool;
    try {
      await this.#ensureSchema();
    } catch (error) {
      if (this.init.startDegraded !== true) {
        this.#pool = undefined;
        await pool.end().catch(() => undefined);
        throw error;
      }
      this.#buffer.markUnavailable(error);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#buffer.close();
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  record(r: T.UsageRecord): Promise<void> {
    return submitUsage(this.#buffer, r);
  }

  recordTask(outcome: T.TaskOutcomeRecord): Promise<void> {
    return submitTask(this.#buffer, outcome);
  }

  summary(by?: 'key' | 'task' | 'model'): Promise<T.UsageSummary> {
    return readSummary(this.#reader, by);
  }

  spent(filter: { key?: string; task?: string }): Promise<number> {
    return readSpent(this.#reader, this.#buffer, filter);
  }

  tasks(query?: T.TaskHistoryQuery): Promise<T.TaskOutcomeRecord[]> {
    return readTasks(this.#reader, query);
  }

  health(): T.UsageStoreHealth {
    return bufferHealth(this.#buffer);
  }

  #openPool(): pg.Pool {
    if (this.#pool === undefined || this.#stopped) throw new UsageStoreClosedError(this.target);
    return this.#pool;
  }

  /** Migrates once per store; a failed attempt is forgotten so the next call tries again. */
  #ensureSchema(): Promise<void> {
    const pool = this.#openPool();
    this.#schema ??= migratePostgres(
      pool,
      this.components.logger,
      Math.max(60_000, this.#queryTimeoutMs),
    ).then(
      (result) => {
        this.components.logger.info({ target: this.target, ...result }, 'usage store ready');
      },
      (error: unknown) => {
        this.#schema = undefined;
        const wrapped = this.#wrap(error, 'schema migration failed');
        throw wrapped instanceof UsageStoreUnavailableError
          ? wrapped
          : new UsageSchemaError(this.target, safeCause(error, this.#secrets));
      },
    );
    return this.#schema;
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.#ensureSchema();
    try {
      return (await this.#openPool().query<R>(text, values)).rows;
    } catch (error) {
      throw this.#wrap(error, 'query failed');
    }
  }

  async #write(batch: PendingWrite[]): Promise<void> {
    await this.#ensureSchema();
    const pool = this.#openPool();
    try {
      const usage = batch.flatMap((w) => (w.kind === 'usage' ? [w.record] : []));
      const tasks = batch.flatMap((w) => (w.kind === 'task' ? [w.record] : []));
      if (usage.length > 0) await pool.query(insertUsage(usage));
      if (tasks.length > 0) await pool.query(insertTasks(tasks));
    } catch (error) {
      throw this.#wrap(error, 'write failed');
    }
  }

  #wrap(error: unknown, what: string): UsageStoreError {
    if (error instanceof UsageStoreError) return error;
    const cause = safeCause(error, this.#secrets);
    // a table gone (a database restored from before the migrations): migrate again next time
    if (cause.code === '42P01') this.#schema = undefined;
    return isUnavailable(cause)
      ? new UsageStoreUnavailableError(this.target, cause)
      : new UsageStoreError(what, this.target, cause, !isRefusedData(error, cause));
  }
}
