/**
 * The task machine's setup: its types, the names of its effects and its actions and guards,
 * shared by the machine (task.ts) and the state definitions kept apart (task-states.ts).
 */
import { assign, setup } from 'xstate';
import { errorText, taskEffects, taskError } from './task-effects.js';
import type { TaskContext, TaskEvent, TaskInput, TaskOutput, TaskState } from './task-types.js';

export const taskSetup = setup({
  types: {
    input: {} as TaskInput,
    context: {} as TaskContext,
    events: {} as TaskEvent,
    output: {} as TaskOutput,
  },
  actors: taskEffects,
  actions: {
    /** Reports the state reached (`task_progress`, read model). */
    progress: (_, _params: { state: TaskState }) => undefined,
    /** A stop that arrives while the task is releasing: it finishes first, then the actor ends. */
    stopRequested: () => undefined,
    recordError: assign(({ event }) => {
      const error = (event as { error?: unknown }).error;
      return { reason: errorText(error), lastError: taskError(error) };
    }),
    finish: assign({ outcome: (_, params: { outcome: TaskOutput['state'] }) => params.outcome }),
  },
  guards: {
    won: (_, token: number | null) => token !== null,
  },
});
