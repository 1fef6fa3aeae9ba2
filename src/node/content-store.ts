/**
 * The node's content store (issue 15) as children of the `storage` subtree: the store under
 * `<data_dir>/blobs` (behind the Redis cache when `redis_url` is set), then its periodic gc.
 * Its figures go to /metrics (`bzzz_cas_blobs`, `bzzz_cas_bytes`, corrupt, repair and cache
 * counters) and a non-critical health check says when the cache is degraded. The CAS
 * replicator (the next issue) takes `store` and provides the `repair` hook.
 */
import { join } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import { serviceSpec } from '../actors/service.js';
import {
  createContentStore,
  GarbageCollector,
  type ContentStore,
  type RepairSource,
} from '../adapters/cas/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { HealthCheck } from './health.js';
import type { NodeMetrics } from './metrics.js';

export interface ContentStoreService {
  readonly store: ContentStore;
  /** `cas` (the store), then `cas-gc` (its periodic collection). */
  readonly children: ChildSpec[];
  readonly checks: HealthCheck[];
}

export function contentStoreService(
  config: Config,
  components: { logger: Logger; clock: Clock; metrics?: NodeMetrics | undefined; repair?: RepairSource },
): ContentStoreService {
  const { logger, clock } = components;
  const counters = components.metrics === undefined ? undefined : casSeries(components.metrics, () => store);
  const store: ContentStore = createContentStore(
    {
      dataDir: join(config.data_dir),
      ...(config.redis_url === undefined ? {} : { redisUrl: config.redis_url }),
    },
    {
      logger,
      clock,
      ...(components.repair === undefined ? {} : { repair: components.repair }),
      ...(counters === undefined
        ? {}
        : {
            metrics: {
              corrupt: () => counters.corrupt.inc(),
              repaired: () => counters.repairs.inc({ outcome: 'repaired' }),
              repairFailed: () => counters.repairs.inc({ outcome: 'failed' }),
              cache: (outcome) => counters.cache.inc({ outcome }),
            },
          }),
    },
  );
  const children = [
    serviceSpec('cas', async () => {
      await store.start();
      return { stop: () => store.stop() };
    }),
    serviceSpec('cas-gc', () => {
      const collector = new GarbageCollector(store, {}, { clock, logger });
      collector.start();
      return Promise.resolve(collector);
    }),
  ];
  const checks: HealthCheck[] = [
    {
      name: 'cas_cache',
      run: () => {
        const health = store.health();
        if (health.status !== 'ok') throw new Error(health.detail ?? 'degraded');
        return config.redis_url === undefined ? 'no cache configured' : 'redis cache answering';
      },
    },
  ];
  return { store, children, checks };
}

function casSeries(metrics: NodeMetrics, store: () => ContentStore) {
  const registers = [metrics.registry];
  const stats = async () =>
    store()
      .stats()
      .catch(() => undefined);
  new Gauge({
    name: 'bzzz_cas_blobs',
    help: 'Blobs held by this node’s content store',
    registers,
    async collect() {
      const s = await stats();
      if (s !== undefined) this.set(s.blobs);
    },
  });
  new Gauge({
    name: 'bzzz_cas_bytes',
    help: 'Bytes of the blobs held by this node’s content store (before compression)',
    registers,
    async collect() {
      const s = await stats();
      if (s !== undefined) this.set(s.bytes);
    },
  });
  return {
    corrupt: new Counter({
      name: 'bzzz_cas_corrupt_total',
      help: 'Corrupt blobs found on read or verify',
      registers,
    }),
    repairs: new Counter({
      name: 'bzzz_cas_repairs_total',
      help: 'Repairs of corrupt or missing blobs from a replica, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    cache: new Counter({
      name: 'bzzz_cas_cache_total',
      help: 'Lookups of the Redis cache, by outcome (hit, miss, error)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
