/**
 * The task threads port's interface and its options, apart from the factory in index.ts so
 * that implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { BlobSource, ContentStore } from '../cas/index.js';
import type { ThreadAuthor, ThreadBody, ThreadNode, ThreadNodeKind } from '../../protocol/thread-node.js';

/** A node of a thread with its address. */
export interface ThreadEntry {
  hash: string;
  node: ThreadNode;
}

/** A node that could not be read while walking a thread, and why. */
export interface UnreadableNode {
  hash: string;
  reason: string;
}

/** A thread read back from a head: what could be read, and what could not. */
export interface ThreadHistory {
  /** The head the walk started from. */
  head: string;
  /** Oldest first: every node after all of its parents that were read. */
  nodes: ThreadEntry[];
  /** Nodes named as parents that this node does not hold and no replica gave. */
  missing: UnreadableNode[];
  /** Nodes whose bytes are corrupt, not a thread node, or of another task. */
  corrupt: UnreadableNode[];
  /** True when the walk stopped at its limit before reaching the thread's first node. */
  truncated: boolean;
}

export interface HistoryOptions {
  /** Most nodes read (default 100, at most 1000): the newest ones, walking back from the head. */
  limit?: number;
}

/**
 * The HMMM threads of the tasks this node takes part in: each node a pinned blob of the
 * content store, each task's current head(s) kept in memory.
 */
export interface TaskThreads {
  /**
   * Writes a node of `kind` after the task's current head(s) (all of them: concurrent heads
   * merge) and makes it the head. Appends to one task are serialised. Returns its hash.
   */
  append<K extends ThreadNodeKind>(
    task: string,
    kind: K,
    body: ThreadBody<K>,
    from: ThreadAuthor,
  ): Promise<string>;
  /**
   * The task's head: its newest node, or, while concurrent heads wait for a merge, the one
   * learnt last. Undefined when this node has no thread for the task.
   */
  head(task: string): string | undefined;
  /** Every current head of the task (several while a merge is due). */
  heads(task: string): readonly string[];
  /**
   * Takes a node another node wrote (a message carried its hash) into the task's thread: the
   * heads it descends from give way to it. A node not readable yet becomes a head beside the
   * others, so the next append links it. Never throws.
   */
  adopt(task: string, hash: string): Promise<void>;
  /** The thread from `head` back, oldest first; a missing or corrupt node is reported, never thrown. */
  history(head: string, options?: HistoryOptions): Promise<ThreadHistory>;
}

/** Fetches a blob this node does not hold from a replica (the CAS replicator's fetch). */
export type BlobFetch = (hash: string) => Promise<BlobSource | undefined>;

export interface ThreadsInit {
  /** Tasks whose heads are kept in memory, least recently used dropped first (default 10,000). */
  maxTasks?: number;
}

export interface ThreadsComponents {
  store: ContentStore;
  clock: Clock;
  logger: Logger;
  /** Where a node not held here is fetched from; without it such a node is reported missing. */
  fetchBlob?: BlobFetch;
}
