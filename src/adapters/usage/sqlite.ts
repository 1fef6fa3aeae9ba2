/**
 * The usage store in the node's embedded database, `<data_dir>/history.db`, when no
 * `database_url` is set: `node:sqlite` as the content store's index uses it (WAL, so a
 * `bzzz task list --history` reads while the node writes). The same numbered migrations,
 * each in its own `BEGIN IMMEDIATE` transaction (SQLite's write lock plays the advisory
 * lock's part between processes). Writes go through the same bounded buffer as PostgreSQL's,
 * so a locked or full disk degrades the store instead of failing a task.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import {
  isRefusedData,
  safeCause,
  UsageSchemaError,
  UsageStoreClosedError,
  UsageStoreError,
} from './errors.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './migrations.js';
import { bufferOptions } from './options.js';
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
import { INSERT_TASK, INSERT_USAGE, taskRow, usageRow } from './sqlite-sql.js';
import { WriteBuffer } from './write-buffer.js';

const TASK_COLUMNS = `key, repo, state, holder, node, rounds, prompt_tokens, completion_tokens,
  cost_nano_usd AS cost_nano, started_at, ended_at, pr, reason`;

/** Runs `fn` holding SQLite's write lock (across processes); rolls back on a throw. */
function inTransaction(db: DatabaseSync, fn: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    fn();
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export class SqliteUsageStore implements T.UsageStore {
  readonly backend = 'sqlite';
  readonly target: string;
  readonly #buffer: WriteBuffer;
  #db: DatabaseSync | undefined;
  #stopped = false;
  readonly #reader: SqlReader = {
    costNano: 'cost_nano_usd',
    taskColumns: TASK_COLUMNS,
    placeholder: () => '?',
    all: (sql, values) => this.#all(sql, values),
  };

  constructor(
    private readonly init: T.SqliteUsageStoreInit,
    private readonly components: T.UsageStoreComponents,
  ) {
    this.target = init.path;
    this.#buffer = new WriteBuffer((batch) => Promise.resolve(this.#write(batch)), bufferOptions(init), {
      ...components,
      describe: (error) => this.#wrap(error, 'write failed').message,
    });
  }

  start(): Promise<void> {
    if (this.#db !== undefined) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new UsageStoreClosedError(this.target));
    try {
      mkdirSync(dirname(this.init.path), { recursive: true });
      const db = new DatabaseSync(this.init.path, { timeout: 10_000 });
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      this.#db = db;
      const applied = this.#migrate(db);
      this.components.logger.info(
        { target: this.target, version: SCHEMA_VERSION, applied },
        'usage store ready',
      );
    } catch (error) {
      if (this.#db?.isOpen === true) this.#db.close();
      this.#db = undefined;
      return Promise.reject(new UsageSchemaError(this.target, safeCause(error, [])));
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#buffer.close();
    if (this.#db?.isOpen === true) this.#db.close();
    this.#db = undefined;
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

  /** Applies the missing migrations, each under SQLite's write lock; returns those applied. */
  #migrate(db: DatabaseSync): number[] {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied: number[] = [];
    const has = db.prepare(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE version = ?`);
    const mark = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
    for (const migration of MIGRATIONS) {
      if (has.get(migration.version) !== undefined) continue;
      inTransaction(db, () => {
        // another process may have applied it while this one waited for the lock
        if (has.get(migration.version) !== undefined) return;
        db.exec(migration.sqlite);
        mark.run(migration.version, migration.name, this.components.clock.now());
        applied.push(migration.version);
      });
    }
    return applied;
  }

  #open(): DatabaseSync {
    if (this.#db === undefined || this.#stopped) throw new UsageStoreClosedError(this.target);
    return this.#db;
  }

  /** One read; a database error becomes the store's own. */
  #all<R>(sql: string, values: SQLInputValue[]): Promise<R[]> {
    try {
      return Promise.resolve(
        this.#open()
          .prepare(sql)
          .all(...values) as R[],
      );
    } catch (error) {
      return Promise.reject(this.#wrap(error, 'query failed'));
    }
  }

  #write(batch: PendingWrite[]): void {
    const db = this.#open();
    const usage = db.prepare(INSERT_USAGE);
    const task = db.prepare(INSERT_TASK);
    inTransaction(db, () => {
      for (const w of batch) {
        if (w.kind === 'usage') usage.run(...usageRow(w.record));
        else task.run(...taskRow(w.record));
      }
    });
  }

  #wrap(error: unknown, what: string): UsageStoreError {
    if (error instanceof UsageStoreError) return error;
    const cause = safeCause(error, []);
    return new UsageStoreError(what, this.target, cause, !isRefusedData(error, cause));
  }
}
