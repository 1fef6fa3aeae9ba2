/**
 * An agent: takes announced tasks up to its capacity (`BZZZ_MAX_TASKS`) and only those whose
 * labels its capabilities match, starting one task actor for each. Which agent finally works
 * on a task is decided by the claim, not here: several agents may start a task actor for the
 * same announcement, and all but one end `skipped`.
 */
import { assign, setup } from 'xstate';

export interface AnnouncedTask {
  key: string;
  title: string;
  body: string;
  labels: string[];
  repo: string;
}

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
  | { type: 'task_announcement'; data: AnnouncedTask }
  | { type: 'task.ended'; data: { key: string; state: string } }
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
    startTask: (_, _task: AnnouncedTask) => undefined,
    /** Answers a load query (`agent.load`) with the running tasks. */
    replyLoad: (_, _params: { running: string[]; maxTasks: number }) => undefined,
  },
  guards: {
    canTake: ({ context }, task: AnnouncedTask) =>
      context.running.length < context.maxTasks &&
      !context.running.includes(task.key) &&
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
        task_announcement: {
          guard: { type: 'canTake', params: ({ event }) => event.data },
          actions: [
            assign({ running: ({ context, event }) => [...context.running, event.data.key] }),
            { type: 'startTask', params: ({ event }) => event.data },
          ],
        },
        'task.ended': {
          actions: assign({
            running: ({ context, event }) => context.running.filter((k) => k !== event.data.key),
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
