/**
 * The effects of the task machine, bound to the node's ports for one task and one actor
 * instance: one module per effect. Every external side effect (forge marker, push, pull
 * request, completion report, escalation) is fenced by the lease: `resources.fence` runs right
 * before it, so an agent that lost its lease stops without effects. Commands (including the
 * commit) run only inside the sandbox.
 */
import { fromPromise } from 'xstate';
import { taskMachine, type TaskFacts } from '../../../machines/task.js';
import { TASK_OUTCOMES } from '../../../protocol/fields.js';
import type { TaskDeps } from '../deps.js';
import type { TaskResources } from '../resources.js';
import { claimLease, markClaimed, renewLease } from './claim.js';
import type { TaskEnv } from './env.js';
import { escalate } from './escalate.js';
import { askForHelp } from './help.js';
import { reviewPlan } from './plan.js';
import { prepare } from './prepare.js';
import { broadcastProgress } from './progress.js';
import { publish } from './publish.js';
import { recordEnd, type CleanupInput } from './record.js';
import { report, reportFailure } from './report.js';
import { execute, reason } from './step.js';

/** The task machine with every effect provided for one task and one actor instance. */
export function provideTaskMachine(key: string, deps: TaskDeps, resources: TaskResources) {
  const env: TaskEnv = { key, deps, resources };
  return taskMachine.provide({
    actors: {
      claimLease: claimLease(env),
      renewLease: renewLease(env),
      markClaimed: markClaimed(env),
      prepare: prepare(env),
      reviewPlan: reviewPlan(env),
      reason: reason(env),
      execute: execute(env),
      askHelp: fromPromise<{ from: string; text: string } | null, { question: string; task: TaskFacts }>(
        ({ input }) => askForHelp(deps, input.task, input.question),
      ),
      publish: publish(env),
      report: report(env),
      escalate: escalate(env),
      reportFailure: reportFailure(env),
      cleanup: fromPromise<void, CleanupInput>(async ({ input }) => {
        await resources.cleanup(input.release, input.reason);
        await recordEnd(env, input);
      }),
    },
    actions: {
      progress: ({ context }, { state }) => {
        // `skipped` is this actor's outcome, no lifecycle state: the winner reports the task
        if (state === 'skipped') return;
        if ((TASK_OUTCOMES as readonly string[]).includes(state))
          deps.audit?.({
            kind: 'outcome',
            task: key,
            token: context.token,
            data: { state, pr: context.pr?.url ?? null, reason: context.reason?.slice(0, 1024) ?? null },
          });
        broadcastProgress(env, state, {
          branch: context.branch ?? undefined,
          pullRequest: context.pr?.url,
          reason: context.reason ?? undefined,
          token: context.token ?? undefined,
        });
      },
    },
  });
}
