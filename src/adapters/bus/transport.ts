/**
 * What a bus implementation provides to the envelope bus: raw bytes on NATS-style subjects
 * (wildcards `*` and `>`), with a connection status. Everything about envelopes (signing,
 * decoding, trust) sits above it, in `envelope-bus.ts`.
 */
import type { RejectReason } from '../../protocol/index.js';
import type { BusStatus } from './types.js';

/**
 * Receives the bytes of one message and says what became of them: `undefined` when the bus
 * accepted them, else the reason it refused them. A transport that can tell its network
 * (gossipsub validation) passes the verdict on; the others ignore it.
 */
export type TransportReceiver = (subject: string, bytes: Uint8Array) => RejectReason | undefined;

/** Receives status changes of a transport. */
export type TransportStatusListener = (status: BusStatus) => void;

/** What a bus implementation provides: raw bytes on subjects (wildcards `*` and `>`). */
export interface Transport {
  /** Hands bytes to the wire; false when it cannot (closed, never connected). */
  publish(subject: string, bytes: Uint8Array): boolean;
  /** Listens on `subject` until the returned function is called. */
  subscribe(subject: string, onMessage: TransportReceiver): () => void;
  status(): BusStatus;
  onStatus(listener: TransportStatusListener): () => void;
  /** True when `publish` would take bytes now (what a batched message's `publish` answers). */
  writable(): boolean;
  /** Drains and closes. */
  close(): Promise<void>;
}
