/**
 * Per-task limits around any reasoner (SPEC §10): step limit, wall-time limit, token budget,
 * cost budget (per model, prices per 1k tokens), and "the same command failing the same way
 * three times escalates instead of looping". A limit reached throws a named error the task
 * machine turns into escalation: {@link BudgetExceededError} or {@link RepeatedFailureError}.
 * One guard per task; it keeps the task's running totals.
 */
import type { Clock } from '../../lib/clock.js';
import { BudgetExceededError, RepeatedFailureError } from './errors.js';
import type {
  HistoryEntry,
  NextStepInput,
  PlanInput,
  Reasoner,
  ReasonerComponents,
  ReasonerStep,
  ReconcileInput,
  ReviewInput,
  ReviewResult,
} from './types.js';

/** Price of a model, in a currency of your choice (USD by convention), per 1000 tokens. */
export interface ModelPrice {
  inputPer1k: number;
  outputPer1k: number;
}

export interface GuardLimits {
  /** Commands a task may run (default 50). A `done` or `help` is always let through. */
  maxSteps?: number;
  /** Wall time from the task's start (default 30 min); an in-flight call is aborted at the limit. */
  wallTimeMs?: number;
  /** Input plus output tokens over the task (default: no limit). */
  maxTokens?: number;
  /** Cost over the task, from `prices` (default: no limit). */
  maxCost?: number;
  /** Prices by model name; a model without a price costs nothing (a local model). */
  prices?: Record<string, ModelPrice>;
  /** The same command failing the same way this many times escalates (default 3). */
  repeatedFailureLimit?: number;
  /** When the task started (a restarted task keeps its original start); default: now. */
  startedAt?: number;
}

/** What a task has spent so far. */
export interface Spending {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  elapsedMs: number;
}

/** A reasoner that enforces a task's limits, and reports what was spent. */
export interface GuardedReasoner extends Reasoner {
  spent(): Spending;
}

/** Wraps `inner` with the limits of one task. */
export function createReasonerGuard(
  inner: Reasoner,
  limits: GuardLimits,
  components: Pick<ReasonerComponents, 'clock'>,
): GuardedReasoner {
  return new ReasonerGuard(inner, limits, components.clock);
}

class ReasonerGuard implements GuardedReasoner {
  readonly backend: Reasoner['backend'];
  readonly model: string;
  readonly #startedAt: number;
  #calls = 0;
  #inputTokens = 0;
  #outputTokens = 0;
  #cost = 0;

  constructor(
    private readonly inner: Reasoner,
    private readonly limits: GuardLimits,
    private readonly clock: Clock,
  ) {
    this.backend = inner.backend;
    this.model = inner.model;
    this.#startedAt = limits.startedAt ?? clock.now();
  }

  spent(): Spending {
    return {
      calls: this.#calls,
      inputTokens: this.#inputTokens,
      outputTokens: this.#outputTokens,
      cost: this.#cost,
      elapsedMs: this.clock.now() - this.#startedAt,
    };
  }

  async next(input: NextStepInput): Promise<ReasonerStep> {
    checkRepeatedFailure(input.history, this.limits.repeatedFailureLimit ?? 3);
    const wallTimeMs = this.limits.wallTimeMs ?? 30 * 60_000;
    const elapsed = this.clock.now() - this.#startedAt;
    if (elapsed >= wallTimeMs) throw new BudgetExceededError('wall-time', elapsed, wallTimeMs);
    this.#checkSpending();

    const controller = new AbortController();
    const signal =
      input.signal === undefined ? controller.signal : AbortSignal.any([input.signal, controller.signal]);
    let onLimit: (error: Error) => void = () => undefined;
    const limitHit = new Promise<never>((_, reject) => (onLimit = reject));
    const timer = this.clock.setTimeout(() => {
      const error = new BudgetExceededError('wall-time', this.clock.now() - this.#startedAt, wallTimeMs);
      controller.abort(error);
      onLimit(error);
    }, wallTimeMs - elapsed);
    let step: ReasonerStep;
    try {
      // Raced, so a backend that ignores its signal still cannot outlive the budget.
      step = await Promise.race([this.inner.next({ ...input, signal }), limitHit]);
    } finally {
      this.clock.clearTimeout(timer);
    }

    this.#calls += 1;
    this.#inputTokens += step.usage.inputTokens;
    this.#outputTokens += step.usage.outputTokens;
    const price = this.limits.prices?.[step.model];
    if (price !== undefined) {
      this.#cost +=
        (step.usage.inputTokens / 1000) * price.inputPer1k +
        (step.usage.outputTokens / 1000) * price.outputPer1k;
    }
    if (step.decision.kind === 'command') {
      const maxSteps = this.limits.maxSteps ?? 50;
      const ran = input.history.filter((entry) => entry.kind === 'command').length;
      if (ran >= maxSteps) throw new BudgetExceededError('steps', ran + 1, maxSteps);
      this.#checkSpending(true);
    }
    return step;
  }

  // Plan review (once per task, before its first step) is not a step: outside the budgets.
  plan(input: PlanInput): Promise<string> {
    return this.inner.plan(input);
  }

  review(input: ReviewInput): Promise<ReviewResult> {
    return this.inner.review(input);
  }

  reconcile(input: ReconcileInput): Promise<string | null> {
    return this.inner.reconcile(input);
  }

  /** Before a call: spent reaches the limit. After one: spent goes past it. */
  #checkSpending(after = false): void {
    const over = (used: number, max: number) => (after ? used > max : used >= max);
    const tokens = this.#inputTokens + this.#outputTokens;
    const { maxTokens, maxCost } = this.limits;
    if (maxTokens !== undefined && over(tokens, maxTokens))
      throw new BudgetExceededError('tokens', tokens, maxTokens);
    if (maxCost !== undefined && over(this.#cost, maxCost))
      throw new BudgetExceededError('cost', this.#cost, maxCost);
  }
}

/** Throws when one command failed with the same exit code and output `limit` times. */
function checkRepeatedFailure(history: readonly HistoryEntry[], limit: number): void {
  const counts = new Map<string, number>();
  for (const entry of history) {
    if (entry.kind !== 'command' || entry.exitCode === 0) continue;
    const signature = JSON.stringify([entry.command.trim(), entry.exitCode, entry.stdout, entry.stderr]);
    const count = (counts.get(signature) ?? 0) + 1;
    counts.set(signature, count);
    if (count >= limit) throw new RepeatedFailureError(entry.command, entry.exitCode, count);
  }
}
