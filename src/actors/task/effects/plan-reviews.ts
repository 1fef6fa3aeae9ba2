/**
 * Posting a plan and listening for its reviews: a `plan_proposal` goes to the task's HMMM
 * channel and to the meta-discussion channel (where advisors listen), and every `plan_review`
 * naming it from another agent is collected until the review window ends on the injected
 * clock (one per reviewer; the first counts). A stopped effect (lease lost, shutdown) stops
 * listening at once.
 */
import { MAX_OUTCOME_REVIEWS } from '../../../protocol/thread-node.js';
import { planReviewSchema, type PlanProposal, type PlanReview } from '../../../protocol/index.js';
import { encodeTaskKeyToken } from '../../../protocol/task-key.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { MailboxMessage } from '../../message.js';
import type { TaskDeps } from '../deps.js';

let nextInbox = 1;

/** A review of proposal `id` by another agent, or undefined for any other message. */
function reviewOf(message: MailboxMessage, id: string, self: string): PlanReview | undefined {
  if (message.type !== 'plan_review') return undefined;
  const parsed = planReviewSchema.safeParse(message.data);
  if (!parsed.success || parsed.data.proposal !== id || parsed.data.agent === self) return undefined;
  return parsed.data;
}

/** Who wrote a review: its agent name on its node. */
export function reviewerOf(review: PlanReview): string {
  return review.agent ?? review.node;
}

/** Publishes `proposal` and resolves with the reviews that came within `windowMs`. */
export function collectReviews(
  deps: TaskDeps,
  proposal: PlanProposal,
  windowMs: number,
  signal: AbortSignal,
): Promise<PlanReview[]> {
  const { system, clock } = deps;
  const inbox = `plan/${encodeTaskKeyToken(proposal.task)}-${nextInbox++}`;
  const topic = TOPICS.task(proposal.task);
  const reviews = new Map<string, PlanReview>();
  if (signal.aborted) return Promise.resolve([]);
  return new Promise((resolve) => {
    const finish = (): void => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      system.unsubscribe(topic, inbox);
      system.unregister(inbox);
      resolve([...reviews.values()]);
    };
    const timer = clock.setTimeout(finish, windowMs);
    signal.addEventListener('abort', finish, { once: true });
    system.register(inbox, (message) => {
      const review = reviewOf(message, proposal.id, deps.agent);
      if (review === undefined || reviews.size >= MAX_OUTCOME_REVIEWS) return;
      const reviewer = `${review.node}/${reviewerOf(review)}`;
      if (!reviews.has(reviewer)) reviews.set(reviewer, review);
    });
    system.subscribe(topic, inbox);
    const message = { type: 'plan_proposal', data: proposal };
    system.publish(topic, message);
    system.publish(TOPICS.hmmm, message);
  });
}
