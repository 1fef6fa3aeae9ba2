/**
 * The node's read model of the cluster: what `bzzz status`, `/api/v1/*` and (later) the NATS
 * micro service answer from. An `@xstate/store` fed only by messages: the view actor listens
 * on the coordination topic and turns `task_progress` (parsed by its protocol schema where it
 * enters) into store events. Nothing else writes to it.
 */
import { createStore } from '@xstate/store';
import { fromCallback } from 'xstate';
import { TASK_OUTCOMES } from '../protocol/fields.js';
import { taskProgressSchema, type TaskProgress } from '../protocol/messages/tasks.js';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from '../actors/xstate-child.js';
import type { MailboxMessage } from '../actors/message.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';

export interface TaskView {
  key: string;
  state: string;
  holder: string | null;
  branch: string | null;
  pr: { url: string } | null;
  reason: string | null;
  updatedAt: number;
}

const FINAL: ReadonlySet<string> = new Set(TASK_OUTCOMES);

export interface ClusterViewContext {
  tasks: Record<string, TaskView>;
}

export function createClusterView(now: () => number) {
  const context: ClusterViewContext = { tasks: {} };
  return createStore({
    context,
    on: {
      progress: (context, event: { data: TaskProgress }) => {
        const { data } = event;
        const previous = context.tasks[data.task];
        const holder = FINAL.has(data.state) ? null : (data.agent ?? null);
        return {
          tasks: {
            ...context.tasks,
            [data.task]: {
              key: data.task,
              state: data.state,
              holder,
              branch: data.branch ?? previous?.branch ?? null,
              pr: data.pullRequest !== undefined ? { url: data.pullRequest } : (previous?.pr ?? null),
              reason: data.reason ?? null,
              updatedAt: now(),
            },
          },
        };
      },
    },
  });
}

export type ClusterView = ReturnType<typeof createClusterView>;

/** The view actor's one event: a parsed `task_progress`. */
interface ViewEvent {
  type: 'view.progress';
  progress: TaskProgress;
}

/** A `task_progress` parsed by its schema (undefined when malformed); any other message ignored. */
function acceptView(message: MailboxMessage): ViewEvent | null | undefined {
  if (message.type !== 'task_progress') return null;
  const parsed = taskProgressSchema.safeParse(message.data);
  return parsed.success ? { type: 'view.progress', progress: parsed.data } : undefined;
}

/** The actor that feeds the view from the coordination topic. */
export function viewSpec(view: ClusterView): ChildSpec {
  return xstateChild('view', {
    logic: (ctx: StartContext) => {
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      return fromCallback<ViewEvent>(({ receive }) => {
        receive((event) => {
          view.trigger.progress({ data: event.progress });
        });
      });
    },
    accept: acceptView,
  });
}
