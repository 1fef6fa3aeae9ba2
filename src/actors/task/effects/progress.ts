/** The task's `task_progress` broadcasts on the coordination topic (the read model feeds on them). */
import type { TaskProgress } from '../../../protocol/messages/tasks.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { TaskEnv } from './env.js';

/** What a progress report says besides the task, node, agent and state. */
export type ProgressDetail = Partial<
  Pick<TaskProgress, 'branch' | 'command' | 'exitCode' | 'pullRequest' | 'reason' | 'step' | 'token'>
>;

/** Broadcasts that the task reached `state` (with the details known), as the wire message. */
export function broadcastProgress(env: TaskEnv, state: TaskProgress['state'], detail: ProgressDetail): void {
  const defined = Object.entries(detail).filter(([, value]) => value !== undefined && value !== null);
  const data: TaskProgress = {
    agent: env.deps.agent,
    node: env.deps.node,
    state,
    task: env.key,
    ...(Object.fromEntries(defined) as ProgressDetail),
  };
  env.deps.system.publish(TOPICS.coordination, { type: 'task_progress', data });
}
