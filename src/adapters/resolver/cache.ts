/**
 * The resolver's cache of name resolutions: an in-process LRU (a short lifetime, 1 s by
 * default) in front of Redis (5 s by default, shared by every node and process of the
 * cluster). Names change rarely, so a resolution may lag a new record by at most the two
 * lifetimes; not-found answers are never cached, so a new name shows as soon as the index
 * has it. What comes back from Redis is parsed before it is trusted: a bad entry is dropped.
 * A Redis down or slow only costs the lookup ({@link BoundedRedis}).
 */
import { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import type { BoundedRedis } from '../redis/index.js';
import { Lru } from './lru.js';
import type { Resolution, ResolverMetrics } from './types.js';

const matchSchema = z.object({
  node: z.string(),
  nodeName: z.string(),
  agent: z.string(),
  roles: z.array(z.string()),
  task: z.string(),
  path: z.string(),
  hash: z.string().optional(),
  size: z.number().int().min(0).optional(),
  url: z.string().optional(),
  seq: z.number(),
});

const resolutionSchema = z.object({
  addr: z.string(),
  kind: z.literal('names'),
  hash: z.string().optional(),
  size: z.number().int().min(0).optional(),
  url: z.string().optional(),
  matches: z.array(matchSchema),
});

export interface NameCacheInit {
  cluster: string;
  nameTtlSeconds: number;
  memoryTtlMs: number;
  memoryEntries: number;
}

export class NameCache {
  readonly #memory: Lru<Resolution>;

  constructor(
    private readonly init: NameCacheInit,
    private readonly components: {
      clock: Clock;
      redis?: BoundedRedis | undefined;
      metrics?: ResolverMetrics;
    },
  ) {
    this.#memory = new Lru(init.memoryEntries, components.clock);
  }

  /** The Redis key of an address's resolution. */
  key(addr: string): string {
    return `bzzz:resolve:${this.init.cluster}:${addr}`;
  }

  /** The cached resolution of a canonical address, from memory, else from Redis. */
  async get(addr: string): Promise<Resolution | undefined> {
    const { metrics, redis } = this.components;
    const hot = this.#memory.get(addr);
    metrics?.cache?.('memory', hot === undefined ? 'miss' : 'hit');
    if (hot !== undefined || redis === undefined) return hot;
    const text = await redis.get(this.key(addr));
    const parsed = typeof text === 'string' ? parse(text) : undefined;
    metrics?.cache?.('redis', parsed === undefined ? 'miss' : 'hit');
    if (typeof text === 'string' && parsed === undefined) void redis.del(this.key(addr));
    if (parsed === undefined || parsed.addr !== addr) return undefined;
    this.#memory.set(addr, parsed, this.init.memoryTtlMs);
    return parsed;
  }

  /** Keeps a resolution in memory and (without waiting for it) in Redis. */
  set(resolution: Resolution): void {
    this.#memory.set(resolution.addr, resolution, this.init.memoryTtlMs);
    void this.components.redis?.set(
      this.key(resolution.addr),
      JSON.stringify(resolution),
      this.init.nameTtlSeconds,
    );
  }
}

function parse(text: string): Resolution | undefined {
  try {
    const result = resolutionSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
