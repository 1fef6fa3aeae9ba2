/**
 * A Redis client for caches that must never fail their caller (SPEC §13: Redis is a cache
 * only): every call is bounded by a short timeout and answers `undefined` when Redis is down,
 * slow or failing, at once while it is not connected (no offline queue, no retries per
 * request). The client reconnects on its own; {@link BoundedRedis.problem} says what is wrong
 * meanwhile, and the first failure after a good spell is logged once.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

export interface BoundedRedisInit {
  /** `redis://host:port` */
  url: string;
  /** Bound of each call, ms (default 50). */
  timeoutMs?: number;
  /** What the log line says when the cache stops answering. */
  degradedMessage?: string;
}

export interface BoundedRedisComponents {
  logger: Logger;
  clock: Clock;
  /** Told of each call that got no answer (Redis down, slow or failing). */
  onError?(): void;
}

export class BoundedRedis {
  readonly #redis: Redis;
  readonly #timeoutMs: number;
  readonly #message: string;
  #problem: string | undefined = 'not connected yet';

  constructor(
    init: BoundedRedisInit,
    private readonly components: BoundedRedisComponents,
  ) {
    this.#timeoutMs = init.timeoutMs ?? 50;
    this.#message = init.degradedMessage ?? 'redis cache degraded';
    this.#redis = new Redis(init.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.#timeoutMs,
      connectTimeout: 2_000,
      retryStrategy: () => 1_000,
    });
    this.#redis.on('error', (error: Error) => this.#degrade(error.message));
    this.#redis.on('ready', () => (this.#problem = undefined));
  }

  /** Connects; a Redis that does not answer is a problem to report, never an error. */
  async start(): Promise<void> {
    // `end`: stopped before, started again (a restarted service)
    if (this.#redis.status === 'wait' || this.#redis.status === 'end')
      await this.#redis.connect().catch((e: unknown) => this.#degrade(String(e)));
  }

  /** Drops the connection. Safe to call twice. */
  stop(): void {
    this.#redis.disconnect();
  }

  /** What keeps the cache from answering now, or undefined when it answers. */
  problem(): string | undefined {
    return this.#redis.status === 'ready' ? this.#problem : (this.#problem ?? `redis ${this.#redis.status}`);
  }

  /** The string at `key`; `null` when there is none, undefined when Redis did not answer. */
  get(key: string): Promise<string | null | undefined> {
    return this.#call((r) => r.get(key));
  }

  /** The bytes at `key`; `null` when there is none, undefined when Redis did not answer. */
  getBuffer(key: string): Promise<Buffer | null | undefined> {
    return this.#call((r) => r.getBuffer(key));
  }

  /** Sets `key` to expire after `ttlSeconds`; false when Redis did not answer. */
  async set(key: string, value: string | Buffer, ttlSeconds: number): Promise<boolean> {
    return (await this.#call((r) => r.set(key, value, 'EX', ttlSeconds))) !== undefined;
  }

  /** Deletes keys; false when Redis did not answer. */
  async del(...keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    return (await this.#call((r) => r.del(...keys))) !== undefined;
  }

  /** One call, bounded by the timeout; undefined when Redis is down, slow or failing. */
  async #call<R>(op: (redis: Redis) => Promise<R>): Promise<R | undefined> {
    if (this.#redis.status !== 'ready') {
      this.components.onError?.();
      return undefined;
    }
    const { clock } = this.components;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(
          () => reject(new Error(`no answer in ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      });
      const result = await Promise.race([op(this.#redis), timeout]);
      this.#problem = undefined;
      return result;
    } catch (error) {
      this.#degrade(error instanceof Error ? error.message : String(error));
      this.components.onError?.();
      return undefined;
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
  }

  #degrade(reason: string): void {
    if (this.#problem === undefined) this.components.logger.warn({ reason }, this.#message);
    this.#problem = reason;
  }
}
