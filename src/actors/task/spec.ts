/**
 * The child spec of one task actor, for an agent's dynamic task supervisor: transient (a crash
 * restarts it; a normal end does not), stopped gracefully with `bzzz.stop` so it can destroy
 * its workspace and release its lease. Whatever way the actor ends, its resources are cleaned.
 */
import type { Lease } from '../../adapters/claims/index.js';
import { encodeTaskKeyToken } from '../../protocol/task-key.js';
import type { TaskAnnouncement } from '../../protocol/messages/tasks.js';
import type { ChildSpec } from '../../supervisor/child.js';
import type { MailboxMessage } from '../message.js';
import { xstateChild } from '../xstate-child.js';
import type { TaskDeps } from './deps.js';
import { provideTaskMachine } from './effects/index.js';
import { recordOutcome, type TaskEnding } from './outcome.js';
import { TaskResources } from './resources.js';

/** The child id of a task's actor (a path segment: the task key, encoded). */
export function taskChildId(key: string): string {
  return `task-${encodeTaskKeyToken(key)}`;
}

/** A task's end, told to its agent's mailbox. */
export function taskEnded(
  task: string,
  state: string,
): MailboxMessage<'task.ended', { task: string; state: string }> {
  return { type: 'task.ended', data: { task, state } };
}

export function taskSpec(task: TaskAnnouncement, deps: TaskDeps): ChildSpec {
  let resources: TaskResources | undefined;
  let ending: (() => TaskEnding) | undefined;
  // a crashed instance's lease is kept, not released: its replacement continues it
  let predecessor: Promise<Lease | undefined> = Promise.resolve(undefined);
  const spec = xstateChild(taskChildId(task.task), {
    logic: () => {
      const fresh = new TaskResources(task.task, deps, predecessor);
      resources = fresh;
      return provideTaskMachine(task.task, deps, fresh);
    },
    input: () => ({
      key: task.task,
      title: task.title,
      body: task.body ?? '',
      labels: task.labels,
      repo: task.repository,
      agent: deps.agent,
    }),
    // a task actor takes no mailbox message: its events come from its own effects
    accept: () => undefined,
    stop: { type: 'bzzz.stop' },
    restart: 'transient',
    shutdown: 60_000,
    onStarted: (actor) => {
      ending = () => {
        const snapshot = actor.getSnapshot();
        return { output: snapshot.output, steps: snapshot.context.steps };
      };
      // the recording at the task's end reads what the machine learned (its history, its PR)
      if (resources !== undefined) resources.context = () => actor.getSnapshot().context;
    },
  });
  return {
    ...spec,
    start: async (ctx) => {
      const running = await spec.start(ctx);
      const owned = resources;
      const ended = ending;
      // a crash, a kill or an exit ends the actor without its own cleanup: do it here, by the
      // exit's reason (a stopped actor's observers cannot tell a crash from a kill)
      running.onExit((reason) => {
        if (reason.kind === 'error') {
          predecessor = owned?.handOver('task actor crashed') ?? Promise.resolve(undefined);
          return;
        }
        const how = ended?.() ?? { output: undefined, steps: 0 };
        recordOutcome(task, deps, owned, how);
        void owned?.cleanup(true, 'task actor ended').finally(() => {
          deps.system.send(deps.agentPath, taskEnded(task.task, how.output?.state ?? 'stopped'));
        });
      });
      return {
        ...running,
        // a task actor stopped at once (in a state that takes no stop event, such as `lost`)
        // still finishes its cleanup and its record before the node stops what they use
        stop: async () => {
          await running.stop();
          await owned?.settled();
        },
      };
    },
  };
}
