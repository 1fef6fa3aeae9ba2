/**
 * Blobs over libp2p: the `/bzzz/blob/1.0.0` stream protocol. The fetching node opens a
 * stream to the holder and writes one length-prefixed request (`{"hash"}`); the holder
 * answers a length-prefixed header (`{"size"}` or `{"error"}`) and then the blob's bytes as
 * length-prefixed frames of at most {@link FRAME_BYTES}, read from its store (which checks
 * the hash as the last chunk passes: a corrupt copy aborts the stream). The fetcher reads
 * exactly `size` bytes, never more than its bound, and each read has a deadline.
 *
 * The service follows the node's libp2p node (`P2PNode.follow`): it serves while libp2p runs.
 * It implements the blob transfer port (`src/adapters/blob-transfer/`) on libp2p, and publishes
 * DHT provider records for the blobs this node holds (blob-cid.ts).
 */
import type { Connection, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { describeError } from '../../lib/errors.js';
import { BLOB_PROTOCOL } from '../../protocol/index.js';
import {
  BlobTransferError,
  blobHeaderSchema,
  blobRequestSchema,
  decodeJson,
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_TRANSFER_TIMEOUT_MS,
  encodeJson,
  errorOf,
  type BlobTransfer,
  type BlobTransferComponents,
  type BlobTransferInit,
  type FetchedBlob,
} from '../blob-transfer/index.js';
import { blobProviderKey } from './blob-cid.js';
import type { P2PNode } from './node.js';
import type { Libp2pNode } from './types.js';

/** Most bytes of one frame of a blob's body. */
const FRAME_BYTES = 256 * 1024;
/** Most bytes of a request or a header. */
const MAX_CONTROL_BYTES = 1024;
/** Blob streams one connection may hold open at once. */
const MAX_INBOUND_STREAMS = 16;

export class Libp2pBlobTransfer implements BlobTransfer {
  readonly kind = 'libp2p';
  readonly #init: Required<BlobTransferInit>;
  readonly #components: BlobTransferComponents;
  readonly #p2p: P2PNode;
  #node: Libp2pNode | undefined;
  #unfollow: (() => void) | undefined;
  readonly #inbound = new Set<Stream>();

  constructor(init: BlobTransferInit, components: BlobTransferComponents & { p2p: P2PNode }) {
    this.#init = {
      maxBlobBytes: DEFAULT_MAX_BLOB_BYTES,
      timeoutMs: DEFAULT_TRANSFER_TIMEOUT_MS,
      ...init,
    };
    this.#components = components;
    this.#p2p = components.p2p;
  }

  start(): Promise<void> {
    this.#unfollow ??= this.#p2p.follow({
      attach: async (node) => {
        this.#node = node;
        await node.handle(BLOB_PROTOCOL, (stream, connection) => this.#accept(stream, connection), {
          maxInboundStreams: MAX_INBOUND_STREAMS,
        });
      },
      detach: async (node) => {
        this.#node = undefined;
        await node.unhandle(BLOB_PROTOCOL).catch(() => undefined);
      },
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#unfollow?.();
    this.#unfollow = undefined;
    await this.#node?.unhandle(BLOB_PROTOCOL).catch(() => undefined);
    this.#node = undefined;
    for (const stream of this.#inbound) stream.abort(new Error('the blob service stopped'));
    this.#inbound.clear();
  }

  async fetch(holder: string, hash: string, signal?: AbortSignal): Promise<FetchedBlob> {
    const node = this.#node;
    if (node === undefined) throw new BlobTransferError(holder, hash, 'unreachable', 'libp2p is not running');
    const deadline = () => anySignal(AbortSignal.timeout(this.#init.timeoutMs), signal);
    let stream: Stream;
    try {
      stream = await node.dialProtocol(peerIdFromString(holder), BLOB_PROTOCOL, { signal: deadline() });
    } catch (error) {
      throw new BlobTransferError(holder, hash, 'unreachable', describeError(error), { cause: error });
    }
    const fail = (
      failure: 'unreachable' | 'protocol' | 'not_found' | 'too_large',
      detail: string,
      cause?: unknown,
    ) => {
      stream.abort(new Error(detail));
      return new BlobTransferError(holder, hash, failure, detail, { cause });
    };
    const lp = lpStream(stream, { maxDataLength: Math.max(FRAME_BYTES, MAX_CONTROL_BYTES) });
    let header;
    try {
      await lp.write(encodeJson({ hash }), { signal: deadline() });
      header = decodeJson(blobHeaderSchema, (await lp.read({ signal: deadline() })).subarray());
    } catch (error) {
      throw fail('unreachable', describeError(error), error);
    }
    if (header === undefined) throw fail('protocol', 'the header is not a blob header');
    if ('error' in header) throw fail(header.error === 'not_found' ? 'not_found' : 'protocol', header.error);
    const size = header.size;
    if (size > this.#init.maxBlobBytes) throw fail('too_large', `${size} bytes`);
    async function* body(): AsyncGenerator<Uint8Array> {
      let read = 0;
      let done = false;
      try {
        while (read < size) {
          const frame = (await lp.read({ signal: deadline() })).subarray();
          if (frame.length === 0 || read + frame.length > size)
            throw fail('protocol', `a frame of ${frame.length} bytes after ${read} of ${size}`);
          read += frame.length;
          yield frame;
        }
        done = true;
        await stream.close().catch(() => undefined);
      } catch (error) {
        done = true;
        if (error instanceof BlobTransferError) throw error;
        throw fail('unreachable', describeError(error), error);
      } finally {
        // the reader stopped early (its store failed): the holder need not send the rest
        if (!done) stream.abort(new Error('the fetch was abandoned'));
      }
    }
    return { size, bytes: body() };
  }

  async provide(hash: string): Promise<void> {
    const node = this.#node;
    if (node === undefined) return;
    await node.contentRouting.provide(blobProviderKey(hash), {
      signal: AbortSignal.timeout(this.#init.timeoutMs),
    });
  }

  #accept(stream: Stream, connection: Connection): void {
    this.#inbound.add(stream);
    void this.#serve(stream, connection.remotePeer.toString()).finally(() => this.#inbound.delete(stream));
  }

  /** One answer; nothing a peer sends can throw out of here. */
  async #serve(stream: Stream, peer: string): Promise<void> {
    const signal = () => AbortSignal.timeout(this.#init.timeoutMs);
    const lp = lpStream(stream, { maxDataLength: MAX_CONTROL_BYTES });
    try {
      const request = decodeJson(blobRequestSchema, (await lp.read({ signal: signal() })).subarray());
      if (request === undefined) {
        await lp.write(encodeJson({ error: 'bad_request' }), { signal: signal() });
        await stream.close();
        return;
      }
      const { store } = this.#components;
      const info = await store.stat(request.hash);
      if (info === undefined) {
        await lp.write(encodeJson({ error: 'not_found' }), { signal: signal() });
        await stream.close();
        return;
      }
      let bytes;
      try {
        bytes = await store.read(request.hash);
      } catch (error) {
        await lp.write(encodeJson({ error: errorOf(error) }), { signal: signal() });
        await stream.close();
        return;
      }
      await lp.write(encodeJson({ size: info.size }), { signal: signal() });
      for await (const chunk of bytes)
        for (let at = 0; at < chunk.length; at += FRAME_BYTES)
          await lp.write(chunk.subarray(at, at + FRAME_BYTES), { signal: signal() });
      await stream.close();
    } catch (error) {
      this.#components.logger.debug({ peer, err: describeError(error) }, 'blob request failed');
      stream.abort(error instanceof Error ? error : new Error(describeError(error)));
    }
  }
}

function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b === undefined ? a : AbortSignal.any([a, b]);
}
