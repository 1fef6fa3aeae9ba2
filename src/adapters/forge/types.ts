/**
 * The forge port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { TaskKey } from '../../protocol/task-key.js';
import type { FencedEffect, TaskOutcome, TaskState } from './names.js';
import type { PullRequest, PullRequestRef } from './pull-request.js';

export type { PullRequest, PullRequestRef } from './pull-request.js';

/** Awaited right before each external effect; throws (e.g. `LeaseLostError`) to stop it. */
export type Fence = () => Promise<void>;

/**
 * What every effect carries: the lease it is made under. The local forge refuses an effect
 * whose token is lower than the highest it accepted for the task (`StaleTokenError`); every
 * forge awaits `fence` right before the effect.
 */
export interface Fenced {
  /** The lease's fencing token (strictly increasing per task). */
  token: number;
  /** The lease's holder (the agent). */
  holder: string;
  fence: Fence;
}

/** One applied effect in a task's effect log, in the order the forge applied them. */
export interface EffectRecord {
  effect: FencedEffect;
  token: number;
  holder: string;
  /** ISO time the forge applied it. */
  at: string;
  /** The branch's new head, for pushes. */
  sha?: string;
}

/** The head of a task's branch when a lease was won: what a push under that lease expects. */
export interface BranchLease {
  /** The commit the branch pointed at, or null when it did not exist. */
  head: string | null;
}

/** A repository the forge serves. */
export interface ForgeRepo {
  /** `OWNER/NAME` */
  name: string;
  /** A URL to clone from, with no credential in it. */
  cloneUrl: string;
  defaultBranch: string;
}

/** An issue marked as a task. */
export interface ForgeTask {
  key: TaskKey;
  /** `OWNER/NAME` */
  repo: string;
  number: number;
  title: string;
  body: string;
  labels: string[];
  /** The issue's own state on the forge. */
  state: 'open' | 'closed';
  url: string;
}

/** One row of `bzzz task list --json`. */
export interface TaskRecord {
  key: TaskKey;
  title: string;
  state: TaskState;
  /** The agent named by the latest claim marker, or null. */
  holder: string | null;
  branch: string | null;
  /** The task's pull request (the open one, else the newest). */
  pr: PullRequestRef | null;
  /** Every pull request ever opened for the task: more than one would be a duplicate. */
  prs: PullRequestRef[];
  /** The effects the forge applied, in order, with their tokens (forges that keep a log). */
  effects?: EffectRecord[];
}

/** What `pushBranch` pushed. */
export interface PushResult {
  branch: string;
  commit: string;
}

/** A task to open (`createTask`): the repository is the forge's default when left out. */
export interface NewTaskInput {
  title: string;
  body?: string;
  repo?: string;
  labels?: string[];
}

export interface MarkClaimedOptions extends Fenced {
  /** The agent (node name or id) holding the lease, as shown on the forge. */
  agent: string;
}

export interface PushBranchOptions extends Fenced {
  key: TaskKey;
  /** Must lie under `bzzz/` (normally `taskBranch(key)`), else `ForbiddenBranchError`. */
  branch: string;
  /** A local git repository holding the work (the task's clone). It is only read. */
  from: string;
  /** The ref in `from` to push; `refs/heads/<branch>` by default. */
  sourceRef?: string;
  /**
   * The branch's head this push expects to replace (null: the branch must not exist), on
   * forges whose push is a compare-and-swap (GitHub: `--force-with-lease`); a mismatch is a
   * `StalePushError`. Undefined: no expectation (a forced push).
   */
  expectedHead?: string | null;
}

export interface OpenPullRequestOptions extends Fenced {
  key: TaskKey;
  branch: string;
  title: string;
  body: string;
}

export interface ReportCompleteOptions extends Fenced {
  agent: string;
  summary: string;
  /** The task's pull request number, when one was opened. */
  pr?: number | null;
  /** `done` by default. */
  outcome?: TaskOutcome;
}

/** Finds a pull request by task (its `bzzz/task-<n>` branch) or by repository and branch. */
export type PullRequestQuery = { key: TaskKey } | { repo: string; branch: string };

export interface Forge {
  /** `local` or `github`: the forge part of the task keys this forge issues. */
  readonly kind: 'local' | 'github';
  listRepos(): Promise<ForgeRepo[]>;
  /** A clone URL with no credential in it: safe to hand to a sandboxed command. */
  cloneUrl(repo: string): Promise<string>;
  /** Open tasks without an outcome, in every repository (or one). */
  listOpenTasks(repo?: string): Promise<ForgeTask[]>;
  getTask(key: TaskKey): Promise<ForgeTask>;
  /**
   * Opens an issue with the task label (`bzzz task add`, MCP `create_task`); a repository the
   * local forge does not know is created. Forges that cannot leave it out.
   */
  createTask?(input: NewTaskInput): Promise<TaskKey>;
  /** Rows for `bzzz task list`, open and finished tasks alike. */
  taskRecords(repo?: string): Promise<TaskRecord[]>;
  taskRecord(key: TaskKey): Promise<TaskRecord>;
  /** Assignee, `in-progress` label and a claim comment naming the agent. */
  markClaimed(key: TaskKey, options: MarkClaimedOptions): Promise<void>;
  /**
   * Pushes `branch`: a compare-and-swap against `expectedHead` when given, else forced (bzzz
   * owns its `bzzz/` branches); the token (local forge) and the fence keep stale holders out.
   */
  pushBranch(options: PushBranchOptions): Promise<PushResult>;
  findPullRequest(query: PullRequestQuery): Promise<PullRequest | null>;
  /** Every pull request ever opened from the task's branch, oldest first. */
  listPullRequests(key: TaskKey): Promise<PullRequest[]>;
  /** Returns the existing pull request of `branch` if there is one; never opens a second. */
  openPullRequest(options: OpenPullRequestOptions): Promise<{ pr: PullRequest; created: boolean }>;
  /** A completion comment and outcome label; closes the issue when done without a PR. */
  reportComplete(key: TaskKey, options: ReportCompleteOptions): Promise<void>;
  /**
   * The commit a branch of a repository points at, or `null` when there is no such branch.
   * Only forges that answer without a network round trip offer it; warm workspaces need it.
   */
  branchHead?(repo: string, branch: string): Promise<string | null>;
  /**
   * The task branch's head as seen now, read when a lease is won: the expectation of the
   * pushes made under that lease (`PushBranchOptions.expectedHead`).
   */
  branchLease(key: TaskKey): Promise<BranchLease>;
}

/** Injected into every forge. */
export interface ForgeComponents {
  logger: Logger;
  clock: Clock;
  /** Told of each effect refused for a stale token (the node counts them on /metrics). */
  onFencedRejection?(effect: FencedEffect): void;
}
