/** The options, components and results of the names service (names.ts). */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Identity, NameRecord, NameRecordProblem } from '../../protocol/index.js';
import type { P2PNode } from './node.js';

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
  /** Told of each record a peer pushed, once checked and kept (the node's name table keeps it). */
  learned?: (record: NameRecord) => void;
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
