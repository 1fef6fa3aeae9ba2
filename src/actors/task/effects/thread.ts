/**
 * The task's side of its HMMM thread: nodes this agent writes (its help requests, escalations,
 * plan proposal and plan outcome) and nodes of others it takes in (answers, reviews). The
 * thread is a record: a node that cannot be written is logged, never a reason to stop a task.
 */
import { describeError } from '../../../lib/errors.js';
import type { ThreadBody, ThreadNodeKind } from '../../../protocol/thread-node.js';
import type { TaskDeps } from '../deps.js';

/** Writes a node of this agent to the task's thread; its hash, or undefined when none was written. */
export async function recordNode<K extends ThreadNodeKind>(
  deps: TaskDeps,
  task: string,
  kind: K,
  body: ThreadBody<K>,
): Promise<string | undefined> {
  if (deps.threads === undefined) return undefined;
  try {
    return await deps.threads.append(task, kind, body, { agent: deps.agent, node: deps.node });
  } catch (error) {
    deps.logger.warn({ task, kind, err: describeError(error) }, 'thread node not recorded');
    return undefined;
  }
}

/** Takes a node another agent wrote (its hash came in a message) into the task's thread. */
export async function adoptNode(deps: TaskDeps, task: string, hash: string | undefined): Promise<void> {
  if (hash === undefined || deps.threads === undefined) return;
  await deps.threads.adopt(task, hash);
}
