/**
 * Polls the task sources and announces what is open and unclaimed, every `intervalMs`.
 * A failed poll is logged and retried at the next interval; it never ends the actor.
 */
import { fromPromise, setup } from 'xstate';
import type { TaskAnnouncement } from '../protocol/messages/tasks.js';

export interface PollerInput {
  intervalMs: number;
}

export const pollerMachine = setup({
  types: {
    input: {} as PollerInput,
    context: {} as PollerInput & { polls: number; failures: number },
  },
  actors: {
    /** Open tasks that no live claim holds. */
    poll: fromPromise<TaskAnnouncement[]>(() => Promise.resolve([])),
  },
  actions: {
    announce: (_, _params: { tasks: TaskAnnouncement[] }) => undefined,
    pollFailed: (_, _params: { error: unknown }) => undefined,
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
  },
}).createMachine({
  id: 'poller',
  context: ({ input }) => ({ ...input, polls: 0, failures: 0 }),
  initial: 'polling',
  states: {
    polling: {
      tags: ['ready'],
      invoke: {
        src: 'poll',
        onDone: {
          target: 'waiting',
          actions: { type: 'announce', params: ({ event }) => ({ tasks: event.output }) },
        },
        onError: {
          target: 'waiting',
          actions: { type: 'pollFailed', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    waiting: {
      tags: ['ready'],
      after: { interval: 'polling' },
      on: { 'poller.poll': 'polling' },
    },
  },
});
