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
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog } from '../../lib/log.js';
import {
  checkNameRecord,
  decodeNameRecord,
  formatName,
  InvalidNameRecordError,
  NAME_PROTOCOL,
  nextNameSeq,
  parseAddress,
  signNameRecord,
  type Identity,
  type NameRecord,
  type NameRef,
} from '../../protocol/index.js';
import { NameNotFoundError, P2PStartError } from './errors.js';
import { putDht, walkDht } from './name-dht.js';
import { askNamePeer, pushNameRecord } from './name-client.js';
import { serveNameStream } from './name-server.js';
import { keyText, NameStore, newest, storeKey } from './name-store.js';
import { encodeNameFrame } from './name-wire.js';
import type { Libp2pNode, P2PNodeListener } from './types.js';
import type {
  NameRejectReason,
  NamesComponents,
  NamesInit,
  NameSource,
  PublishedName,
  ResolvedName,
} from './name-types.js';

export type { NameRejectReason, NamesComponents, NamesInit, NameSource, PublishedName, ResolvedName };

const MAX_INBOUND_STREAMS = 32;
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
    const name: NameRef = { node: this.nodeId, path };
    const seq = nextNameSeq(this.#components.clock.now(), this.#store.get(keyText(name))?.seq ?? 0);
    return this.publishRecord(signNameRecord(name, value, seq, this.#init.identity.privateKey));
  }

  /** Publishes a record this node signed elsewhere (the task names' publisher); as `publish`. */
  async publishRecord(signed: NameRecord): Promise<PublishedName> {
    const node = this.#running();
    const record = checkNameRecord(signed);
    if (record.node !== this.nodeId)
      throw new InvalidNameRecordError('wrong_key', `a record of ${record.node}, not of this node`);
    this.#store.offer(storeKey(record.node, record.path), record, true);
    const signal = this.#attached.signal;
    const [peers, dhtPeers] = await Promise.all([
      this.#push(node, record, signal),
      this.#put(node, record, signal),
    ]);
    return { name: `bzzz://${record.node}/${record.path}`, record, peers, dhtPeers };
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
    const signal = AbortSignal.any([this.#attached.signal, AbortSignal.timeout(this.#init.walkTimeoutMs)]);
    const { record, error } = await walkDht(node, ref, signal, (value, from) =>
      this.#trust(() => decodeNameRecord(value), key, from),
    );
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
    const answers = await Promise.all(
      peers.map((peer) =>
        askNamePeer(node, peer, request, signal, {
          logger: this.#components.logger,
          trust: (record, from) => this.#trust(() => checkNameRecord(record), key, from),
          refuse: (from, detail) => this.#refuse('bad_frame', from, detail),
        }),
      ),
    );
    return answers.reduce<NameRecord | undefined>((best, record) => newest(record, best), undefined);
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

  /** Pushes a new own record to every connected peer; how many took it. */
  #push(node: Libp2pNode, record: NameRecord, outer: AbortSignal): Promise<number> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#init.peerTimeoutMs)]);
    return pushNameRecord(node, node.getPeers().slice(0, MAX_ASKED), record, signal);
  }

  /** Puts an own record into the DHT; how many peers took it (0 on failure, logged). */
  #put(node: Libp2pNode, record: NameRecord, outer: AbortSignal): Promise<number> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#init.walkTimeoutMs)]);
    return putDht(node, record, signal, this.#components.logger);
  }

  #accept(stream: Stream, connection: Connection): void {
    this.#inbound.add(stream);
    void this.#serve(stream, connection.remotePeer.toString()).finally(() => this.#inbound.delete(stream));
  }

  /** Answers one request; nothing a peer sends can throw out of here. */
  async #serve(stream: Stream, peer: string): Promise<void> {
    const signal = AbortSignal.any([this.#attached.signal, AbortSignal.timeout(this.#init.peerTimeoutMs)]);
    await serveNameStream(stream, peer, {
      signal,
      store: this.#store,
      logger: this.#components.logger,
      trust: (record) => this.#trust(() => checkNameRecord(record), undefined, peer),
      kept: (record) => this.#components.learned?.(record),
      refuse: (detail) => this.#refuse('bad_frame', peer, detail),
    });
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

function resolved(name: string, record: NameRecord, source: NameSource): ResolvedName {
  return { name, value: record.value, seq: record.seq, source, record };
}
