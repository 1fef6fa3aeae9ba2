/**
 * A task actor's outcome for the task history (the node's usage store): how the machine
 * ended, the commands it ran, what its reasoner spent, its pull request and times, told to
 * the node's outcome sink when the actor ends. An actor that never held the task (`skipped`,
 * or stopped while claiming) leaves no outcome; nor does a crashed one: its replacement
 * continues the attempt. Recording never fails the task: a refusal is logged.
 */
import type { TaskOutcomeRecord } from '../../adapters/usage/index.js';
import { describeError } from '../../lib/errors.js';
import type { TaskOutput } from '../../machines/task.js';
import type { TaskAnnouncement } from '../../protocol/messages/tasks.js';
import type { TaskDeps } from './deps.js';
import type { TaskResources } from './resources.js';

/** How the actor ended: the machine's output (none when it was stopped from outside) and its step count. */
export interface TaskEnding {
  output: TaskOutput | undefined;
  steps: number;
}

export function taskOutcomeRecord(
  task: TaskAnnouncement,
  deps: TaskDeps,
  resources: TaskResources,
  ending: TaskEnding,
): TaskOutcomeRecord | undefined {
  const state = ending.output?.state ?? 'stopped';
  if (!resources.held || state === 'skipped') return undefined;
  const spent = resources.spent();
  return {
    key: task.task,
    repo: task.repository,
    state,
    holder: deps.agent,
    node: deps.node,
    rounds: ending.steps,
    promptTokens: spent.inputTokens,
    completionTokens: spent.outputTokens,
    costUsd: spent.cost,
    startedAt: resources.startedAt,
    endedAt: Math.max(resources.startedAt, deps.clock.now()),
    pr: ending.output?.pr?.url ?? null,
    reason: ending.output?.reason ?? (state === 'stopped' ? 'agent stopping' : null),
  };
}

/** Tells the node's outcome sink (when it has one) how the task ended. */
export function recordOutcome(
  task: TaskAnnouncement,
  deps: TaskDeps,
  resources: TaskResources | undefined,
  ending: TaskEnding,
): void {
  const sink = deps.outcomes;
  if (sink === undefined || resources === undefined) return;
  const record = taskOutcomeRecord(task, deps, resources, ending);
  if (record === undefined) return;
  void sink.recordTask(record).catch((error: unknown) => {
    deps.logger.warn({ task: task.task, err: describeError(error) }, 'task outcome not recorded');
  });
}
