/**
 * The actor that turns this node's `task_progress` broadcasts (on the coordination topic,
 * parsed by their protocol schema, as the read model takes them) into the task series:
 * `bzzz_tasks{state}`, `bzzz_tasks_total{outcome}` and `bzzz_task_duration_seconds{outcome}`.
 * A task counts on the node whose agent reported it last, so the nodes' figures add up.
 */
import { fromCallback } from 'xstate';
import { xstateChild } from '../actors/xstate-child.js';
import type { MailboxMessage } from '../actors/message.js';
import { TASK_OUTCOMES } from '../protocol/fields.js';
import { taskProgressSchema, type TaskProgress } from '../protocol/messages/tasks.js';
import { TOPICS } from '../protocol/topics.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';

/** What the feeder reports to (NodeMetrics). */
export interface TaskMetrics {
  taskEnded(outcome: string, seconds: number | undefined): void;
  taskMoved(from: string | undefined, to: string | undefined): void;
}

const OUTCOMES: ReadonlySet<string> = new Set(TASK_OUTCOMES);
/** The states a task actor reports as it takes a task up. */
const FIRST: ReadonlySet<string> = new Set(['discovered', 'claiming', 'claimed']);

/** The tasks this node reported last: their state and when this node's attempt began. */
export class TaskTally {
  readonly #tasks = new Map<string, { state: string; since: number | undefined }>();

  constructor(
    private readonly nodeId: string,
    private readonly metrics: TaskMetrics,
  ) {}

  progress(data: TaskProgress, now: number): void {
    const previous = this.#tasks.get(data.task);
    if (data.node !== this.nodeId) {
      // another node works on it now: it counts there
      if (previous === undefined) return;
      this.#tasks.delete(data.task);
      this.metrics.taskMoved(previous.state, undefined);
      return;
    }
    // a new attempt begins after none or after an outcome; its start is known when seen from its first states
    const fresh = previous === undefined || OUTCOMES.has(previous.state);
    const since = fresh ? (FIRST.has(data.state) ? now : undefined) : previous.since;
    // an outcome repeated (a duplicate broadcast) counts once
    if (OUTCOMES.has(data.state) && (previous === undefined || !OUTCOMES.has(previous.state))) {
      this.metrics.taskEnded(data.state, since === undefined ? undefined : (now - since) / 1000);
    }
    this.#tasks.set(data.task, { state: data.state, since });
    if (previous?.state !== data.state) this.metrics.taskMoved(previous?.state, data.state);
  }
}

interface TallyEvent {
  type: 'tally.progress';
  progress: TaskProgress;
}

function acceptProgress(message: MailboxMessage): TallyEvent | null | undefined {
  if (message.type !== 'task_progress') return null;
  const parsed = taskProgressSchema.safeParse(message.data);
  return parsed.success ? { type: 'tally.progress', progress: parsed.data } : undefined;
}

/** The feeder, a child of `work` beside the read model's. */
export function taskMetricsSpec(nodeId: string, metrics: TaskMetrics): ChildSpec {
  return xstateChild('task-metrics', {
    logic: (ctx: StartContext) => {
      ctx.system.subscribe(TOPICS.coordination, ctx.path);
      const tally = new TaskTally(nodeId, metrics);
      return fromCallback<TallyEvent>(({ receive }) => {
        receive((event) => tally.progress(event.progress, ctx.clock.now()));
      });
    },
    accept: acceptProgress,
  });
}
