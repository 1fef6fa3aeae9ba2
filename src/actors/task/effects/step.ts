/**
 * A working step: the reasoner decides (behind its guard of budgets and repeated failures),
 * and a command runs in the sandbox. A guard's stop becomes an escalation, an error retrying
 * cannot fix becomes a failure; every command run is broadcast as a step.
 */
import { fromPromise } from 'xstate';
import { describeError, isNonRetryable } from '../../../lib/errors.js';
import type { StepDecision, TaskFacts, TaskHistoryEntry } from '../../../machines/task.js';
import { sandboxOf, type TaskEnv } from './env.js';
import { broadcastProgress } from './progress.js';

const ESCALATING_ERRORS = new Set(['BudgetExceededError', 'RepeatedFailureError']);

export function reason({ deps, resources }: TaskEnv) {
  // made now (the wall-time limit counts from here), kept by the instance for the task history
  const reasoner = resources.reasoner;
  return fromPromise<StepDecision, { task: TaskFacts; history: TaskHistoryEntry[]; steps: number }>(
    async ({ input }) => {
      try {
        const { key, title, body, files, network } = input.task;
        const task = { key, title, body, files, ...(network === null ? {} : { network }) };
        const step = await reasoner.next({ task, history: input.history });
        deps.logger.info(
          {
            task: key,
            model: step.model,
            mode: step.mode,
            decision: step.decision.kind,
            reasoning: step.reasoning,
          },
          'model decided',
        );
        if (step.decision.kind !== 'command') return step.decision;
        return {
          ...step.decision,
          ...(step.toolCallId === undefined ? {} : { toolCallId: step.toolCallId }),
          ...(step.reasoning === undefined ? {} : { reasoning: step.reasoning }),
        };
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (ESCALATING_ERRORS.has(name)) return { kind: 'escalate', reason: describeError(error) };
        if (isNonRetryable(error)) return { kind: 'fail', reason: describeError(error) };
        throw error;
      }
    },
  );
}

export function execute(env: TaskEnv) {
  const { key, deps, resources } = env;
  return fromPromise<TaskHistoryEntry, { command: string; step: number }>(async ({ input }) => {
    const result = await sandboxOf(env).sandbox.exec({
      command: ['sh', '-c', input.command],
      env: { BZZZ_TASK: key },
    });
    deps.logger.info({ task: key, command: input.command, exitCode: result.exitCode }, 'step ran');
    broadcastProgress(env, 'working', {
      command: input.command,
      exitCode: result.exitCode,
      step: input.step,
      token: resources.lease?.token,
    });
    return {
      kind: 'command',
      command: input.command,
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.timedOut ? `${result.stderr}\n[killed: wall-time limit]` : result.stderr,
    };
  });
}
