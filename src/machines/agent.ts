/**
 * An agent: takes announced tasks up to its capacity (`BZZZ_MAX_TASKS`) and only those whose
 * labels its capabilities match, starting one task actor for each. Which agent finally works
 * on a task is decided by the claim, not here: several agents may start a task actor for the
 * same announcement, and all but one end `skipped`.
 *
 * Its events are internal: the binding parses a `task_announcement` where it enters and
 * offers it as `task.offered`.
 */
import { assign, setup } from 'xstate';
import type { TaskAnnouncement } from '../protocol/messages/tasks.js';

export interface AgentInput {
  name: string;
  maxTasks: number;
  /** Labels this agent can work on; empty means any task. */
  capabilities: string[];
}

export interface AgentContext extends AgentInput {
  running: string[];
}

export type AgentEvent =
  | { type: 'task.offered'; task: TaskAnnouncement }
  | { type: 'task.ended'; task: string; state: string }
  | { type: 'agent.load'; replyTo?: string; corr?: string };

/** Labels that say "this is a task" rather than what skill it needs. */
const GENERIC_LABELS = new Set(['bzzz-task', 'in-progress', 'bzzz-done', 'bzzz-failed', 'bzzz-escalated']);

/** True when the agent's capabilities cover the task's skill labels. */
export function capabilitiesMatch(capabilities: readonly string[], labels: readonly string[]): boolean {
  if (capabilities.length === 0 || capabilities.includes('*')) return true;
  const needed = labels.filter((l) => !GENERIC_LABELS.has(l));
  return needed.every((l) => capabilities.includes(l));
}

export const agentMachine = setup({
  types: {
    input: {} as AgentInput,
    context: {} as AgentContext,
    events: {} as AgentEvent,
  },
  actions: {
    /** Starts a task actor for the announced task. */
    startTask: (_, _task: TaskAnnouncement) => undefined,
    /** Answers a load query (`agent.load`) with the running tasks. */
    replyLoad: (_, _params: { running: string[]; maxTasks: number }) => undefined,
  },
  guards: {
    canTake: ({ context }, task: TaskAnnouncement) =>
      context.running.length < context.maxTasks &&
      !context.running.includes(task.task) &&
      capabilitiesMatch(context.capabilities, task.labels),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({ ...input, running: [] }),
  initial: 'ready',
  states: {
    ready: {
      tags: ['ready'],
      on: {
        'task.offered': {
          guard: { type: 'canTake', params: ({ event }) => event.task },
          actions: [
            assign({ running: ({ context, event }) => [...context.running, event.task.task] }),
            { type: 'startTask', params: ({ event }) => event.task },
          ],
        },
        'task.ended': {
          actions: assign({
            running: ({ context, event }) => context.running.filter((k) => k !== event.task),
          }),
        },
        'agent.load': {
          actions: {
            type: 'replyLoad',
            params: ({ context }) => ({ running: context.running, maxTasks: context.maxTasks }),
          },
        },
      },
    },
  },
});
