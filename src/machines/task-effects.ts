/**
 * The names of the task machine's effects, each with the input it takes and the output it
 * gives (a placeholder that throws until the effect is provided), and the small helpers the
 * machine's states share.
 */
import { fromCallback, fromPromise } from 'xstate';
import type {
  ClaimedIssue,
  PlanReviewResult,
  PreparedWorkspace,
  StepDecision,
  TaskContext,
  TaskError,
  TaskFacts,
  TaskHistoryEntry,
  TaskPullRequest,
} from './task-types.js';

const notProvided = (name: string) => () => {
  throw new Error(`task effect "${name}" was not provided`);
};

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** True for the forge's `TaskFinishedError`: a claim marker refused, the task got its outcome meanwhile. */
export function finishedMeanwhile(error: unknown): boolean {
  return error instanceof Error && error.name === 'TaskFinishedError';
}

/** What the context keeps of a failed effect's error (a `retryable: false` says retrying cannot help). */
export function taskError(error: unknown): TaskError {
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
    retryable: (error as { retryable?: unknown } | null)?.retryable !== false,
  };
}

export function facts(context: TaskContext): TaskFacts {
  const { key, title, body, labels, files, network } = context;
  return { key, title, body, labels, base: context.base ?? 'main', files, network };
}

/** The text a decision of `kind` carries (its summary or reason), or null for another kind. */
export function decided(decision: StepDecision, kind: 'done' | 'escalate' | 'fail'): string | null {
  if (decision.kind !== kind) return null;
  return decision.kind === 'done' ? decision.summary : 'reason' in decision ? decision.reason : null;
}

/**
 * A command's history entry with the model's tool call id and reasoning of the decision it
 * ran, so the next prompts answer that call and show the model its earlier thoughts.
 */
export function withModelContext(context: TaskContext, entry: TaskHistoryEntry): TaskHistoryEntry {
  const decision = context.decision;
  if (entry.kind !== 'command' || decision?.kind !== 'command') return entry;
  return {
    ...entry,
    ...(decision.toolCallId === undefined ? {} : { toolCallId: decision.toolCallId }),
    ...(decision.reasoning === undefined ? {} : { reasoning: decision.reasoning }),
  };
}

export function question(context: TaskContext): string {
  return context.decision?.kind === 'help' ? context.decision.question : '';
}

export function finalState(outcome: 'done' | 'escalated' | 'failed' | 'skipped') {
  return {
    type: 'final' as const,
    entry: [
      { type: 'finish' as const, params: { outcome } },
      { type: 'progress' as const, params: { state: outcome } },
    ],
  };
}

/** The outcomes a releasing state ends in (`skipped`: the task was found finished once claimed). */
export type ReleasedOutcome = 'done' | 'escalated' | 'failed' | 'skipped';

/** A state that releases what the task holds, then ends in `target` (the outcome it tells the cleanup). */
export function releasing(target: `#task.${ReleasedOutcome}`, reason: (context: TaskContext) => string) {
  const outcome = target.slice('#task.'.length) as ReleasedOutcome;
  return {
    on: { 'bzzz.stop': { actions: 'stopRequested' as const } },
    invoke: {
      src: 'cleanup' as const,
      input: ({ context }: { context: TaskContext }) => ({
        release: true,
        reason: reason(context),
        outcome,
      }),
      onDone: target,
      onError: target,
    },
  };
}

export const failing = { target: '#task.active.failing', actions: 'recordError' } as const;

/** The effects of the task machine, by name. */
export const taskEffects = {
  /** Wins the lease: resolves with its fencing token, or null when another agent holds it. */
  claimLease: fromPromise<number | null, { key: string }>(notProvided('claimLease')),
  /** Renews the lease while it runs; sends `lease.lost` when renewal fails. */
  renewLease: fromCallback<{ type: 'lease.lost'; reason: string }>(() => undefined),
  /** Reads the issue and tells the forge (advice for humans), after the lease is won. */
  markClaimed: fromPromise<ClaimedIssue, { token: number }>(notProvided('markClaimed')),
  /** Creates the sandbox and the clone on the task's branch. */
  prepare: fromPromise<PreparedWorkspace>(notProvided('prepare')),
  /**
   * Posts the agent's plan on the task's HMMM channel and collects its peers' reviews for the
   * review window. Not provided: the agent goes on alone.
   */
  reviewPlan: fromPromise<PlanReviewResult, { task: TaskFacts }>(() =>
    Promise.resolve({ outcome: 'alone', reviews: [], reason: null }),
  ),
  /** The next step from the reasoner. */
  reason: fromPromise<StepDecision, { task: TaskFacts; history: TaskHistoryEntry[]; steps: number }>(
    notProvided('reason'),
  ),
  /** Runs one command (step number `step`) in the sandbox. */
  execute: fromPromise<TaskHistoryEntry, { command: string; step: number }>(notProvided('execute')),
  /** Asks other agents (HMMM); resolves with advice, or null when none came in time. */
  askHelp: fromPromise<{ from: string; text: string } | null, { question: string; task: TaskFacts }>(
    notProvided('askHelp'),
  ),
  /** Commit, push the task's branch, open or find the pull request. */
  publish: fromPromise<{ pr: TaskPullRequest | null }, { summary: string; task: TaskFacts }>(
    notProvided('publish'),
  ),
  /** Completion on the forge, WHOOSH and `task_complete`. */
  report: fromPromise<void, { summary: string; pr: TaskPullRequest | null; branch: string | null }>(
    notProvided('report'),
  ),
  /** The escalation webhook and the forge's `escalated` mark. */
  escalate: fromPromise<void, { reason: string; history: TaskHistoryEntry[]; task: TaskFacts }>(
    notProvided('escalate'),
  ),
  /** The forge's `failed` mark, fenced (not when the last error says another attempt could help). */
  reportFailure: fromPromise<void, { reason: string; lastError: TaskError | null }>(
    notProvided('reportFailure'),
  ),
  /**
   * Destroys the sandbox and releases the lease (when still held) with the reason; `outcome`
   * says how the task ended when a releasing state asks (none: stopping, or lost).
   */
  cleanup: fromPromise<void, { release: boolean; reason: string; outcome?: ReleasedOutcome }>(
    notProvided('cleanup'),
  ),
};
