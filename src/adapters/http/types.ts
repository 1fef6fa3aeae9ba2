/**
 * The http port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Logger } from '../../lib/log.js';

export interface ReadyState {
  ready: boolean;
  /** Why the node is not ready (empty when it is). */
  reasons: string[];
}

export interface HealthDocument {
  status: 'pass' | 'warn' | 'fail';
  ready: boolean;
  node: string;
  uptime_s: number;
  checks: unknown[];
}

/** What the HTTP server shows; every document is computed on request. */
export interface NodeView {
  ready(): ReadyState;
  health(): HealthDocument;
  checks(): unknown[];
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): unknown;
  peers(): unknown;
  tasks(): unknown;
  leader(): unknown;
  /** The libp2p node's peers; undefined when the node is not on libp2p. */
  p2pPeers(): Promise<unknown> | undefined;
  /**
   * A blob's replication state: undefined when the node replicates nothing (no medium), the
   * promise of undefined for a string that is not a blob hash.
   */
  casBlob(hash: string): Promise<{ size: number | null } | undefined> | undefined;
}

export interface HttpInit {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface HttpComponents {
  view: NodeView;
  logger: Logger;
}

export interface HttpServer {
  /** The port actually listened on. */
  readonly port: number;
  readonly url: string;
  onFailure(listener: (error: Error) => void): void;
  stop(): Promise<void>;
  kill(): void;
}
