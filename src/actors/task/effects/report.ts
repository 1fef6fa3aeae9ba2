/**
 * Reporting an outcome: to the forge (fenced), to WHOOSH when it listed the task, and, once
 * done, as `task_complete` on the coordination topic. A failure another attempt could fix is
 * not reported: the task stays open for the next poll.
 */
import { fromPromise } from 'xstate';
import type { TaskError, TaskPullRequest } from '../../../machines/task.js';
import type { TaskComplete } from '../../../protocol/messages/tasks.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { TaskEnv } from './env.js';

/** The outcome on the forge (fenced) and on WHOOSH, when it listed the task. */
export async function reportOutcome(
  { key, deps, resources }: TaskEnv,
  outcome: 'done' | 'escalated' | 'failed',
  summary: string,
  pr: { number: number } | null,
  results: Record<string, unknown>,
): Promise<void> {
  await deps.forge.reportComplete(key, {
    agent: deps.agent,
    summary,
    pr: pr?.number ?? null,
    outcome,
    ...resources.fenced(),
  });
  await deps.whoosh?.status(key, outcome === 'done' ? 'completed' : outcome, results);
}

export function report(env: TaskEnv) {
  const { key, deps, resources } = env;
  return fromPromise<void, { summary: string; pr: TaskPullRequest | null; branch: string | null }>(
    async ({ input }) => {
      // the work is published: its workspace goes while the outcome is reported
      const released = resources.releaseWorkspace();
      await reportOutcome(env, 'done', input.summary, input.pr, {
        pr: input.pr?.url ?? null,
        summary: input.summary,
      });
      resources.reported = 'done';
      await released;
      const data: TaskComplete = {
        agent: deps.agent,
        ...(input.branch === null ? {} : { branch: input.branch }),
        node: deps.node,
        outcome: 'done',
        ...(input.pr === null ? {} : { pullRequest: input.pr.url }),
        summary: input.summary,
        task: key,
      };
      deps.system.publish(TOPICS.coordination, { type: 'task_complete', data });
    },
  );
}

export function reportFailure(env: TaskEnv) {
  return fromPromise<void, { reason: string; lastError: TaskError | null }>(async ({ input }) => {
    if (input.lastError !== null && input.lastError.retryable) return;
    await reportOutcome(env, 'failed', `failed: ${input.reason}`, null, { reason: input.reason });
  });
}
