/**
 * The node's read model of the cluster: what `bzzz status`, `/api/v1/*` and (later) the NATS
 * micro service answer from. An `@xstate/store` fed only by messages: the view actor listens
 * on the coordination topic and turns `task_progress`, `task_complete` and the membership
 * messages into store events. Nothing else writes to it.
 */
import { createStore } from '@xstate/store';
import { fromCallback } from 'xstate';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from '../actors/xstate-child.js';
import type { MailboxMessage } from '../actors/message.js';
import type { ChildSpec } from '../supervisor/child.js';

export interface TaskView {
  key: string;
  state: string;
  holder: string | null;
  branch: string | null;
  pr: { number: number; url: string } | null;
  reason: string | null;
  updatedAt: number;
}

export interface ProgressData {
  key: string;
  state: string;
  agent: string;
  branch: string | null;
  pr: { number: number; url: string } | null;
  reason: string | null;
}

const FINAL = new Set(['done', 'failed', 'escalated', 'lost', 'skipped']);

export interface ClusterViewContext {
  tasks: Record<string, TaskView>;
}

export function createClusterView(now: () => number) {
  const context: ClusterViewContext = { tasks: {} };
  return createStore({
    context,
    on: {
      progress: (context, event: { data: ProgressData }) => {
        const { data } = event;
        const previous = context.tasks[data.key];
        // a losing agent's `skipped` must not hide the winner's progress
        if (data.state === 'skipped' && previous !== undefined && previous.holder !== data.agent)
          return context;
        const holder = FINAL.has(data.state) ? null : data.agent;
        return {
          tasks: {
            ...context.tasks,
            [data.key]: {
              key: data.key,
              state: data.state,
              holder,
              branch: data.branch ?? previous?.branch ?? null,
              pr: data.pr ?? previous?.pr ?? null,
              reason: data.reason,
              updatedAt: now(),
            },
          },
        };
      },
    },
  });
}

export type ClusterView = ReturnType<typeof createClusterView>;

function isProgress(message: MailboxMessage): message is MailboxMessage<'task_progress', ProgressData> {
  const data = message.data as Partial<ProgressData> | undefined;
  return message.type === 'task_progress' && typeof data?.key === 'string' && typeof data.state === 'string';
}

/** The actor that feeds the view from the coordination topic. */
export function viewSpec(view: ClusterView): ChildSpec {
  return xstateChild('view', {
    logic: (ctx) => {
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      return fromCallback<MailboxMessage>(({ receive }) => {
        receive((message) => {
          if (isProgress(message)) view.trigger.progress({ data: message.data! });
        });
      });
    },
  });
}
