/**
 * Where the resolver finds a blob's bytes: this node's content store, else a live holder
 * through the {@link BlobFetcher}. Fetched bytes are verified against the hash before anyone
 * sees them (a replica's wrong bytes are refused with {@link ReplicaMismatchError}), then kept
 * in the store without a pin (gc may drop them later; a replica still holds them). Concurrent
 * requests for one missing blob share one fetch.
 */
import { Readable } from 'node:stream';
import { BlobNotFoundError, hashBytes, type ContentStore } from '../cas/index.js';
import type { BlobFetcher } from '../names/index.js';
import type { Logger } from '../../lib/log.js';
import { LookupFailedError, NotFoundError, ReplicaMismatchError } from './errors.js';
import { verifiedSlice } from './verified-slice.js';
import type { ByteRange, LocatedBlob, ResolverMetrics } from './types.js';

export interface BlobAccessComponents {
  store: ContentStore;
  fetcher?: BlobFetcher | undefined;
  logger: Logger;
  metrics?: ResolverMetrics | undefined;
}

export class BlobAccess {
  /** Fetches in flight, and fetched blobs until the store has them. */
  readonly #fetching = new Map<string, Promise<LocatedBlob | undefined>>();

  constructor(
    private readonly maxFetchBytes: number,
    private readonly components: BlobAccessComponents,
  ) {}

  /** The blob from the store, else from a replica; undefined when no one has it. */
  async locate(hash: string): Promise<LocatedBlob | undefined> {
    const info = await this.components.store.stat(hash);
    if (info !== undefined) return { hash, size: info.size };
    let fetching = this.#fetching.get(hash);
    if (fetching === undefined) {
      fetching = this.#fetch(hash);
      this.#fetching.set(hash, fetching);
      // forgotten once kept in the store (or at once, when the fetch found nothing)
      void fetching
        .then(
          (blob) => (blob === undefined ? undefined : this.#keep(blob)),
          () => undefined,
        )
        .finally(() => this.#fetching.delete(hash));
    }
    return fetching;
  }

  /** The bytes of a located blob, whole or one range; a stored blob streams, verified. */
  async open(blob: LocatedBlob, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    if (blob.bytes !== undefined) {
      const bytes = range === undefined ? blob.bytes : blob.bytes.subarray(range.start, range.end + 1);
      return Readable.from([bytes]) as AsyncIterable<Uint8Array>;
    }
    try {
      return verifiedSlice(await this.components.store.read(blob.hash), range);
    } catch (error) {
      // gone between the lookup and the read (gc, a delete)
      if (error instanceof BlobNotFoundError) throw new NotFoundError(`no blob ${blob.hash}`);
      throw error;
    }
  }

  /** The first bytes of a blob, unverified: only to pick a Content-Type, never served. */
  async head(blob: LocatedBlob, n: number): Promise<Uint8Array | undefined> {
    if (blob.bytes !== undefined) return blob.bytes.subarray(0, n);
    try {
      const iterator = (await this.components.store.read(blob.hash))[Symbol.asyncIterator]();
      try {
        const first = await iterator.next();
        return first.done === true ? undefined : first.value.subarray(0, n);
      } finally {
        await iterator.return?.();
      }
    } catch {
      return undefined;
    }
  }

  /** A whole blob in memory (a tree manifest), at most `maxBytes`; undefined when no one has it. */
  async bytes(hash: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const blob = await this.locate(hash);
    if (blob === undefined) return undefined;
    if (blob.size > maxBytes)
      throw new NotFoundError(`blob ${hash} has ${blob.size} bytes, more than the ${maxBytes} read here`);
    if (blob.bytes !== undefined) return blob.bytes;
    const parts: Uint8Array[] = [];
    for await (const chunk of await this.open(blob)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async #fetch(hash: string): Promise<LocatedBlob | undefined> {
    const { fetcher, metrics } = this.components;
    if (fetcher === undefined) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await fetcher(hash);
    } catch (error) {
      metrics?.replicaFetch?.('error');
      throw new LookupFailedError(`fetching blob ${hash} from a replica`, error);
    }
    if (bytes === undefined) {
      metrics?.replicaFetch?.('missing');
      return undefined;
    }
    if (bytes.byteLength > this.maxFetchBytes) {
      metrics?.replicaFetch?.('error');
      throw new LookupFailedError(
        `fetching blob ${hash} from a replica`,
        `${bytes.byteLength} bytes, more than the ${this.maxFetchBytes} fetched into memory`,
      );
    }
    const actual = await hashBytes(bytes);
    if (actual !== hash) {
      metrics?.replicaFetch?.('mismatch');
      this.components.logger.warn({ hash, actual }, 'a replica sent wrong bytes for a blob; refused');
      throw new ReplicaMismatchError(hash, actual);
    }
    metrics?.replicaFetch?.('ok');
    return { hash, size: bytes.byteLength, bytes };
  }

  async #keep(blob: LocatedBlob): Promise<void> {
    try {
      await this.components.store.putVerified(blob.hash, blob.bytes!);
    } catch (error) {
      this.components.logger.warn({ err: error, hash: blob.hash }, 'could not keep a fetched blob');
    }
  }
}
