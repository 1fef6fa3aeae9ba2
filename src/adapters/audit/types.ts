/**
 * The audit log port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { AuditKind, SignedAuditHead } from '../../protocol/audit.js';
import type { JsonValue } from '../../protocol/fields.js';
import type { ContentStore } from '../cas/index.js';

/** What a caller records; the log adds `seq`, `prev`, `node`, `at` and the signature. */
export interface AuditInput {
  kind: AuditKind;
  /** The task key, or null for an entry about no task. */
  task: string | null;
  /** The lease's fencing token the event happened under, or null. */
  token: number | null;
  data: Record<string, JsonValue>;
}

/** An entry once its head moved past it: durable, signed, in the chain. */
export interface AppendedEntry {
  seq: number;
  /** BLAKE3-256 of the entry's blob. */
  hash: string;
  at: string;
}

/** Records an entry without waiting; a failure is logged and counted, never thrown. */
export type AuditRecorder = (input: AuditInput) => void;

/** `ok`, or `failed` when the files on disk are no chain this node can continue. */
export interface AuditHealth {
  status: 'ok' | 'failed';
  detail?: string;
}

/** A node's signed, hash-chained audit log. */
export interface AuditLog {
  readonly nodeId: string;
  /** Recovers the chain from the files (head, then journal); safe to call twice. */
  start(): Promise<void>;
  /** Commits every queued append, then closes the files. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Appends an entry. Appends are serialized in call order and committed in batches: the
   * promise resolves once the entry is durable and the signed head covers it.
   */
  append(input: AuditInput): Promise<AppendedEntry>;
  /** The signed head, undefined while the chain is empty. */
  head(): SignedAuditHead | undefined;
  /** The blob hash of entry `seq`, undefined when the chain has no such entry. */
  hashAt(seq: number): Promise<string | undefined>;
  /** Told of each new head; returns the unsubscribe function. */
  subscribe(listener: (head: SignedAuditHead) => void): () => void;
  health(): AuditHealth;
}

/** Counters the node keeps on /metrics; every method optional. */
export interface AuditMetrics {
  appended?(kind: AuditKind): void;
  appendFailed?(): void;
  /** An entry copied into the content store (`ok`) or a copy that failed (retried). */
  published?(outcome: 'ok' | 'failed'): void;
  /** A head that conflicts with one witnessed before. */
  forked?(): void;
}

export interface AuditInit {
  /** Files live under `<dataDir>/audit/`. */
  dataDir: string;
  /** This node's id; entries and heads carry it and are signed with its key. */
  nodeId: string;
  /** Most appends committed together (default 1024). */
  maxBatch?: number;
  /** Entries copied into the content store at once (default 4). */
  publishConcurrency?: number;
}

export interface AuditComponents {
  /** Where every entry's blob goes, pinned (the CAS replicator copies it to other nodes). */
  store: ContentStore;
  /** The node's key, the one its id names. */
  privateKey: KeyObject;
  clock: Clock;
  logger: Logger;
  metrics?: AuditMetrics;
}
