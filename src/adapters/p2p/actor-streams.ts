/**
 * Actor mailboxes over libp2p: the `/bzzz/actor/1.0.0` stream protocol. A node keeps at most
 * one outbound stream per peer and writes its frames to it in order (varint length-prefixed),
 * so messages from one node to another arrive in the order they were sent, as on NATS.
 * Delivery is at most once: a frame that cannot be written (the peer is unreachable, the
 * stream broke twice) is dropped and logged, as NATS drops a message nobody listens to.
 *
 * Inbound streams are read with a frame size cap: a frame announcing more than the cap ends
 * the stream (there is no way to find the next frame after it); any other bad frame is
 * counted and skipped. Nothing a peer writes can throw out of the handler.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, LengthPrefixedDecoder, type LengthPrefixedStream } from '@libp2p/utils';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { ACTOR_PROTOCOL } from '../../protocol/index.js';
import type { Libp2pNode } from './types.js';

/** Frames waiting for one peer at most; past this, sends to it are refused. */
const MAX_QUEUED = 4096;
/** How long opening a stream to a peer (dial included) may take. */
const OPEN_TIMEOUT_MS = 10_000;
/** Inbound actor streams one connection may hold open. */
const MAX_INBOUND_STREAMS = 64;

/** What the streams need from the transport. */
export interface ActorStreamsInit {
  node: Libp2pNode;
  maxFrameBytes: number;
  logger: Logger;
  /** A frame from `peer`; it must not throw. */
  onFrame(peer: string, frame: Uint8Array): void;
  /** A stream ended because its peer broke the framing (oversized or malformed length). */
  onBadStream(peer: string, detail: string): void;
}

class PeerLine {
  readonly #peer: string;
  readonly #init: ActorStreamsInit;
  readonly #queue: Uint8Array[] = [];
  #stream: LengthPrefixedStream<Stream> | undefined;
  #idle: Promise<void> = Promise.resolve();
  #running = false;

  constructor(peer: string, init: ActorStreamsInit) {
    this.#peer = peer;
    this.#init = init;
  }

  /** True while frames wait or are being written. */
  get busy(): boolean {
    return this.#running;
  }

  push(frame: Uint8Array): boolean {
    if (this.#queue.length >= MAX_QUEUED) return false;
    this.#queue.push(frame);
    if (!this.#running) {
      this.#running = true;
      this.#idle = this.#run();
    }
    return true;
  }

  /** Writes what is queued, then closes the stream. */
  async close(): Promise<void> {
    await this.#idle;
    const stream = this.#stream;
    this.#stream = undefined;
    await stream
      ?.unwrap()
      .close()
      .catch(() => undefined);
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        await this.#write(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Writes a batch; a stream opened earlier may have broken since, so one retry on a new one. */
  async #write(batch: Uint8Array[]): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const reused = this.#stream !== undefined;
      try {
        this.#stream ??= lpStream(await this.#open());
        await this.#stream.writeV(batch);
        return;
      } catch (error) {
        this.#stream?.unwrap().abort(error instanceof Error ? error : new Error(describeError(error)));
        this.#stream = undefined;
        if (reused) continue;
        this.#init.logger.debug(
          { peer: this.#peer, frames: batch.length, err: describeError(error) },
          'actor frames dropped',
        );
        return;
      }
    }
  }

  #open(): Promise<Stream> {
    return this.#init.node.dialProtocol(peerIdFromString(this.#peer), ACTOR_PROTOCOL, {
      signal: AbortSignal.timeout(OPEN_TIMEOUT_MS),
    });
  }
}

/** The actor protocol of one running libp2p node: outbound lines and the inbound handler. */
export class ActorStreams {
  readonly #init: ActorStreamsInit;
  readonly #lines = new Map<string, PeerLine>();
  readonly #inbound = new Set<Stream>();
  /** A peer gone: its idle line (and dead stream) goes too, so lines do not pile up. */
  readonly #gone = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail.toString();
    const line = this.#lines.get(peer);
    if (line === undefined || line.busy) return;
    this.#lines.delete(peer);
    void line.close();
  };

  constructor(init: ActorStreamsInit) {
    this.#init = init;
  }

  /** Lines to peers held now (tests: they do not pile up). */
  get lines(): number {
    return this.#lines.size;
  }

  async start(): Promise<void> {
    this.#init.node.addEventListener('peer:disconnect', this.#gone);
    await this.#init.node.handle(ACTOR_PROTOCOL, (stream, connection) => this.#accept(stream, connection), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
    });
  }

  /** Queues a frame for `peer`; false when it is too big or too much waits for that peer. */
  send(peer: string, frame: Uint8Array): boolean {
    if (frame.length > this.#init.maxFrameBytes) return false;
    let line = this.#lines.get(peer);
    if (line === undefined) {
      line = new PeerLine(peer, this.#init);
      this.#lines.set(peer, line);
    }
    return line.push(frame);
  }

  /** Writes what is queued, closes every stream and stops accepting new ones. */
  async stop(): Promise<void> {
    this.#init.node.removeEventListener('peer:disconnect', this.#gone);
    await this.#init.node.unhandle(ACTOR_PROTOCOL).catch(() => undefined);
    await Promise.all([...this.#lines.values()].map((line) => line.close()));
    this.#lines.clear();
    for (const stream of this.#inbound) await stream.close().catch(() => undefined);
    this.#inbound.clear();
  }

  #accept(stream: Stream, connection: Connection): void {
    this.#inbound.add(stream);
    const peer = connection.remotePeer.toString();
    void this.#read(stream, peer).finally(() => this.#inbound.delete(stream));
  }

  async #read(stream: Stream, peer: string): Promise<void> {
    const max = this.#init.maxFrameBytes;
    const decoder = new LengthPrefixedDecoder({ maxDataLength: max, maxBufferSize: 2 * max + 16 });
    try {
      for await (const chunk of stream) {
        let frames: Uint8Array[];
        try {
          frames = [...decoder.decode(chunk)].map((frame) => frame.subarray());
        } catch (error) {
          // a length past the cap, or no length at all: the next frame cannot be found
          this.#init.onBadStream(peer, describeError(error));
          stream.abort(error instanceof Error ? error : new Error(describeError(error)));
          return;
        }
        for (const frame of frames) this.#init.onFrame(peer, frame);
      }
    } catch (error) {
      this.#init.logger.debug({ peer, err: describeError(error) }, 'actor stream ended');
    }
  }
}
