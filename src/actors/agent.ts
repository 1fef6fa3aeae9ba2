/**
 * An agent as a small subtree: a dynamic supervisor of its task actors and the agent actor
 * that decides which announced tasks to start (one_for_all: if either fails for good, both
 * restart, so the agent's count of running tasks always matches its supervisor's children).
 * The agent actor listens to the coordination topic for `task_announcement`, parsed by its
 * protocol schema where it enters and offered to the machine as `task.offered`.
 */
import { describeError } from '../lib/errors.js';
import { agentMachine, type AgentEvent } from '../machines/agent.js';
import { isMessageType } from '../protocol/messages/index.js';
import { taskAnnouncementSchema, type TaskAnnouncement } from '../protocol/messages/tasks.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';
import { supervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { SupervisorMetrics } from '../supervisor/types.js';
import { TOPICS } from '../protocol/topics.js';
import type { MailboxMessage } from './message.js';
import type { TaskDeps } from './task/deps.js';
import { taskEnded, taskSpec } from './task/spec.js';
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

/** The agent machine's event for a mailbox message, its payload parsed; undefined if malformed. */
export function acceptAgentMessage(message: MailboxMessage): AgentEvent | null | undefined {
  switch (message.type) {
    case 'task_announcement': {
      const parsed = taskAnnouncementSchema.safeParse(message.data);
      return parsed.success ? { type: 'task.offered', task: parsed.data } : undefined;
    }
    case 'task.ended': {
      const data = message.data as { task?: unknown; state?: unknown } | undefined;
      return typeof data?.task === 'string' && typeof data.state === 'string'
        ? { type: 'task.ended', task: data.task, state: data.state }
        : undefined;
    }
    case 'agent.load':
      return {
        type: 'agent.load',
        ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
        ...(message.corr === undefined ? {} : { corr: message.corr }),
      };
    default:
      // the coordination topic carries every broadcast; only the ones above are for the agent
      return isMessageType(message.type) ? null : undefined;
  }
}

export function agentSpec(options: AgentSpecOptions): ChildSpec {
  let tasks: Supervisor | undefined;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const agent = xstateChild('agent', {
    logic: (ctx: StartContext) => {
      const deps = options.deps(ctx.path, ctx.system);
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      return agentMachine.provide({
        actions: {
          startTask: (_, task: TaskAnnouncement) => {
            if (tasks === undefined) return;
            tasks.startChild(taskSpec(task, deps)).catch((error: unknown) => {
              deps.logger.warn({ task: task.task, err: describeError(error) }, 'could not start task actor');
              ctx.system.send(ctx.path, taskEnded(task.task, 'failed'));
            });
          },
          replyLoad: ({ event }, params) => ctx.system.reply(event, params),
        },
      });
    },
    accept: acceptAgentMessage,
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
