/**
 * An agent as a small subtree: a dynamic supervisor of its task actors and the agent actor
 * that decides which announced tasks to start (one_for_all: if either fails for good, both
 * restart, so the agent's count of running tasks always matches its supervisor's children).
 * The agent actor listens to the coordination topic for `task_announcement`.
 */
import { describeError } from '../lib/errors.js';
import { agentMachine, type AnnouncedTask } from '../machines/agent.js';
import type { ChildSpec } from '../supervisor/child.js';
import { supervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { SupervisorMetrics } from '../supervisor/types.js';
import { TOPICS } from '../protocol/topics.js';
import type { TaskDeps } from './task/deps.js';
import { taskSpec } from './task/spec.js';
import { xstateChild } from './xstate-child.js';

export interface AgentSpecOptions {
  /** Child id of the agent's subtree (`agent-1`). */
  id: string;
  /** The claim holder and the name shown on the forge. */
  name: string;
  maxTasks: number;
  capabilities: string[];
  /** The task dependencies, given the agent actor's path and its actor system. */
  deps: (agentPath: string, system: TaskDeps['system']) => TaskDeps;
  metrics?: SupervisorMetrics;
}

export function agentSpec(options: AgentSpecOptions): ChildSpec {
  let tasks: Supervisor | undefined;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const agent = xstateChild('agent', {
    logic: (ctx) => {
      const deps = options.deps(ctx.path, ctx.system);
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      return agentMachine.provide({
        actions: {
          startTask: (_, task: AnnouncedTask) => {
            if (tasks === undefined) return;
            tasks.startChild(taskSpec(task, deps)).catch((error: unknown) => {
              deps.logger.warn({ task: task.key, err: describeError(error) }, 'could not start task actor');
              ctx.system.send(ctx.path, { type: 'task.ended', data: { key: task.key, state: 'failed' } });
            });
          },
          replyLoad: ({ event }, params) => ctx.system.reply(event, params),
        },
      });
    },
    input: () => ({ name: options.name, maxTasks: options.maxTasks, capabilities: options.capabilities }),
    ready: (snapshot) => snapshot.hasTag('ready'),
  });
  return supervisorSpec(
    options.id,
    {
      strategy: 'one_for_all',
      intensity: { maxRestarts: 5, periodMs: 10_000 },
      children: [
        supervisorSpec(
          'tasks',
          { strategy: 'dynamic', intensity: { maxRestarts: 100, periodMs: 10_000 } },
          { ...metrics, onStarted: (s) => (tasks = s) },
        ),
        agent,
      ],
    },
    metrics,
  );
}
