/**
 * The poller actor: every interval, the open tasks of the forge that no live claim holds,
 * announced on the coordination topic (`task_announcement`). One per process on the embedded
 * default; the election makes it one per cluster.
 */
import type { ClaimStore } from '../adapters/claims/index.js';
import type { Forge } from '../adapters/forge/index.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { RateLimitedLog } from '../lib/log.js';
import { pollerMachine } from '../machines/poller.js';
import type { ChildSpec } from '../supervisor/child.js';
import { fromPromise } from 'xstate';
import { taskAnnouncementSchema, type TaskAnnouncement } from '../protocol/messages/tasks.js';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from './xstate-child.js';

export interface PollerSpecOptions {
  forge: Forge;
  claims: ClaimStore;
  intervalMs: number;
  logger: Logger;
  /** Polls only while this returns true (the elected leader of a cluster); default always. */
  active?: () => boolean;
  /** More task sources besides the forge (WHOOSH). */
  sources?: (() => Promise<TaskAnnouncement[]>)[];
}

/** Open tasks of the forge and the other sources, each once, with no live claim. */
export async function unclaimedTasks(
  forge: Forge,
  claims: ClaimStore,
  sources: readonly (() => Promise<TaskAnnouncement[]>)[] = [],
): Promise<TaskAnnouncement[]> {
  const found = new Map<string, TaskAnnouncement>();
  for (const task of await forge.listOpenTasks()) {
    found.set(task.key, {
      body: task.body,
      labels: task.labels,
      repository: task.repo,
      task: task.key,
      title: task.title,
      url: task.url,
    });
  }
  for (const source of sources) {
    for (const task of await source()) if (!found.has(task.task)) found.set(task.task, task);
  }
  const out: TaskAnnouncement[] = [];
  for (const task of found.values()) {
    if ((await claims.read(task.task)) === null) out.push(task);
  }
  return out;
}

export function pollerSpec(options: PollerSpecOptions): ChildSpec {
  return xstateChild('poller', {
    logic: (ctx) => {
      const failures = new RateLimitedLog(options.logger, ctx.clock, 60_000);
      return pollerMachine.provide({
        actors: {
          poll: fromPromise(() =>
            options.active === undefined || options.active()
              ? unclaimedTasks(options.forge, options.claims, options.sources)
              : Promise.resolve([]),
          ),
        },
        actions: {
          announce: (_, { tasks }) => {
            for (const task of tasks) {
              // what the forge said enters here: only a valid announcement is broadcast
              const parsed = taskAnnouncementSchema.safeParse(task);
              if (parsed.success)
                ctx.system.publish(TOPICS.coordination, { type: 'task_announcement', data: parsed.data });
              else failures.warn('announce', { task: task.task }, 'a task does not fit an announcement');
            }
          },
          pollFailed: (_, { error }) =>
            failures.warn('poll', { err: describeError(error) }, 'polling the forge failed'),
        },
      });
    },
    // it listens to nothing: the poll is its own clock
    accept: () => undefined,
    input: () => ({ intervalMs: options.intervalMs }),
  });
}
