/**
 * The resolver (issue 16, SPEC §13–14) without HTTP: a bzzz:// address in, what it names out.
 * A blob resolves to its hash and size (this node's store, else a replica), an actor to its
 * canonical address, a semantic name to the records that answer it (through the name index,
 * cached: {@link NameCache}). The HTTP port, the MCP server and `bzzz resolve` share it.
 */
import type { TreeManifest } from '../names/index.js';
import { InvalidBzzzUrlError, formatBzzzUrl, parseBzzzUrl, type BzzzUrl } from '../../protocol/bzzz-url.js';
import { BlobAccess } from './blobs.js';
import { NameCache } from './cache.js';
import { BadAddressError, NotFoundError } from './errors.js';
import { Lru } from './lru.js';
import { resolveName, type NameResolverDeps } from './names.js';
import type { ByteRange, LocatedBlob, Resolution, ResolverComponents, ResolverInit } from './types.js';

const MIB = 1024 * 1024;

export class Resolver {
  readonly #blobs: BlobAccess;
  readonly #cache: NameCache;
  readonly #names: NameResolverDeps;
  /** Sizes of blobs seen (blobs never change). */
  readonly #sizes: Lru<number>;

  constructor(
    init: ResolverInit,
    private readonly components: ResolverComponents,
  ) {
    const { store, fetcher, logger, metrics, clock } = components;
    const entries = init.memoryEntries ?? 4096;
    this.#blobs = new BlobAccess(init.maxFetchBytes ?? 256 * MIB, { store, fetcher, logger, metrics });
    this.#cache = new NameCache(
      {
        cluster: init.cluster,
        nameTtlSeconds: init.nameTtlSeconds ?? 5,
        memoryTtlMs: init.memoryTtlMs ?? 1_000,
        memoryEntries: entries,
      },
      { clock, redis: components.redis, ...(metrics === undefined ? {} : { metrics }) },
    );
    this.#names = {
      names: components.names,
      blobs: this.#blobs,
      manifests: new Lru<TreeManifest>(64, clock),
      maxTrees: init.maxTrees ?? 8,
      maxManifestBytes: init.maxManifestBytes ?? 16 * MIB,
      logger,
    };
    this.#sizes = new Lru<number>(entries, clock);
  }

  /** Whether semantic names can resolve here (a name index was given). */
  get namesAvailable(): boolean {
    return this.components.names !== undefined;
  }

  /** Resolves any bzzz:// address; throws a {@link ResolveError} (bad address, not found...). */
  async resolve(addr: string): Promise<Resolution> {
    try {
      const resolution = await this.resolveUrl(parse(addr));
      this.components.metrics?.resolved?.(resolution.kind);
      return resolution;
    } catch (error) {
      this.components.metrics?.resolved?.('error');
      throw error;
    }
  }

  /** Resolves a parsed address. */
  async resolveUrl(url: BzzzUrl): Promise<Resolution> {
    const addr = formatBzzzUrl(url);
    switch (url.kind) {
      case 'actor':
        return { addr, kind: 'actor', address: addr };
      case 'blob': {
        const size = this.#sizes.get(url.hash) ?? (await this.locateBlob(url.hash)).size;
        return { addr, kind: 'blob', hash: url.hash, size };
      }
      case 'name': {
        const cached = await this.#cache.get(addr);
        if (cached !== undefined) return cached;
        const resolution = await resolveName(url, addr, this.#names);
        this.#cache.set(resolution);
        return resolution;
      }
    }
  }

  /** A blob to serve: from the store, else fetched (verified) from a replica. */
  async locateBlob(hash: string): Promise<LocatedBlob> {
    const blob = await this.#blobs.locate(hash);
    if (blob === undefined)
      throw new NotFoundError(
        this.components.fetcher === undefined
          ? `no blob ${hash} in this node's store (and no replicas to ask)`
          : `no blob ${hash} on this node or any live replica`,
      );
    this.#sizes.set(hash, blob.size);
    return blob;
  }

  /** The bytes of a located blob, whole or one range (a stored blob streams, verified). */
  openBlob(blob: LocatedBlob, range?: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    return this.#blobs.open(blob, range);
  }

  /** The first `n` bytes of a blob, unverified: only to choose a Content-Type. */
  headOf(blob: LocatedBlob, n = 64): Promise<Uint8Array | undefined> {
    return this.#blobs.head(blob, n);
  }
}

/** Parses an address; a malformed one is a {@link BadAddressError} naming the wrong part. */
export function parse(addr: string): BzzzUrl {
  try {
    return parseBzzzUrl(addr);
  } catch (error) {
    if (error instanceof InvalidBzzzUrlError) throw new BadAddressError(error);
    throw error;
  }
}
