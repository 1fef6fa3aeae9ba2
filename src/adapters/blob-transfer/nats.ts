/**
 * Blobs over NATS, chunked: a NATS payload is bounded (1 MiB by default), so a fetching node
 * asks the holder's subject (`bzzz.<cluster>.blob.<node id>`) for one chunk at a time:
 * `{"hash","chunk": i}`. Each reply is a 2-byte header length, the JSON header (`{"size",
 * "chunks"}` or `{"error"}`), then the bytes of chunk i. The fetcher asks chunk 0 first, learns
 * the size from it, and then asks the rest in order; any answer that does not fit (a wrong
 * chunk length, a size that changed) is a protocol error.
 *
 * The holder answers chunks from a verified copy of the whole blob, kept for the next chunks
 * in a small cache (a few blobs, bounded bytes): so each chunk request does not read and hash
 * the blob again.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { describeError } from '../../lib/errors.js';
import { blobSubject } from '../../protocol/index.js';
import type { NatsConnector } from '../nats/index.js';
import { BlobTransferError } from './errors.js';
import {
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_TRANSFER_TIMEOUT_MS,
  type BlobTransfer,
  type BlobTransferComponents,
  type BlobTransferInit,
  type FetchedBlob,
} from './types.js';
import {
  blobHeaderSchema,
  blobRequestSchema,
  decodeJson,
  encodeJson,
  errorOf,
  type BlobHeader,
} from './wire.js';

/** Bytes of one chunk: half the default max payload, room for the header. */
export const NATS_CHUNK_BYTES = 512 * 1024;
/** The served-blobs cache: at most this many blobs, this many bytes. */
const CACHE_BLOBS = 4;
const CACHE_BYTES = 64 * 1024 * 1024;

export class NatsBlobTransfer implements BlobTransfer {
  readonly kind = 'nats';
  readonly #init: Required<BlobTransferInit>;
  readonly #components: BlobTransferComponents;
  readonly #connector: NatsConnector;
  readonly #cache = new Map<string, Uint8Array>();
  readonly #loading = new Map<string, Promise<Uint8Array>>();
  #subscription: Subscription | undefined;
  #unfollow: (() => void) | undefined;

  constructor(init: BlobTransferInit, components: BlobTransferComponents & { connector: NatsConnector }) {
    this.#init = { maxBlobBytes: DEFAULT_MAX_BLOB_BYTES, timeoutMs: DEFAULT_TRANSFER_TIMEOUT_MS, ...init };
    this.#components = components;
    this.#connector = components.connector;
  }

  /** Resolves once the server has this node's subscription (when connected now), so a fetch right after start finds a responder. */
  start(): Promise<void> {
    const subject = blobSubject(this.#init.cluster, this.#init.nodeId);
    let registered: Promise<void> = Promise.resolve();
    this.#unfollow ??= this.#connector.follow({
      attach: (nc) => {
        this.#subscription = nc.subscribe(subject, {
          callback: (error, msg) => {
            if (error !== null) return;
            void this.#answer(msg.data).then(
              (reply) => msg.respond(reply),
              () => undefined,
            );
          },
        });
        registered = nc.flush().catch(() => undefined);
      },
      detach: () => {
        this.#subscription = undefined;
      },
    });
    return registered;
  }

  stop(): Promise<void> {
    this.#unfollow?.();
    this.#unfollow = undefined;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#cache.clear();
    return Promise.resolve();
  }

  async fetch(holder: string, hash: string, signal?: AbortSignal): Promise<FetchedBlob> {
    const subject = blobSubject(this.#init.cluster, holder);
    const first = await this.#ask(holder, hash, subject, 0, signal);
    if (first.header.size > this.#init.maxBlobBytes)
      throw new BlobTransferError(holder, hash, 'too_large', `${first.header.size} bytes`);
    const { size, chunks } = first.header;
    const expectedChunks = Math.max(1, Math.ceil(size / NATS_CHUNK_BYTES));
    if (chunks !== expectedChunks)
      throw new BlobTransferError(holder, hash, 'protocol', `${chunks} chunks for ${size} bytes`);
    const ask = (chunk: number) => this.#ask(holder, hash, subject, chunk, signal);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let chunk = 0; chunk < chunks; chunk++) {
        const answer = chunk === 0 ? first : await ask(chunk);
        const want = Math.min(NATS_CHUNK_BYTES, size - chunk * NATS_CHUNK_BYTES);
        if (answer.header.size !== size || answer.bytes.length !== want)
          throw new BlobTransferError(holder, hash, 'protocol', `chunk ${chunk} is not what chunk 0 said`);
        if (answer.bytes.length > 0) yield answer.bytes;
      }
    }
    return { size, bytes: body() };
  }

  /** Nothing: NATS has no provider records; the holder table is the directory. */
  provide(): Promise<void> {
    return Promise.resolve();
  }

  async #ask(
    holder: string,
    hash: string,
    subject: string,
    chunk: number,
    signal: AbortSignal | undefined,
  ): Promise<{ header: { size: number; chunks: number }; bytes: Uint8Array }> {
    if (signal?.aborted === true) throw new BlobTransferError(holder, hash, 'unreachable', 'aborted');
    const nc: NatsConnection | undefined = this.#connector.current();
    if (nc === undefined) throw new BlobTransferError(holder, hash, 'unreachable', 'NATS is not connected');
    let data: Uint8Array;
    try {
      data = (await nc.request(subject, encodeJson({ chunk, hash }), { timeout: this.#init.timeoutMs })).data;
    } catch (error) {
      throw new BlobTransferError(holder, hash, 'unreachable', describeError(error), { cause: error });
    }
    const reply = parseReply(data);
    if (reply === undefined) throw new BlobTransferError(holder, hash, 'protocol', 'not a blob reply');
    const { header, bytes } = reply;
    if ('error' in header)
      throw new BlobTransferError(
        holder,
        hash,
        header.error === 'not_found' ? 'not_found' : 'protocol',
        header.error,
      );
    if (header.chunks === undefined) throw new BlobTransferError(holder, hash, 'protocol', 'no chunk count');
    return { header: { size: header.size, chunks: header.chunks }, bytes };
  }

  /** One reply; nothing a peer sends throws out of here. */
  async #answer(data: Uint8Array): Promise<Uint8Array> {
    const request = decodeJson(blobRequestSchema, data);
    if (request === undefined) return frame({ error: 'bad_request' });
    let blob: Uint8Array;
    try {
      blob = await this.#blob(request.hash);
    } catch (error) {
      return frame({ error: errorOf(error) });
    }
    const chunks = Math.max(1, Math.ceil(blob.length / NATS_CHUNK_BYTES));
    const chunk = request.chunk ?? 0;
    if (chunk >= chunks) return frame({ error: 'bad_request' });
    const at = chunk * NATS_CHUNK_BYTES;
    return frame({ chunks, size: blob.length }, blob.subarray(at, at + NATS_CHUNK_BYTES));
  }

  /** The verified bytes of a blob, from the cache or the store (one read for concurrent asks). */
  #blob(hash: string): Promise<Uint8Array> {
    const cached = this.#cache.get(hash);
    if (cached !== undefined) {
      this.#cache.delete(hash);
      this.#cache.set(hash, cached);
      return Promise.resolve(cached);
    }
    let loading = this.#loading.get(hash);
    if (loading === undefined) {
      loading = this.#components.store.get(hash).then((blob) => {
        this.#remember(hash, blob);
        return blob;
      });
      const settled = () => this.#loading.delete(hash);
      loading.then(settled, settled);
      this.#loading.set(hash, loading);
    }
    return loading;
  }

  /** Keeps a served blob for its next chunks, dropping the least recently used past the bounds. */
  #remember(hash: string, blob: Uint8Array): void {
    if (blob.length > CACHE_BYTES) return;
    this.#cache.set(hash, blob);
    let bytes = 0;
    for (const kept of this.#cache.values()) bytes += kept.length;
    for (const [oldest, kept] of this.#cache) {
      if (this.#cache.size <= CACHE_BLOBS && bytes <= CACHE_BYTES) break;
      this.#cache.delete(oldest);
      bytes -= kept.length;
    }
  }
}

function frame(header: BlobHeader, bytes: Uint8Array = new Uint8Array()): Uint8Array {
  const json = encodeJson(header);
  const out = new Uint8Array(2 + json.length + bytes.length);
  new DataView(out.buffer).setUint16(0, json.length);
  out.set(json, 2);
  out.set(bytes, 2 + json.length);
  return out;
}

function parseReply(data: Uint8Array): { header: BlobHeader; bytes: Uint8Array } | undefined {
  if (data.length < 2) return undefined;
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint16(0);
  if (2 + length > data.length) return undefined;
  const header = decodeJson(blobHeaderSchema, data.subarray(2, 2 + length));
  return header === undefined ? undefined : { header, bytes: data.subarray(2 + length) };
}
