/**
 * The resolver's Redis cache, with a real redis-server: a name resolved by one resolver is
 * answered to another (another process, another node) from Redis without asking the index;
 * the entry lives a few seconds; garbage in Redis is dropped, not served; and a killed Redis
 * never fails a resolve.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BoundedRedis } from '../../src/adapters/redis/index.js';
import { Resolver } from '../../src/adapters/resolver/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually } from '../helpers/cli.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { MemoryNameIndex, openStores, record, type Stores } from './support.js';

const NAME = 'bzzz://*:*@demo~calc:1/log';
const KEY = `bzzz:resolve:test:${NAME}`;

let server: RedisServerHandle;
let client: Redis;
let stores: Stores;
let names: MemoryNameIndex;
const caches: BoundedRedis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // the test's own client sees the kill too; its commands retry inside eventually()
  client.on('error', () => undefined);
  await client.connect();
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});
beforeEach(async () => {
  stores = await openStores();
  names = new MemoryNameIndex();
  await client.flushall();
});
afterEach(async () => {
  for (const cache of caches.splice(0)) cache.stop();
  await stores.close();
});

/** A resolver with its own Redis connection, as another process of the cluster has. */
async function resolver(init: { nameTtlSeconds?: number } = {}): Promise<Resolver> {
  const redis = new BoundedRedis(
    { url: server.url, timeoutMs: 5_000 },
    { logger: silentLogger(), clock: systemClock },
  );
  caches.push(redis);
  await redis.start();
  return new Resolver(
    { cluster: 'test', ...init },
    { store: stores.local, names, redis, clock: systemClock, logger: silentLogger() },
  );
}

describe('the resolver with a Redis cache', () => {
  it('answers a name another resolver looked up from Redis, without asking the index again', async () => {
    const log = await stores.local.put(Buffer.from('{"steps":[]}'));
    names.publish(record({ path: 'log', value: log.hash, size: log.size, seq: 1 }));
    // a long lifetime here, so a slow machine cannot expire the entry between the two
    const first = await resolver({ nameTtlSeconds: 300 });
    const resolved = await first.resolve(NAME);
    expect(names.lookups).toBe(1);
    const cached = await eventually(
      () => client.get(KEY).then((v) => v ?? undefined),
      20_000,
      'the entry in Redis',
    );
    expect(JSON.parse(cached)).toEqual(resolved);
    const second = await resolver();
    await expect(second.resolve(NAME)).resolves.toEqual(resolved);
    expect(names.lookups).toBe(1);
  });

  it('keeps a name in Redis for 5 seconds by default', async () => {
    const log = await stores.local.put(Buffer.from('{}'));
    names.publish(record({ path: 'log', value: log.hash, seq: 1 }));
    await eventually(
      async () => {
        await client.del(KEY);
        await (await resolver()).resolve(NAME);
        const ttl = await eventually(async () =>
          (await client.exists(KEY)) === 1 ? client.ttl(KEY) : undefined,
        );
        return ttl > 0 && ttl <= 5 ? ttl : undefined;
      },
      60_000,
      'an entry living at most 5 s',
    );
  });

  it('drops an entry that is not a resolution and asks the index', async () => {
    const log = await stores.local.put(Buffer.from('{}'));
    names.publish(record({ path: 'log', value: log.hash, seq: 1 }));
    await client.set(
      KEY,
      '{"addr":"bzzz://*:*@demo~calc:1/log","kind":"names","matches":"forged"}',
      'EX',
      60,
    );
    const r = await resolver();
    await expect(r.resolve(NAME)).resolves.toMatchObject({ hash: log.hash });
    expect(names.lookups).toBe(1);
  });

  it('keeps resolving from the index while Redis is killed, and uses it again once back', async () => {
    const log = await stores.local.put(Buffer.from('{}'));
    names.publish(record({ path: 'log', value: log.hash, seq: 1 }));
    const r = await resolver();
    await server.kill();
    const other = await resolver();
    for (let i = 0; i < 3; i++) await expect(other.resolve(NAME)).resolves.toMatchObject({ hash: log.hash });
    await expect(r.resolve(`bzzz://*:*@demo~calc:1/log`)).resolves.toMatchObject({ hash: log.hash });
    await server.restart();
    await client.connect().catch(() => undefined);
    await eventually(
      async () => {
        const fresh = await resolver();
        await fresh.resolve('bzzz://alpha:*@demo~calc:1/log');
        return (await client.get('bzzz:resolve:test:bzzz://alpha:*@demo~calc:1/log')) ?? undefined;
      },
      30_000,
      'the cache used again after Redis came back',
    );
  });
});
