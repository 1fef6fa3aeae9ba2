/**
 * The port of a task's semantic names (issue 16): which node-signed name records answer
 * `bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>`, and what a task's result tree
 * manifest holds. The recorder publishes them; the resolver, the MCP server and `bzzz resolve`
 * look them up.
 */
import type { NodeId } from '../../protocol/node-id.js';

/** What a task's name records point at, besides the files of its result tree. */
export type TaskArtifactPath = 'log' | 'diff' | 'thread' | 'pr' | 'audit' | 'tree';

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
export interface TreeManifest {
  v: 1;
  /** Paths relative to the clone's root, `/`-separated, regular files only. */
  files: Record<string, { hash: string; size: number; mode: number }>;
}

/** Fetches a blob from a live holder, verified; undefined when none has it. */
export type BlobFetcher = (hash: string) => Promise<Uint8Array | undefined>;
