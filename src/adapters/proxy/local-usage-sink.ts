/**
 * The node's own usage records, `<data_dir>/usage.db` (`node:sqlite`, like the content
 * store's index): what `bzzz proxy usage` reads when no other store is configured. WAL, so the
 * proxy writes while the command reads. Running totals per key and per task are kept in the
 * same transaction as the records, so a budget check is one primary-key lookup however long
 * the history grows. Records are written 10 ms after the first of them, all of those 10 ms
 * together; a process killed in between loses those (the budgets of the running
 * process count them from the moment they are recorded).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { toError } from '../../lib/errors.js';
import {
  NO_TASK_GROUP,
  type UsageGrouping,
  type UsageRecord,
  type UsageSink,
  type UsageSummary,
} from './usage-sink.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, key TEXT NOT NULL, node TEXT NOT NULL, task TEXT,
  model TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL, status INTEGER NOT NULL, latency_ms REAL NOT NULL, stream INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_key_task ON usage (key, task);
CREATE TABLE IF NOT EXISTS spent (
  scope TEXT NOT NULL, name TEXT NOT NULL, cost_usd REAL NOT NULL, PRIMARY KEY (scope, name)
) WITHOUT ROWID;
`;

/** How long a record waits for others to share its transaction. */
const FLUSH_MS = 10;

const GROUP_COLUMN: Record<UsageGrouping, string> = {
  key: 'key',
  task: `COALESCE(task, '${NO_TASK_GROUP}')`,
  model: 'model',
};

const TOTALS = `COUNT(*) AS requests, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens,
  COALESCE(SUM(completion_tokens), 0) AS completion_tokens, COALESCE(SUM(cost_usd), 0) AS cost_usd`;

interface TotalsRow {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

interface Pending {
  record: UsageRecord;
  done: (error?: Error) => void;
}

export class LocalUsageSink implements UsageSink {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #addSpent: StatementSync;
  readonly #spent: StatementSync;
  /** Records waiting to be written together (one transaction). */
  #pending: Pending[] = [];
  readonly #pendingIds = new Set<string>();
  /** USD of the pending records by `key:<name>` and `task:<name>`: budgets see them at once. */
  readonly #pendingSpent = new Map<string, number>();
  #flushing = false;

  /** Opens (creating) the database at `path`, usually `<data_dir>/usage.db`. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { timeout: 10_000 });
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(
      `INSERT OR IGNORE INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#addSpent = this.#db.prepare(
      `INSERT INTO spent VALUES (?, ?, ?) ON CONFLICT (scope, name) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd`,
    );
    this.#spent = this.#db.prepare('SELECT cost_usd FROM spent WHERE scope = ? AND name = ?');
  }

  /**
   * Resolves once the record is written: records of 10 ms go in one transaction (a
   * transaction per record cost the proxy more CPU than all its other work on a request).
   */
  record(r: UsageRecord): Promise<void> {
    if (!this.#db.isOpen) return Promise.reject(new Error(`the usage database ${this.path} is closed`));
    if (this.#pendingIds.has(r.id)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ record: r, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.#pendingIds.add(r.id);
      this.#addPending(`key:${r.key}`, r.costUsd);
      if (r.task !== null) this.#addPending(`task:${r.task}`, r.costUsd);
      if (!this.#flushing) {
        this.#flushing = true;
        setTimeout(() => this.#flush(), FLUSH_MS);
      }
    });
  }

  summary(by?: UsageGrouping): Promise<UsageSummary> {
    try {
      this.#flush();
      return Promise.resolve(this.#summary(by));
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  spent(filter: { key?: string; task?: string }): Promise<number> {
    try {
      return Promise.resolve(this.#spentUsd(filter));
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  /** Writes what is pending, then closes. */
  close(): void {
    this.#flush();
    if (this.#db.isOpen) this.#db.close();
  }

  #addPending(name: string, usd: number): void {
    this.#pendingSpent.set(name, (this.#pendingSpent.get(name) ?? 0) + usd);
  }

  /** The pending records and their running totals, in one transaction. */
  #flush(): void {
    this.#flushing = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#pendingIds.clear();
    this.#pendingSpent.clear();
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      for (const { record: r } of batch) {
        const row = [r.id, r.at, r.key, r.node, r.task, r.model, r.promptTokens, r.completionTokens] as const;
        const inserted = this.#insert.run(...row, r.costUsd, r.status, r.latencyMs, r.stream ? 1 : 0);
        if (inserted.changes !== 1) continue;
        this.#addSpent.run('key', r.key, r.costUsd);
        if (r.task !== null) this.#addSpent.run('task', r.task, r.costUsd);
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec('ROLLBACK');
      for (const p of batch) p.done(toError(error));
      return;
    }
    for (const p of batch) p.done();
  }

  #summary(by: UsageGrouping | undefined): UsageSummary {
    const total = this.#db.prepare(`SELECT ${TOTALS} FROM usage`).get() as unknown as TotalsRow;
    const groups =
      by === undefined
        ? []
        : (this.#db
            .prepare(`SELECT ${GROUP_COLUMN[by]} AS grp, ${TOTALS} FROM usage GROUP BY grp ORDER BY grp`)
            .all() as unknown as (TotalsRow & { grp: string })[]);
    return { ...totalsOf(total), groups: groups.map((g) => ({ group: g.grp, ...totalsOf(g) })) };
  }

  #spentUsd(filter: { key?: string; task?: string }): number {
    const { key, task } = filter;
    if ((key === undefined) !== (task === undefined)) {
      const [scope, name] = key !== undefined ? ['key', key] : ['task', task!];
      const row = this.#spent.get(scope, name) as { cost_usd: number } | undefined;
      return (row?.cost_usd ?? 0) + (this.#pendingSpent.get(`${scope}:${name}`) ?? 0);
    }
    this.#flush();
    if (key !== undefined && task !== undefined) {
      const row = this.#db
        .prepare('SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM usage WHERE key = ? AND task = ?')
        .get(key, task) as { usd: number };
      return row.usd;
    }
    const row = this.#db.prepare('SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM usage').get() as {
      usd: number;
    };
    return row.usd;
  }
}

function totalsOf(row: TotalsRow): Omit<UsageSummary, 'groups'> {
  return {
    requests: row.requests,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    cost_usd: row.cost_usd,
  };
}
