/**
 * bzzz:// names over libp2p: a node publishes signed records of its own names and resolves
 * anyone's. It follows the {@link P2PNode} as the bus transport does: serving
 * `/bzzz/name/1.0.0` while the node runs, and publishing its own records again each time the
 * node starts again.
 *
 * - `publish(path, value)` signs the record with the node's key, keeps it, pushes it to every
 *   connected peer over `/bzzz/name/1.0.0` and puts it into the DHT, in parallel.
 * - `resolve(name)` answers its own names at once; otherwise it asks the owner when connected
 *   (it signs its records, so it holds the newest), else, or when the owner has none, every
 *   other connected peer in parallel (each answers from the records it holds: pushed ones,
 *   resolved ones) and keeps the newest valid answer; only when no peer holds one does it walk
 *   the DHT (`dht.get`, whose answers kad-dht checks with our validator), so on a
 *   LAN a lookup costs one round trip. The DHT walk also finds a name whose owner is gone.
 *
 * Every record from a peer is checked (shape, key, signature by the named node) before it is
 * trusted or kept; a refused one is counted by reason (`rejections()`), logged once a minute
 * per reason, and ignored. Frames are at most {@link MAX_NAME_FRAME} bytes, a peer has
 * `peerTimeoutMs` to answer or to ask, and the walk `walkTimeoutMs`.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import type { Clock } from '../../lib/clock.js';
import { describeError, toError } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import {
  checkNameRecord,
  compareNameRecords,
  decodeNameRecord,
  encodeNameRecord,
  formatActorPath,
  formatName,
  InvalidNameRecordError,
  NAME_PROTOCOL,
  nameKey,
  nameOfRecord,
  nextNameSeq,
  parseAddress,
  signNameRecord,
  type Identity,
  type NameRecord,
  type NameRecordProblem,
  type NameRef,
} from '../../protocol/index.js';
import { NameNotFoundError, P2PStartError } from './errors.js';
import { NameStore } from './name-store.js';
import { decodeNameRequest, decodeNameResponse, encodeNameFrame, MAX_NAME_FRAME } from './name-wire.js';
import type { P2PNode } from './node.js';
import type { Libp2pNode, P2PNodeListener } from './types.js';

/** Why a peer's frame or record was refused. */
export type NameRejectReason = NameRecordProblem | 'bad_frame';

/** Options of the names service. */
export interface NamesInit {
  /** The node's identity (its node id is the P2P node's). */
  identity: Identity;
  /** Records held, own and learned (default 10,000). */
  maxRecords?: number;
  /** How long a peer may take to answer, or to send its request (default 2 s). */
  peerTimeoutMs?: number;
  /** How long a DHT walk or put may take (default 15 s). */
  walkTimeoutMs?: number;
}

/** What the names service gets injected. */
export interface NamesComponents {
  node: P2PNode;
  clock: Clock;
  logger: Logger;
  /** Counts a refused frame or record. */
  rejected?: (reason: NameRejectReason) => void;
}

/** Where a resolved record came from. */
export type NameSource = 'local' | 'peer' | 'dht';

/** A resolved name. */
export interface ResolvedName {
  name: string;
  value: string;
  seq: number;
  source: NameSource;
  record: NameRecord;
}

/** A publication and how far it went. */
export interface PublishedName {
  name: string;
  record: NameRecord;
  /** Connected peers that took the pushed record. */
  peers: number;
  /** Peers that took it through the DHT put. */
  dhtPeers: number;
}

const MAX_INBOUND_STREAMS = 32;
/** How long closing a finished stream may take before it is aborted. */
const CLOSE_TIMEOUT_MS = 5_000;
/** Connected peers asked at most, in parallel. */
const MAX_ASKED = 64;

/** Signed bzzz:// name records on a (replaceable) libp2p node. */
export class NameService implements P2PNodeListener {
  readonly nodeId: string;
  readonly #init: Required<Omit<NamesInit, 'identity'>> & { identity: Identity };
  readonly #components: NamesComponents;
  readonly #log: RateLimitedLog;
  readonly #store: NameStore;
  readonly #rejections = new Map<NameRejectReason, number>();
  readonly #inbound = new Set<Stream>();
  #node: Libp2pNode | undefined;
  #attached = new AbortController();
  readonly #unfollow: () => void;

  constructor(init: NamesInit, components: NamesComponents) {
    if (init.identity.nodeId !== components.node.nodeId) {
      throw new P2PStartError('the names service and the p2p node have different identities', {
        retryable: false,
      });
    }
    this.#init = { maxRecords: 10_000, peerTimeoutMs: 2_000, walkTimeoutMs: 15_000, ...init };
    this.#components = components;
    this.nodeId = init.identity.nodeId;
    this.#log = new RateLimitedLog(components.logger, components.clock, 60_000);
    this.#store = new NameStore(this.#init.maxRecords);
    this.#unfollow = components.node.follow(this);
  }

  /** Refused frames and records so far, by reason. */
  rejections(): ReadonlyMap<NameRejectReason, number> {
    return this.#rejections;
  }

  /** Records held (own and learned). */
  get held(): number {
    return this.#store.size;
  }

  async attach(node: Libp2pNode): Promise<void> {
    this.#node = node;
    this.#attached = new AbortController();
    await node.handle(NAME_PROTOCOL, (stream, connection) => this.#accept(stream, connection), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
    });
    // a node started again publishes its names again, so its DHT records stay fresh
    const signal = this.#attached.signal;
    for (const record of this.#store.owned()) void this.#put(node, record, signal);
  }

  async detach(node: Libp2pNode): Promise<void> {
    this.#attached.abort(new P2PStartError('the p2p node is stopping'));
    this.#node = undefined;
    await node.unhandle(NAME_PROTOCOL).catch(() => undefined);
    for (const stream of this.#inbound) stream.abort(new P2PStartError('the p2p node is stopping'));
    this.#inbound.clear();
  }

  /** Stops following the node and serving on it (the node keeps running). Safe to call twice. */
  async close(): Promise<void> {
    this.#unfollow();
    const node = this.#node;
    if (node !== undefined) await this.detach(node);
  }

  /** Signs and publishes `bzzz://<this node>/<path>` → `value`; resolves once pushed and put. */
  async publish(path: readonly string[], value: string): Promise<PublishedName> {
    const node = this.#running();
    const name: NameRef = { node: this.nodeId, path };
    const key = keyText(name);
    const seq = nextNameSeq(this.#components.clock.now(), this.#store.get(key)?.seq ?? 0);
    const record = signNameRecord(name, value, seq, this.#init.identity.privateKey);
    this.#store.offer(key, record, true);
    const signal = this.#attached.signal;
    const [peers, dhtPeers] = await Promise.all([
      this.#push(node, record, signal),
      this.#put(node, record, signal),
    ]);
    return { name: formatName(name), record, peers, dhtPeers };
  }

  /**
   * The newest valid record of `name` (`bzzz://<node id>/<path>`); throws {@link NameNotFoundError}.
   * With `dhtOnly`, neither the records held here nor connected peers are asked: only the DHT
   * walk (what the DHT holds, and how long finding it there takes).
   */
  async resolve(name: string | NameRef, options: { dhtOnly?: boolean } = {}): Promise<ResolvedName> {
    const ref = typeof name === 'string' ? parseAddress(name) : name;
    const key = keyText(ref);
    const text = formatName(ref);
    const own = this.#store.own(key);
    if (own !== undefined && options.dhtOnly !== true) return resolved(text, own, 'local');
    const node = this.#running();
    const peers = options.dhtOnly === true ? [] : node.getPeers().slice(0, MAX_ASKED);
    const request = encodeNameFrame({ op: 'get', name: text });
    // the owner knows its newest record: when connected, it alone is asked first
    const owner = peers.find((peer) => peer.toString() === ref.node);
    let fromPeers = owner === undefined ? undefined : await this.#askPeers(node, [owner], request, key);
    fromPeers ??= await this.#askPeers(
      node,
      peers.filter((peer) => peer !== owner),
      request,
      key,
    );
    const known = options.dhtOnly === true ? undefined : this.#store.get(key);
    const best = newest(fromPeers, known);
    if (best !== undefined) {
      this.#store.offer(key, best, false);
      return resolved(text, best, best === fromPeers ? 'peer' : 'local');
    }
    const { record, error } = await this.#walk(node, ref);
    if (record === undefined) throw new NameNotFoundError(text, peers.length, { cause: error });
    this.#store.offer(key, record, false);
    return resolved(text, record, 'dht');
  }

  /** Asks `peers` in parallel; the newest valid answer once all answered or ran out of time. */
  async #askPeers(
    node: Libp2pNode,
    peers: PeerId[],
    request: Uint8Array,
    key: string,
  ): Promise<NameRecord | undefined> {
    if (peers.length === 0) return undefined;
    const signal = AbortSignal.any([this.#attached.signal, AbortSignal.timeout(this.#init.peerTimeoutMs)]);
    const answers = await Promise.all(peers.map((peer) => this.#ask(node, peer, request, key, signal)));
    return answers.reduce<NameRecord | undefined>((best, record) => newest(record, best), undefined);
  }

  /** One get from one peer: a checked record for `key`, or `undefined`. Never throws. */
  async #ask(
    node: Libp2pNode,
    peer: PeerId,
    request: Uint8Array,
    key: string,
    signal: AbortSignal,
  ): Promise<NameRecord | undefined> {
    const from = peer.toString();
    let bytes: Uint8Array;
    try {
      bytes = await exchange(node, peer, request, signal);
    } catch (error) {
      // unreachable, too slow, or not a names peer: no answer, nothing hostile
      this.#components.logger.debug({ peer: from, err: describeError(error) }, 'no name answer from a peer');
      return undefined;
    }
    const response = decodeNameResponse(bytes);
    if (response === undefined) return this.#refuse('bad_frame', from, 'unreadable name response');
    if (response.record === undefined) return undefined;
    return this.#trust(() => checkNameRecord(response.record), key, from);
  }

  /**
   * The record `read` returns once checked, and for `key` when one is given; `undefined`
   * (counted) when it is not one.
   */
  #trust(read: () => NameRecord, key: string | undefined, from: string): NameRecord | undefined {
    try {
      const record = read();
      if (key !== undefined && storeKey(record.node, record.path) !== key) {
        throw new InvalidNameRecordError('wrong_key', 'a record of another name');
      }
      return record;
    } catch (error) {
      const problem = error instanceof InvalidNameRecordError ? error.problem : 'malformed';
      return this.#refuse(problem, from, describeError(error));
    }
  }

  /** Walks the DHT for `name`: the newest valid record any peer on the way holds. */
  async #walk(node: Libp2pNode, name: NameRef): Promise<{ record?: NameRecord; error?: unknown }> {
    const signal = AbortSignal.any([this.#attached.signal, AbortSignal.timeout(this.#init.walkTimeoutMs)]);
    const key = keyText(name);
    let best: NameRecord | undefined;
    const consider = (value: Uint8Array, from: PeerId): void => {
      best = newest(
        this.#trust(() => decodeNameRecord(value), key, from.toString()),
        best,
      );
    };
    try {
      for await (const event of node.services.dht.get(nameKey(name), { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.record != null) consider(event.record.value, event.from);
        if (event.name === 'VALUE') consider(event.value, event.from);
      }
    } catch (error) {
      // a failed correction of a stale peer, or the deadline: what was found still counts
      return best === undefined ? { error } : { record: best };
    }
    return best === undefined ? {} : { record: best };
  }

  /** Pushes a new own record to every connected peer; how many took it. */
  async #push(node: Libp2pNode, record: NameRecord, outer: AbortSignal): Promise<number> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#init.peerTimeoutMs)]);
    const request = encodeNameFrame({ op: 'put', record });
    const answers = await Promise.all(
      node
        .getPeers()
        .slice(0, MAX_ASKED)
        .map(async (peer) => {
          try {
            return decodeNameResponse(await exchange(node, peer, request, signal))?.ok === true;
          } catch {
            return false;
          }
        }),
    );
    return answers.filter(Boolean).length;
  }

  /** Puts an own record into the DHT; how many peers took it (0 on failure, logged). */
  async #put(node: Libp2pNode, record: NameRecord, outer: AbortSignal): Promise<number> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#init.walkTimeoutMs)]);
    const name = nameOfRecord(record);
    let took = 0;
    try {
      for await (const event of node.services.dht.put(nameKey(name), encodeNameRecord(record), { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') took++;
      }
    } catch (error) {
      this.#components.logger.debug(
        { name: formatName(name), err: describeError(error) },
        'DHT put incomplete',
      );
    }
    return took;
  }

  #accept(stream: Stream, connection: Connection): void {
    this.#inbound.add(stream);
    void this.#serve(stream, connection.remotePeer.toString()).finally(() => this.#inbound.delete(stream));
  }

  /** Answers one request; nothing a peer sends can throw out of here. */
  async #serve(stream: Stream, peer: string): Promise<void> {
    const signal = AbortSignal.any([this.#attached.signal, AbortSignal.timeout(this.#init.peerTimeoutMs)]);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_NAME_FRAME });
      const request = decodeNameRequest((await lp.read({ signal })).subarray());
      if (request === undefined) {
        this.#refuse('bad_frame', peer, 'unreadable name request');
        stream.abort(new Error('unreadable name request'));
        return;
      }
      if (request.op === 'get') {
        let record: NameRecord | undefined;
        try {
          record = this.#store.get(keyText(parseAddress(request.name)));
        } catch {
          // not a name: nothing held for it
        }
        await lp.write(encodeNameFrame(record === undefined ? {} : { record }), { signal });
      } else {
        const record = this.#trust(() => checkNameRecord(request.record), undefined, peer);
        if (record !== undefined) this.#store.offer(storeKey(record.node, record.path), record, false);
        await lp.write(
          encodeNameFrame(record === undefined ? { ok: false, error: 'refused' } : { ok: true }),
          {
            signal,
          },
        );
      }
      await stream.close({ signal });
    } catch (error) {
      this.#components.logger.debug({ peer, err: describeError(error) }, 'name stream ended');
      stream.abort(toError(error));
    }
  }

  #refuse(reason: NameRejectReason, peer: string, detail: string): undefined {
    this.#rejections.set(reason, (this.#rejections.get(reason) ?? 0) + 1);
    this.#components.rejected?.(reason);
    this.#log.warn(`name:${reason}`, { peer, detail }, 'name record refused');
    return undefined;
  }

  #running(): Libp2pNode {
    const node = this.#node;
    if (node === undefined) throw new P2PStartError('the p2p node is not running');
    return node;
  }
}

/** Sends one request frame to `peer` and reads its one response frame. */
async function exchange(
  node: Libp2pNode,
  peer: PeerId,
  request: Uint8Array,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const stream = await node.dialProtocol(peer, NAME_PROTOCOL, { signal });
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_NAME_FRAME });
    await lp.write(request, { signal });
    const response = (await lp.read({ signal })).subarray();
    // the answer is in: closing the stream need not hold up the caller
    void stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((error: unknown) => {
      stream.abort(toError(error));
    });
    return response;
  } catch (error) {
    stream.abort(toError(error));
    throw error;
  }
}

/** `<node id>/<escaped path>`: a name's key in the store (its DHT key without `/bzzz/`). */
function storeKey(node: string, escapedPath: string): string {
  return `${node}/${escapedPath}`;
}

function keyText(name: NameRef): string {
  return storeKey(name.node, formatActorPath(name.path));
}

function newest(a: NameRecord | undefined, b: NameRecord | undefined): NameRecord | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareNameRecords(a, b) >= 0 ? a : b;
}

function resolved(name: string, record: NameRecord, source: NameSource): ResolvedName {
  return { name, value: record.value, seq: record.seq, source, record };
}
