/**
 * The bus port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type {
  Address,
  Envelope,
  MessageData,
  MessageType,
  NodeId,
  RejectReason,
  TaskKey,
} from '../../protocol/index.js';

/** A place a message is published to: one subject. */
export type Channel =
  | { readonly kind: 'coordination' }
  | { readonly kind: 'hmmm' }
  | { readonly kind: 'task'; readonly task: TaskKey }
  | { readonly kind: 'actor'; readonly address: Address };

/** What a subscription listens to: one channel, every task channel, or this node's actors. */
export type ChannelPattern = Channel | { readonly kind: 'tasks' } | { readonly kind: 'mailbox' };

/** A message to publish: the envelope is built, checked and signed by the bus. */
export interface Outgoing<T extends MessageType = MessageType> {
  type: T;
  data: MessageData<T>;
  /** The `bzzz://` address of the recipient, when there is one. */
  to?: string;
  corr?: string;
}

/** A message received and trusted: its envelope and the channel it came on. */
export interface Delivery {
  envelope: Envelope;
  channel: Channel;
}

/** Called for every trusted message on a subscription; whatever it throws is logged only. */
export type DeliveryHandler = (delivery: Delivery) => void;

/** A live subscription; `unsubscribe` is safe to call twice. */
export interface BusSubscription {
  unsubscribe(): void;
}

/** Connection state of a bus (`local` is always connected until closed). */
export type BusStatus = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** The bus port. */
export interface Bus {
  readonly nodeId: NodeId;
  readonly cluster: string;
  /** True when messages leave the process now (`/health/ready` answers 503 otherwise). */
  connected(): boolean;
  /** Current connection state. */
  status(): BusStatus;
  /** Follows status changes; returns the function that stops following. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  /**
   * Publishes one message. Throws `InvalidMessageError` when the data fails its own schema
   * (bzzz never sends what it would reject); returns false when the transport could not take
   * the message (closed, or never connected).
   */
  publish<T extends MessageType>(channel: Channel, message: Outgoing<T>): boolean;
  /** Delivers every trusted message matching `pattern` to `handler`. */
  subscribe(pattern: ChannelPattern, handler: DeliveryHandler): BusSubscription;
  /** Drains: pending messages go out, subscriptions end. Safe to call twice. */
  close(): Promise<void>;
}

/** User options shared by every bus. */
export interface BusInit {
  cluster: string;
  nodeId: NodeId;
  /** The node key; `null` sends unsigned envelopes (only with `sign_messages: false`). */
  privateKey: KeyObject | null;
  /** Check signatures on receipt (default: true when `privateKey` is set). */
  verify?: boolean;
  /** Replay window in ms (default 5 minutes). */
  replayWindowMs?: number;
  /** Most message ids the replay guard remembers (default 100,000). */
  replayCapacity?: number;
  /**
   * Send broadcasts published in one turn to one channel as one `message_batch` envelope
   * (default true). Off, every broadcast is an envelope of its own, as a receiver that does
   * not know batches needs.
   */
  batch?: boolean;
  /**
   * The cluster's members (`cluster_members`): envelopes signed by any other node are
   * rejected (`not_member`). Absent or empty: every node that signs is heard.
   */
  members?: readonly NodeId[];
}

/** Injected parts of a bus. */
export interface BusComponents {
  clock: Clock;
  logger: Logger;
  /** Counts a rejected message (`bzzz_messages_rejected_total{reason}`). */
  rejected?: (reason: RejectReason) => void;
}
