/**
 * The types of the task machine (src/machines/task.ts): its input, context, events, output,
 * and what its effects take and give. The lifecycle states are protocol's (SPEC §8); the
 * machine adds only the outcomes of an actor that never held the task (`skipped`) or was
 * stopped (`stopped`).
 */
import type { HistoryEntry } from '../protocol/history.js';
import type { PlanOutcome } from '../protocol/thread-node.js';
import type { TaskOutcome, TaskState as LifecycleState } from '../protocol/fields.js';

/** A state the task machine reports: the lifecycle of SPEC §8, or `skipped` (another agent holds the claim). */
export type TaskState = LifecycleState | 'skipped';

/** How one task actor ended. */
export type TaskEnd = TaskOutcome | 'skipped' | 'stopped';

export interface TaskInput {
  key: string;
  title: string;
  body: string;
  labels: string[];
  /** `OWNER/NAME` */
  repo: string;
  /** This agent's name (shown on the forge). */
  agent: string;
}

/** One thing that happened while working, for the reasoner (the protocol's `HistoryEntry`). */
export type TaskHistoryEntry = HistoryEntry;

/** What the reasoning step decided, as the task machine sees it. */
export type StepDecision =
  | { kind: 'command'; command: string; toolCallId?: string; reasoning?: string }
  | { kind: 'done'; summary: string }
  | { kind: 'help'; question: string }
  | { kind: 'escalate'; reason: string }
  | { kind: 'fail'; reason: string };

/** A pull request, as the task records it. */
export interface TaskPullRequest {
  number: number;
  url: string;
}

/** The issue as the forge shows it once the lease is won (the announcement may be stale). */
export interface ClaimedIssue {
  title: string;
  body: string;
  labels: string[];
}

/** Where the task's work happens, once prepared. */
export interface PreparedWorkspace {
  /** The task's branch. */
  branch: string;
  /** The default branch the task's branch started from. */
  base: string;
  /** The clone's top-level entries, for the model. */
  files: string[];
  /** Whether the sandbox reaches the network, for the model. */
  network: boolean;
}

/** How the review of the agent's plan by its peers ended (the `planning` state). */
export interface PlanReviewResult {
  outcome: PlanOutcome;
  /** The peers' suggestions the agent takes: they join the reasoner's history. */
  reviews: TaskHistoryEntry[];
  /** Why the task escalates (`escalated`: suggestions that cannot be reconciled). */
  reason: string | null;
}

/** The last effect that failed: whether another attempt could help decides what is reported. */
export interface TaskError {
  name: string;
  message: string;
  retryable: boolean;
}

export interface TaskContext extends TaskInput {
  token: number | null;
  history: TaskHistoryEntry[];
  /** Commands run so far. */
  steps: number;
  decision: StepDecision | null;
  branch: string | null;
  base: string | null;
  /** The workspace's top-level entries and network, once prepared (the model is told). */
  files: string[];
  network: boolean | null;
  pr: TaskPullRequest | null;
  summary: string | null;
  reason: string | null;
  lastError: TaskError | null;
  outcome: TaskEnd | null;
}

export type TaskEvent = { type: 'lease.lost'; reason: string } | { type: 'bzzz.stop' };

export interface TaskOutput {
  state: TaskEnd;
  pr: TaskPullRequest | null;
  reason: string | null;
}

/** What the effects that act on the task's own work read from the context. */
export interface TaskFacts {
  key: string;
  title: string;
  body: string;
  labels: string[];
  base: string;
  files: string[];
  network: boolean | null;
}
