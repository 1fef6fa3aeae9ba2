/** The types of the workspace port (see `index.ts`). */
import type { Forge } from '../forge/index.js';
import type { Sandbox, SandboxSpec } from '../sandbox/index.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { TaskKey } from '../../protocol/task-key.js';

/** Creates the sandbox a task works in. */
export interface SandboxProvider {
  /** `docker`, `bwrap`, or `plain` (no isolation: scripted local tasks only). */
  readonly name: string;
  create(spec: SandboxSpec): Promise<Sandbox>;
}

/** A task's clone in its sandbox; whoever holds it destroys it. */
export interface Workspace {
  readonly sandbox: Sandbox;
  /** The host directory holding the clone. */
  readonly scratch: string;
  /** The task's branch. */
  readonly branch: string;
  /** The default branch the task's branch started from. */
  readonly base: string;
  /** True when the task's branch existed (a re-run continues from it). */
  readonly resumed: boolean;
  /** True when it was made ready ahead of the task. */
  readonly warm: boolean;
  /** The clone's top-level entries (`.git` aside), sorted: what the model is told it finds. */
  readonly files: readonly string[];
  /** Whether commands in the sandbox reach the network (a task's sandbox has none). */
  readonly network: boolean;
}

/** What to commit: the message and who the commit is by. */
export interface CommitOptions {
  key: TaskKey;
  message: string;
  /** The agent's name (the commit's author). */
  agent: string;
  /** The default branch the task's branch started from. */
  base: string;
}

export interface Workspaces {
  /** A workspace for the task: a warm one when one fits, else a fresh clone and sandbox. */
  prepare(key: TaskKey): Promise<Workspace>;
  /** Commits every change inside the sandbox; resolves with the commits ahead of `base`. */
  commit(workspace: Pick<Workspace, 'sandbox'>, options: CommitOptions): Promise<{ ahead: number }>;
  /** Destroys the sandbox, then removes the clone. Never throws. */
  destroy(workspace: Pick<Workspace, 'sandbox' | 'scratch'>): Promise<void>;
  /** Resolves once no workspace is being made ahead of tasks (tests, benchmarks). */
  settled(): Promise<void>;
  start(): Promise<void>;
  /** Destroys every workspace made or being made ahead of tasks; safe twice. */
  stop(): Promise<void>;
}

export interface WorkspacesInit {
  /** Host directory for clones. */
  scratchDir: string;
  /** Workspaces kept ready per repository (0: none). */
  warm?: number;
  /** A warm workspace older than this is not handed out (default 10 minutes). */
  warmMaxAgeMs?: number;
}

export interface WorkspacesComponents {
  forge: Forge;
  sandboxes: SandboxProvider;
  clock: Clock;
  logger: Logger;
}
