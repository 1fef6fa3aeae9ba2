/**
 * The usage port: the proxy's usage records and the history of task outcomes, in PostgreSQL
 * when `database_url` is set (shared by the cluster), else in the node's embedded database
 * (`<data_dir>/history.db`). Both backends pass one compliance suite
 * (test/compliance/usage.ts); both migrate their schema at start and buffer writes while
 * their database cannot take them.
 */
import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import { PostgresUsageStore } from './postgres.js';
import { SqliteUsageStore } from './sqlite.js';
import type { UsageStore, UsageStoreComponents, UsageStoreInit, UsageStoreOptions } from './types.js';

export type * from './types.js';
export { TASK_HISTORY_STATES } from './types.js';
export {
  InvalidUsageRecordError,
  UsageSchemaError,
  UsageStoreClosedError,
  UsageStoreError,
  UsageStoreUnavailableError,
} from './errors.js';
export { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './migrations.js';
export { NO_TASK_GROUP } from './records.js';
export { PostgresUsageStore } from './postgres.js';
export { SqliteUsageStore } from './sqlite.js';

/** The embedded database's file in a data dir. */
export function historyDbPath(dataDir: string): string {
  return join(dataDir, 'history.db');
}

/** The store the configuration names: PostgreSQL with `database_url`, else `<data_dir>/history.db`. */
export function usageStoreInit(config: Config, options: UsageStoreOptions = {}): UsageStoreInit {
  return config.database_url === undefined
    ? { backend: 'sqlite', path: historyDbPath(config.data_dir), ...options }
    : { backend: 'postgres', url: config.database_url, ...options };
}

/** Builds the store `init` names; nothing is opened until `start`. */
export function createUsageStore(init: UsageStoreInit, components: UsageStoreComponents): UsageStore {
  return init.backend === 'postgres'
    ? new PostgresUsageStore(init, components)
    : new SqliteUsageStore(init, components);
}

/**
 * Opens the configured store for a command (`bzzz proxy usage`, `bzzz task list --history`):
 * started, its schema migrated; rejects with a clear error (`UsageStoreUnavailableError`, the
 * URL without its password) when the database cannot be reached. The caller stops it.
 */
export async function openUsageStore(config: Config, components: UsageStoreComponents): Promise<UsageStore> {
  const store = createUsageStore(usageStoreInit(config), components);
  await store.start();
  return store;
}
