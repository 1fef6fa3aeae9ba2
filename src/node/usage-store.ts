/**
 * The node's usage store (issue 17) as a child of the `storage` subtree: PostgreSQL when
 * `database_url` is set, else `<data_dir>/history.db`. It starts before the work children
 * (whose task actors record their outcomes into it) and stops after them, writing what it
 * buffered. It starts even when PostgreSQL is down: the node runs, the store buffers and
 * retries, and its non-critical health check says `degraded` (never with the password).
 */
import { serviceSpec } from '../actors/service.js';
import { createUsageStore, usageStoreInit, type UsageStore } from '../adapters/usage/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { HealthCheck } from './health.js';

export interface UsageStoreService {
  readonly store: UsageStore;
  /** `usage-store` */
  readonly children: ChildSpec[];
  /** `usage_store`: fails (non-critical) while the store is degraded. */
  readonly checks: HealthCheck[];
}

/** The supervised child that opens the store and closes it (writing what it buffered). */
export function usageStoreSpec(store: UsageStore): ChildSpec {
  return serviceSpec(
    'usage-store',
    async () => {
      await store.start();
      return { stop: () => store.stop() };
    },
    // closing writes what is buffered, each write bounded by the query timeout
    { shutdown: 30_000 },
  );
}

export function usageStoreService(
  config: Config,
  components: { logger: Logger; clock: Clock },
): UsageStoreService {
  const store = createUsageStore(usageStoreInit(config, { startDegraded: true }), components);
  const check: HealthCheck = {
    name: 'usage_store',
    run: () => {
      const health = store.health();
      if (health.status !== 'ok')
        throw new Error(
          `${health.detail ?? 'degraded'} (${health.pending} pending, ${health.dropped} dropped)`,
        );
      return `${store.backend} ${store.target}${health.dropped > 0 ? ` (${health.dropped} dropped)` : ''}`;
    },
  };
  return { store, children: [usageStoreSpec(store)], checks: [check] };
}
