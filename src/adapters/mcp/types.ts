/**
 * The MCP port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 *
 * The MCP server knows the cluster only through {@link McpBackend}: plain functions the node
 * provides (its read model, forge, claim store and HMMM help desk), and the optional hooks of
 * issue 16 (`resolve`, `readName`, `onAnswer`) that the integrator connects.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';

/** What a client may do: read-only clients see no write tool. */
export type Access = 'read-write' | 'read-only';

/** The node's status document (SPEC §4 `bzzz status --json`). */
export interface ClusterStatus {
  cluster: string;
  self: { id: string; name: string };
  leader: { node: string; term: number } | null;
  nodes: { id: string; name: string; state: string; capabilities: string[]; tasks: number }[];
  tasks: { key: string; state: string; holder: string | null }[];
}

/** One task as the cluster's read model sees it. */
export interface TaskRow {
  key: string;
  state: string;
  holder: string | null;
  branch: string | null;
  pr: string | null;
  reason: string | null;
  /** When the read model last heard of it (RFC 3339). */
  updated_at: string;
}

/** One task in full: the forge's issue and record, the live state and the lease. */
export interface TaskDetail {
  key: string;
  repo: string;
  title: string;
  body: string;
  labels: string[];
  url: string;
  /** The state the forge's record says. */
  state: string;
  holder: string | null;
  branch: string | null;
  prs: { number: number; url: string; state: string }[];
  /** What the read model saw last, or null when no agent reported on it. */
  live: TaskRow | null;
  /** The live claim, or null when nobody holds it. */
  lease: { holder: string; token: number; expires_at: string } | null;
}

/** An open HMMM help request: an agent waits for an answer until `expires_at`. */
export interface HelpRequestRow {
  id: string;
  task: string;
  agent: string | null;
  node: string;
  question: string;
  context: string | null;
  title: string | null;
  seen_at: string;
  expires_at: string;
}

/** Input of `create_task`. */
export interface NewTaskInput {
  title: string;
  body?: string;
  repo?: string;
  labels?: string[];
}

/** What `release_task` did. */
export interface ReleaseResult {
  key: string;
  /** False when nobody held a live lease (nothing to release). */
  released: boolean;
  holder: string | null;
  token: number | null;
}

/** A bzzz:// name's content, as `resources/read` returns it. */
export interface NameContent {
  mimeType: string;
  text: string;
}

/** An answer a person gives to a help request. */
export interface HelpAnswer {
  task: string;
  request: string;
  answer: string;
  /** The person's name (the `agent` of the `task_help_response`). */
  agent: string;
}

/** What the MCP server reads and does; the node provides it. */
export interface McpBackend {
  /** The forge part of the node's task keys (`local`, `github`): names map to keys with it. */
  readonly forge: string;
  status(): ClusterStatus;
  /** Every task of the read model. */
  tasks(): TaskRow[];
  /** One task in full; undefined when the forge has no such task. */
  task(key: string): Promise<TaskDetail | undefined>;
  /** Opens an issue with the task label; absent on a forge that cannot. */
  createTask?(input: NewTaskInput): Promise<{ key: string }>;
  /** Revokes the live lease on a task: its holder's next check fails and it stops. */
  releaseTask(key: string, reason: string): Promise<ReleaseResult>;
  /** The open help requests, oldest first. */
  helpRequests(): HelpRequestRow[];
  /** Publishes a person's answer; throws a `HelpRequestNotOpenError` when it is not open. */
  answerHelp(answer: HelpAnswer): Promise<void>;
  /** Listens to task changes (any progress); returns the unsubscribe function. */
  onTaskChange(listener: (key: string) => void): () => void;
  /** Resolves a bzzz:// address (issue 16's resolver); absent: the `resolve` tool says so. */
  resolve?(address: string): Promise<unknown>;
  /** Reads a bzzz:// name (issue 16's names); absent: resources cannot be read. */
  readName?(uri: string): Promise<NameContent | undefined>;
}

/** User options of the MCP server. */
export interface McpInit {
  /** 0 picks a free port. */
  port: number;
  /** Where to listen with a token file; without one the server binds to 127.0.0.1 whatever this says. */
  host?: string;
  /** A file holding the read-write bearer token. */
  tokenFile?: string;
  /** A file holding the read-only bearer token. */
  readOnlyTokenFile?: string;
  /** Most sessions open at once (default 64). */
  maxSessions?: number;
  /** A session without a request or an open stream for this long is closed (default 30 min). */
  sessionIdleMs?: number;
  /** Largest request body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface McpComponents {
  backend: McpBackend;
  logger: Logger;
  clock: Clock;
}

/** A listening MCP server. */
export interface McpHttpServer {
  readonly port: number;
  /** The endpoint, `http://host:port/mcp`. */
  readonly url: string;
  /** Sessions open now. */
  sessions(): number;
  onFailure(listener: (error: Error) => void): void;
  stop(): Promise<void>;
  kill(): void;
}
