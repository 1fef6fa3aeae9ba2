/**
 * The types around an {@link ActorSystem}: its options, its injected parts, its metrics, and
 * the transport that carries messages to other nodes.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ActorAddress, MailboxMessage } from './message.js';

/** Counters the node exports as Prometheus metrics. */
export interface ActorSystemMetrics {
  deadLetter(reason: DeadLetterReason): void;
  mailboxDropped(): void;
}

export type DeadLetterReason = 'unknown' | 'stopped' | 'undeliverable' | 'no_route';

/**
 * Carries messages to actors on other nodes and topics to other processes (the NATS bus).
 * `send` returns false when the message could not be handed over.
 */
export interface RemoteTransport {
  send(address: ActorAddress, message: MailboxMessage): boolean;
  publish(topic: string, message: MailboxMessage): void;
}

export interface ActorSystemInit {
  /** This node's id; `bzzz://<nodeId>/<path>` addresses with it are local. */
  nodeId?: string;
  /** Messages a mailbox holds before it drops new ones. */
  mailboxCapacity?: number;
  /** Default ask timeout. */
  askTimeoutMs?: number;
}

export interface ActorSystemComponents {
  clock?: Clock;
  logger?: Logger;
  metrics?: ActorSystemMetrics;
}

export interface AskOptions {
  timeoutMs?: number;
  from?: ActorAddress;
}
