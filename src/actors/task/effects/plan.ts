/**
 * Planning (the original's "agent proposes plan → other agents review → feedback; stuck →
 * escalate"): after preparing, the agent's reasoner writes its plan (a scripted task's plan is
 * its steps), the plan is posted for the review window (`BZZZ_PLAN_REVIEW_MS`), and the
 * reviews decide how the agent goes on:
 * - none in time: `alone`;
 * - approvals only: `approved`;
 * - one suggestion, or several its reasoner merges into one instruction: `suggestions_taken`
 *   (the suggestion joins the reasoner's history);
 * - several it cannot reconcile: `escalated`, naming them.
 * The proposal, each review (written by its reviewer, adopted here) and the outcome are nodes
 * of the task's thread. A window of 0 turns review off: nothing is posted, and a model is not
 * asked for a plan (a scripted task's steps are still recorded as its plan).
 */
import { fromPromise } from 'xstate';
import type { ReasonerTask, Suggestion } from '../../../adapters/llm/index.js';
import { describeError } from '../../../lib/errors.js';
import type { PlanReviewResult, TaskFacts, TaskHistoryEntry } from '../../../machines/task.js';
import { newUlid } from '../../../protocol/ids.js';
import { MAX_TEXT } from '../../../protocol/limits.js';
import type { PlanReview } from '../../../protocol/index.js';
import type { PlanOutcome, ReviewSummary } from '../../../protocol/thread-node.js';
import type { TaskDeps } from '../deps.js';
import type { TaskEnv } from './env.js';
import { collectReviews, reviewerOf } from './plan-reviews.js';
import { adoptNode, recordNode } from './thread.js';

/** How an escalation over suggestions that cannot be reconciled begins. */
export const PLAN_DISPUTE = 'plan reviews cannot be reconciled';

function reasonerTask(task: TaskFacts): ReasonerTask {
  const { key, title, body, files, network } = task;
  return { key, title, body, files, ...(network === null ? {} : { network }) };
}

function summary(review: PlanReview): ReviewSummary {
  return { from: reviewerOf(review), reason: review.reason, verdict: review.verdict };
}

/** The result, once its outcome node is in the thread. */
async function outcome(
  deps: TaskDeps,
  key: string,
  result: PlanReviewResult,
  proposal: string | undefined,
  reviews: readonly PlanReview[],
): Promise<PlanReviewResult> {
  await recordNode(deps, key, 'plan_outcome', {
    ...(result.reason === null ? {} : { detail: result.reason.slice(0, MAX_TEXT) }),
    outcome: result.outcome,
    ...(proposal === undefined ? {} : { proposal }),
    reviews: reviews.map(summary),
  });
  deps.logger.info({ task: key, outcome: result.outcome, reviews: reviews.length }, 'plan review ended');
  return result;
}

/** What the reviews make of the plan. */
async function decide(
  deps: TaskDeps,
  task: TaskFacts,
  plan: string,
  reviews: readonly PlanReview[],
): Promise<PlanReviewResult> {
  const result = (o: PlanOutcome, entries: TaskHistoryEntry[] = [], reason: string | null = null) => ({
    outcome: o,
    reviews: entries,
    reason,
  });
  if (reviews.length === 0) return result('alone');
  const suggestions: Suggestion[] = reviews
    .filter((r) => r.verdict === 'suggest')
    .map((r) => ({ from: reviewerOf(r), text: r.reason }));
  const [first] = suggestions;
  if (first === undefined) return result('approved');
  if (suggestions.length === 1) return result('suggestions_taken', [{ kind: 'review', ...first, plan }]);
  let merged: string | null;
  try {
    merged = await deps.reasoner.reconcile({ task: reasonerTask(task), plan, suggestions });
  } catch (error) {
    deps.logger.warn({ task: task.key, err: describeError(error) }, 'suggestions not reconciled');
    merged = null;
  }
  if (merged !== null) {
    const from = suggestions.map((s) => s.from).join(', ');
    return result('suggestions_taken', [{ kind: 'review', from, text: merged, plan }]);
  }
  const named = suggestions.map((s) => `${s.from} suggests ${JSON.stringify(s.text)}`).join('; ');
  return result('escalated', [], `${PLAN_DISPUTE}: ${named}`);
}

/** Writes, posts and has the plan reviewed; never throws (planning is advice). */
async function reviewTaskPlan(env: TaskEnv, task: TaskFacts, signal: AbortSignal): Promise<PlanReviewResult> {
  const { deps, key } = env;
  const windowMs = deps.planReviewMs ?? 0;
  const alone: PlanReviewResult = { outcome: 'alone', reviews: [], reason: null };
  if (windowMs === 0 && deps.reasoner.backend !== 'scripted') return alone;
  let plan: string;
  try {
    plan = (await deps.reasoner.plan({ task: reasonerTask(task), signal })).slice(0, MAX_TEXT);
  } catch (error) {
    deps.logger.warn({ task: key, err: describeError(error) }, 'no plan written: working alone');
    return alone;
  }
  const id = newUlid(deps.clock.now());
  const thread = await recordNode(deps, key, 'plan_proposal', { plan, proposal: id });
  if (windowMs === 0) return outcome(deps, key, alone, id, []);
  const reviews = await collectReviews(
    deps,
    {
      agent: deps.agent,
      id,
      labels: task.labels,
      node: deps.node,
      plan,
      reviewMs: windowMs,
      task: key,
      ...(thread === undefined ? {} : { thread }),
      title: task.title,
    },
    windowMs,
    signal,
  );
  for (const review of reviews) await adoptNode(deps, key, review.thread);
  return outcome(deps, key, await decide(deps, task, plan, reviews), id, reviews);
}

export function reviewPlan(env: TaskEnv) {
  return fromPromise<PlanReviewResult, { task: TaskFacts }>(({ input, signal }) =>
    reviewTaskPlan(env, input.task, signal),
  );
}
