/**
 * Redis as a cache in front of a content store, never as the truth (SPEC §13): small hot
 * blobs and stat lookups are kept with a TTL; every cached blob is verified again before it
 * is returned (a bad cache entry is dropped, not served). Each cache call is bounded by a
 * timeout; Redis down or slow makes every call fall through to the store at once and the
 * health say `degraded`; nothing fails because of the cache. Writes go to the store first;
 * the cache entries of a blob are dropped when the store tells of a change. A stat cached
 * by one process may lag another process's pin by at most the stat TTL (30 s).
 */
import { Readable } from 'node:stream';
import { BoundedRedis } from '../redis/index.js';
import { parseBlobHash, hashBytes } from './hash.js';
import type * as T from './types.js';

const STAT_TTL_SECONDS = 30;

export interface RedisCacheInit {
  redisUrl: string;
  cacheTimeoutMs?: number;
  cacheTtlSeconds?: number;
  cacheMaxBytes?: number;
}

export class RedisCachedStore implements T.ContentStore {
  readonly #redis: BoundedRedis;
  readonly #ttl: number;
  readonly #maxBytes: number;
  #unsubscribe: (() => void) | undefined;

  constructor(
    readonly inner: T.ContentStore,
    init: RedisCacheInit,
    private readonly components: T.CasComponents,
  ) {
    this.#ttl = init.cacheTtlSeconds ?? 600;
    this.#maxBytes = init.cacheMaxBytes ?? 64 * 1024;
    this.#redis = new BoundedRedis(
      {
        url: init.redisUrl,
        timeoutMs: init.cacheTimeoutMs ?? 50,
        degradedMessage: 'redis cache degraded; reads go to disk',
      },
      {
        logger: components.logger,
        clock: components.clock,
        onError: () => components.metrics?.cache?.('error'),
      },
    );
  }

  async start(): Promise<void> {
    await this.inner.start();
    this.#unsubscribe ??= this.inner.subscribe((event) => this.#invalidate(event));
    await this.#redis.start();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#redis.stop();
    await this.inner.stop();
  }

  put(source: T.BlobSource, options?: T.PutOptions): Promise<T.PutResult> {
    return this.inner.put(source, options);
  }

  putVerified(expected: T.BlobHash, source: T.BlobSource, options?: T.PutOptions): Promise<T.PutResult> {
    return this.inner.putVerified(expected, source, options);
  }

  async get(hash: T.BlobHash): Promise<Uint8Array> {
    const h = parseBlobHash(hash);
    const cached = await this.#cachedBlob(h);
    if (cached !== undefined) return cached;
    const bytes = await this.inner.get(h);
    if (bytes.byteLength <= this.#maxBytes)
      void this.#redis.set(
        blobKey(h),
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        this.#ttl,
      );
    return bytes;
  }

  async read(hash: T.BlobHash): Promise<T.BlobStream> {
    const h = parseBlobHash(hash);
    const cached = await this.#cachedBlob(h);
    if (cached === undefined) return this.inner.read(h);
    return Readable.from([cached]) as T.BlobStream;
  }

  async has(hash: T.BlobHash): Promise<boolean> {
    return (await this.stat(hash)) !== undefined;
  }

  async stat(hash: T.BlobHash): Promise<T.BlobInfo | undefined> {
    const h = parseBlobHash(hash);
    const cached = await this.#redis.get(statKey(h));
    if (typeof cached === 'string') {
      this.components.metrics?.cache?.('hit');
      return JSON.parse(cached) as T.BlobInfo;
    }
    const info = await this.inner.stat(h);
    if (info !== undefined) void this.#redis.set(statKey(h), JSON.stringify(info), STAT_TTL_SECONDS);
    return info;
  }

  delete(hash: T.BlobHash): Promise<boolean> {
    return this.inner.delete(hash);
  }

  list(options?: { after?: T.BlobHash; limit?: number }): AsyncIterable<T.BlobInfo> {
    return this.inner.list(options);
  }

  pin(hash: T.BlobHash): Promise<void> {
    return this.inner.pin(hash);
  }

  unpin(hash: T.BlobHash): Promise<void> {
    return this.inner.unpin(hash);
  }

  async addRef(from: string, to: T.BlobHash): Promise<void> {
    await this.inner.addRef(from, to);
    await this.#redis.del(statKey(parseBlobHash(to)));
  }

  async removeRef(from: string, to: T.BlobHash): Promise<void> {
    await this.inner.removeRef(from, to);
    await this.#redis.del(statKey(parseBlobHash(to)));
  }

  verify(options?: T.VerifyOptions): Promise<T.VerifyReport> {
    return this.inner.verify(options);
  }

  gc(options?: T.GcOptions): Promise<T.GcReport> {
    return this.inner.gc(options);
  }

  stats(): Promise<T.CasStats> {
    return this.inner.stats();
  }

  health(): T.CasHealth {
    const problem = this.#redis.problem();
    if (problem === undefined) return this.inner.health();
    return { status: 'degraded', detail: `cache unavailable, reading from disk: ${problem}` };
  }

  subscribe(listener: (event: T.CasEvent) => void): () => void {
    return this.inner.subscribe(listener);
  }

  async #cachedBlob(hash: T.BlobHash): Promise<Uint8Array | undefined> {
    const cached = await this.#redis.getBuffer(blobKey(hash));
    if (cached === undefined || cached === null) {
      this.components.metrics?.cache?.('miss');
      return undefined;
    }
    if ((await hashBytes(cached)) !== hash) {
      void this.#redis.del(blobKey(hash));
      this.components.metrics?.cache?.('miss');
      return undefined;
    }
    this.components.metrics?.cache?.('hit');
    return cached;
  }

  #invalidate(event: T.CasEvent): void {
    const keys =
      event.type === 'blob.deleted' || event.type === 'blob.corrupt'
        ? [blobKey(event.hash), statKey(event.hash)]
        : [statKey(event.hash)];
    void this.#redis.del(...keys);
  }
}

const blobKey = (hash: string): string => `bzzz:cas:blob:${hash}`;
const statKey = (hash: string): string => `bzzz:cas:stat:${hash}`;
