/**
 * The usage store's schema, as numbered migrations: each one is applied once, in order, in
 * its own transaction, and recorded in `bzzz_schema_migrations` (version, name, when). A
 * migration is never edited once released: a change is a new number. Each has its text for
 * PostgreSQL and for the embedded SQLite database; money is exact in both (NUMERIC in
 * PostgreSQL, integer nano-dollars in SQLite), times are `timestamptz` / ms since the epoch.
 */

export interface Migration {
  version: number;
  name: string;
  postgres: string;
  sqlite: string;
}

/** The table that says which migrations a database has. */
export const MIGRATIONS_TABLE = 'bzzz_schema_migrations';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'usage records',
    postgres: `
      CREATE TABLE bzzz_usage (
        id TEXT PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        key TEXT NOT NULL,
        node TEXT NOT NULL,
        task TEXT,
        model TEXT NOT NULL,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        cost_usd NUMERIC(24, 9) NOT NULL,
        status INTEGER NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        stream BOOLEAN NOT NULL
      );
      CREATE INDEX bzzz_usage_key ON bzzz_usage (key);
      CREATE INDEX bzzz_usage_task ON bzzz_usage (task) WHERE task IS NOT NULL;
      CREATE INDEX bzzz_usage_at ON bzzz_usage (at);`,
    sqlite: `
      CREATE TABLE bzzz_usage (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        key TEXT NOT NULL,
        node TEXT NOT NULL,
        task TEXT,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_nano_usd INTEGER NOT NULL,
        status INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        stream INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX bzzz_usage_key ON bzzz_usage (key);
      CREATE INDEX bzzz_usage_task ON bzzz_usage (task) WHERE task IS NOT NULL;
      CREATE INDEX bzzz_usage_at ON bzzz_usage (at);`,
  },
  {
    version: 2,
    name: 'task history',
    postgres: `
      CREATE TABLE bzzz_task_history (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        repo TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('done', 'failed', 'escalated', 'lost', 'stopped')),
        holder TEXT NOT NULL,
        node TEXT NOT NULL,
        rounds INTEGER NOT NULL,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        cost_usd NUMERIC(24, 9) NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        ended_at TIMESTAMPTZ NOT NULL,
        pr TEXT,
        reason TEXT
      );
      CREATE INDEX bzzz_task_history_ended ON bzzz_task_history (ended_at DESC, id);
      CREATE INDEX bzzz_task_history_repo ON bzzz_task_history (repo, ended_at DESC);
      CREATE INDEX bzzz_task_history_key ON bzzz_task_history (key);`,
    sqlite: `
      CREATE TABLE bzzz_task_history (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        repo TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('done', 'failed', 'escalated', 'lost', 'stopped')),
        holder TEXT NOT NULL,
        node TEXT NOT NULL,
        rounds INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_nano_usd INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        pr TEXT,
        reason TEXT
      ) WITHOUT ROWID;
      CREATE INDEX bzzz_task_history_ended ON bzzz_task_history (ended_at DESC, id);
      CREATE INDEX bzzz_task_history_repo ON bzzz_task_history (repo, ended_at DESC);
      CREATE INDEX bzzz_task_history_key ON bzzz_task_history (key);`,
  },
];

/** The schema version this code writes: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
