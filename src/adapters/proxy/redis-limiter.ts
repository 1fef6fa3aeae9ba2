/**
 * The token buckets in Redis, so that every proxy sharing one Redis enforces one limit: each
 * take or settle is one Lua script, atomic on the server, reading the time from Redis itself
 * (proxies on hosts with skewed clocks agree). A bucket is a hash (`l` level, `t` time) that
 * expires once it would be full again. When Redis cannot answer in time, the call falls back
 * to this process's in-memory buckets (limits then hold per process only) and says so in the
 * log, once a minute: a proxy keeps serving without its Redis.
 */
import { Redis } from 'ioredis';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import type { Clock } from '../../lib/clock.js';
import { MemoryRateLimiter, type Bucket, type RateLimiter, type TakeResult } from './limiter.js';

/**
 * KEYS: the buckets. ARGV[1]: `take` (all or nothing) or `settle` (apply whatever the levels);
 * then per bucket its capacity and cost. Returns {0, 0} when taken, else {wait ms, bucket index}.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local settle = ARGV[1] == 'settle'
local levels = {}
local wait, worst = 0, 0
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i])
  local cost = tonumber(ARGV[2 * i + 1])
  local v = redis.call('HMGET', KEYS[i], 'l', 't')
  local level = cap
  if v[1] then level = math.min(cap, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * cap / 60000) end
  levels[i] = level
  if not settle then
    local need = math.min(cost, cap)
    if level < need then
      local w = math.ceil((need - level) * 60000 / cap)
      if w > wait then wait = w; worst = i end
    end
  end
end
if wait > 0 then return {wait, worst} end
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i])
  local level = math.min(cap, levels[i] - tonumber(ARGV[2 * i + 1]))
  redis.call('HSET', KEYS[i], 'l', tostring(level), 't', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((cap - level) * 60000 / cap) + 1000)
end
return {0, 0}
`;

interface BucketCommands {
  bzzzBuckets(numKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
}

export interface RedisLimiterInit {
  redisUrl: string;
  /** Keeps clusters sharing one Redis apart (the cluster name). */
  prefix: string;
  /** How long one script may take before the call falls back (default 250 ms). */
  timeoutMs?: number;
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #fallback: MemoryRateLimiter;
  readonly #log: RateLimitedLog;
  readonly #prefix: string;

  constructor(init: RedisLimiterInit, components: { clock: Clock; logger: Logger }) {
    this.#prefix = `bzzz:{proxy:${init.prefix}}:bucket:`;
    this.#fallback = new MemoryRateLimiter(components.clock);
    this.#log = new RateLimitedLog(components.logger, components.clock);
    this.#redis = new Redis(init.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: init.timeoutMs ?? 250,
      connectTimeout: 2_000,
      retryStrategy: () => 1_000,
    });
    this.#redis.defineCommand('bzzzBuckets', { lua: SCRIPT });
    this.#redis.on('error', (error: Error) => this.#degraded(error));
  }

  /** Connects; a Redis that is not there yet leaves the limiter on its fallback until it is. */
  async start(): Promise<void> {
    if (this.#redis.status === 'wait') await this.#redis.connect().catch((e: unknown) => this.#degraded(e));
  }

  async take(buckets: readonly Bucket[]): Promise<TakeResult> {
    if (buckets.length === 0) return { ok: true };
    try {
      const [wait, index] = await this.#run('take', buckets);
      return wait === 0 ? { ok: true } : { ok: false, bucket: buckets[index - 1]!.id, retryAfterMs: wait };
    } catch (error) {
      this.#degraded(error);
      return this.#fallback.take(buckets);
    }
  }

  async settle(buckets: readonly Bucket[]): Promise<void> {
    if (buckets.length === 0) return;
    try {
      await this.#run('settle', buckets);
    } catch (error) {
      this.#degraded(error);
      await this.#fallback.settle(buckets);
    }
  }

  close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }

  #run(mode: 'take' | 'settle', buckets: readonly Bucket[]): Promise<[number, number]> {
    const keys = buckets.map((b) => `${this.#prefix}${b.id}`);
    const args = buckets.flatMap((b) => [b.capacity, b.cost]);
    return (this.#redis as unknown as BucketCommands).bzzzBuckets(keys.length, ...keys, mode, ...args);
  }

  #degraded(error: unknown): void {
    this.#log.warn(
      'redis_unavailable',
      { err: describeError(error) },
      'proxy limits: Redis unavailable, limits hold per process until it is back',
    );
  }
}
