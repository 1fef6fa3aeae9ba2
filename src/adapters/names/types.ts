/**
 * The port of a task's semantic names (issue 16): which node-signed name records answer
 * `bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>`, and what a task's result tree
 * manifest holds. The recorder publishes them; the resolver, the MCP server and `bzzz resolve`
 * look them up.
 */
import type { NameRecord, NameRecordProblem, NodeId, TaskArtifact } from '../../protocol/index.js';

/** What a task's name records point at, besides the files of its result tree. */
export type TaskArtifactPath = TaskArtifact;

/** One node-signed record that answers a semantic name (its signature already checked). */
export interface TaskNameMatch {
  /** The node that published and signed the record. */
  node: NodeId;
  /** That node's name (`BZZZ_NODE_NAME`). */
  nodeName: string;
  /** The agent that worked on the task. */
  agent: string;
  /** The capabilities of that agent's node. */
  roles: string[];
  /** The task key (`local:demo/calc#1`). */
  task: string;
  path: TaskArtifactPath;
  /** A BLAKE3 hex hash for blobs; the pull request's URL for `pr`. */
  value: string;
  /** The blob's size in bytes, when the value is a blob. */
  size?: number;
  /** The record's sequence number (higher: newer). */
  seq: number;
}

/** A semantic name's query: `*` matches any agent or role. */
export interface TaskNameQuery {
  agent: string;
  role: string;
  owner: string;
  repo: string;
  number: number;
  path: TaskArtifactPath;
}

export interface TaskNameIndex {
  /** Every record that answers the query, newest first. */
  lookup(query: TaskNameQuery): Promise<TaskNameMatch[]>;
}

/** The result tree's manifest (the blob the `tree` record names): file path → blob. */
export type { TreeManifest } from '../../protocol/index.js';

/** Fetches a blob from a live holder, verified; undefined when none has it. */
export type BlobFetcher = (hash: string) => Promise<Uint8Array | undefined>;

/** Where a record came from, for the rejection counter. */
export type TaskNameSource = 'table' | 'kv' | 'dht' | 'peer';

/** A record as some place handed it over, not checked yet: the index checks every one. */
export interface FoundNameRecord {
  /** The record's wire bytes (a `Uint8Array`), or the object a peer sent. */
  record: unknown;
  /** The node the place says the record belongs to (a KV key's node, a DHT provider). */
  node?: string;
}

/**
 * Where records travel between nodes: the NATS KV bucket `bzzz-<cluster>-names` or the DHT.
 * Nothing it returns is trusted: the index checks every record.
 */
export interface TaskNameNetwork {
  readonly source: 'kv' | 'dht';
  /** Publishes a record this node signed. */
  publish(record: NameRecord): Promise<void>;
  /** Every record of `artifact` of the task named `nameId` (`owner~repo:n`) it can find. */
  find(nameId: string, artifact: TaskArtifactPath, signal: AbortSignal): Promise<FoundNameRecord[]>;
}

/** One artifact to publish: a blob (its hash, and its size when known) or a URL (the pull request). */
export type TaskArtifactEntry =
  | { path: TaskArtifactPath; hash: string; size?: number | undefined }
  | { path: TaskArtifactPath; url: string };

/** Counters of the names parts (the node's /metrics); every method optional. */
export interface TaskNameMetrics {
  /** A record refused, by where it came from and why. */
  rejected?(source: TaskNameSource, reason: NameRecordProblem): void;
  /** A publication to a network that failed. */
  publishFailed?(network: 'kv' | 'dht'): void;
}
