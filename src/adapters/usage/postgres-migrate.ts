/**
 * Applying the migrations to a PostgreSQL database, safely when several nodes start at once:
 * each migration runs in its own transaction that first takes a transaction-level advisory
 * lock (`pg_advisory_xact_lock`, released by the commit or rollback, so a connection that
 * dies never leaves it held), then checks `bzzz_schema_migrations` under the lock and applies
 * the migration only if it is missing. A node that waited for the lock finds it applied and
 * moves on. A database already at this version is recognised without taking the lock.
 */
import type pg from 'pg';
import type { Logger } from '../../lib/log.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './migrations.js';

/** The advisory lock's key: "bzzz" in ASCII, shared by every bzzz node on the database. */
const LOCK_KEY = 0x62_7a_7a_7a;

export interface MigrationResult {
  /** The database's schema version after the run. */
  version: number;
  /** The migrations this run applied (empty when another node did). */
  applied: number[];
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const table = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    MIGRATIONS_TABLE,
  ]);
  if (table.rows[0]?.t === null || table.rows[0]?.t === undefined) return 0;
  const row = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`);
  return row.rows[0]?.v ?? 0;
}

/** Applies `migration` unless another node did; true when this call applied it. */
async function applyOne(
  client: pg.PoolClient,
  migration: (typeof MIGRATIONS)[number],
  lockTimeoutMs: number,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(lockTimeoutMs)}`);
    // another node may hold the lock while it migrates: wait as long as the server lets us
    // (the driver reads a per-query `query_timeout` its types do not declare)
    const lock: pg.QueryConfig & { query_timeout: number } = {
      text: 'SELECT pg_advisory_xact_lock($1)',
      values: [LOCK_KEY],
      query_timeout: lockTimeoutMs + 1_000,
    };
    await client.query(lock);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const done = await client.query(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE version = $1`, [
      migration.version,
    ]);
    const apply = done.rowCount === 0;
    if (apply) {
      await client.query(migration.postgres);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
    return apply;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Brings the database to {@link SCHEMA_VERSION}. A database at a newer version (a newer node
 * migrated it) is used as it is, with a warning: migrations only add.
 */
export async function migratePostgres(
  pool: pg.Pool,
  logger: Logger,
  lockTimeoutMs: number,
): Promise<MigrationResult> {
  const client = await pool.connect();
  // a checked-out client's connection error would otherwise be an uncaught 'error' event
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  try {
    const before = await currentVersion(client);
    const applied: number[] = [];
    if (before < SCHEMA_VERSION) {
      for (const migration of MIGRATIONS) {
        if (await applyOne(client, migration, lockTimeoutMs)) applied.push(migration.version);
      }
    }
    const version = Math.max(before, await currentVersion(client));
    if (version > SCHEMA_VERSION)
      logger.warn({ version, known: SCHEMA_VERSION }, 'usage store schema is newer than this node knows');
    return { version, applied };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', onError);
    // a client that failed mid-transaction is closed, not handed to the next caller
    client.release(failure);
  }
}
