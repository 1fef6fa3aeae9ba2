/**
 * The node's HTTP port (SPEC §6): health, metrics and the JSON API. The server reads what it
 * serves from a {@link NodeView}; it holds no state of its own.
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

export { startHttpServer, HttpPortInUseError } from './server.js';
