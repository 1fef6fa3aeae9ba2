// The fs content store behind the Redis cache (a real redis-server) against the same suite.
import { afterAll, beforeAll } from 'vitest';
import { casCompliance } from '../compliance/cas.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { openStore } from './support.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

casCompliance('fs + redis cache', () => openStore({ redisUrl: redis.url, cacheTimeoutMs: 500 }));
