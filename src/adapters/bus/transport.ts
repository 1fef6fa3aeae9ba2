/**
 * What a bus implementation provides to the envelope bus: raw bytes on NATS-style subjects
 * (wildcards `*` and `>`), with a connection status. Everything about envelopes (signing,
 * decoding, trust) sits above it, in `envelope-bus.ts`.
 */
import type { BusStatus } from './types.js';

/** Receives status changes of a transport. */
export type TransportStatusListener = (status: BusStatus) => void;

/** What a bus implementation provides: raw bytes on subjects (wildcards `*` and `>`). */
export interface Transport {
  /** Hands bytes to the wire; false when it cannot (closed, never connected). */
  publish(subject: string, bytes: Uint8Array): boolean;
  /** Listens on `subject` until the returned function is called. */
  subscribe(subject: string, onMessage: (subject: string, bytes: Uint8Array) => void): () => void;
  status(): BusStatus;
  onStatus(listener: TransportStatusListener): () => void;
  /** True when `publish` would take bytes now (what a batched message's `publish` answers). */
  writable(): boolean;
  /** Drains and closes. */
  close(): Promise<void>;
}
