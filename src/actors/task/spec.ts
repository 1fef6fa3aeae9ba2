/**
 * The child spec of one task actor, for an agent's dynamic task supervisor: transient (a crash
 * restarts it; a normal end does not), stopped gracefully with `bzzz.stop` so it can destroy
 * its sandbox and release its lease. Whatever way the actor ends, its resources are cleaned.
 */
import { encodeTaskKeyToken } from '../../protocol/task-key.js';
import type { AnnouncedTask } from '../../machines/agent.js';
import type { ChildSpec } from '../../supervisor/child.js';
import { xstateChild } from '../xstate-child.js';
import type { TaskDeps } from './deps.js';
import { provideTaskMachine } from './effects.js';
import { TaskResources } from './resources.js';

/** The child id of a task's actor (a path segment: the task key, encoded). */
export function taskChildId(key: string): string {
  return `task-${encodeTaskKeyToken(key)}`;
}

export function taskSpec(task: AnnouncedTask, deps: TaskDeps): ChildSpec {
  let resources: TaskResources | undefined;
  // a replacement claims only once its crashed predecessor has released the lease
  let predecessor: Promise<void> = Promise.resolve();
  return xstateChild(taskChildId(task.key), {
    logic: () => {
      const fresh = new TaskResources(task.key, deps, predecessor);
      resources = fresh;
      return provideTaskMachine(task, deps, fresh);
    },
    input: () => ({
      key: task.key,
      title: task.title,
      body: task.body,
      labels: task.labels,
      repo: task.repo,
      agent: deps.agent,
    }),
    restart: 'transient',
    shutdown: 60_000,
    onStarted: (actor) => {
      const owned = resources;
      // a crash or a kill ends the actor without its own cleanup: do it here
      actor.subscribe({
        complete: () => {
          const output = actor.getSnapshot().output;
          void owned?.cleanup(true, 'task actor ended').finally(() => {
            deps.system.send(deps.agentPath, {
              type: 'task.ended',
              data: { key: task.key, state: output?.state ?? 'stopped' },
            });
          });
        },
        error: () => {
          predecessor = owned?.cleanup(true, 'task actor crashed') ?? Promise.resolve();
        },
      });
    },
  });
}
