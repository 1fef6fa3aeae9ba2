/**
 * What every effect of one task actor is bound to: the node's ports, the resources this actor
 * instance holds, and the task's key.
 */
import type { TaskDeps } from '../deps.js';
import type { TaskResources } from '../resources.js';

export interface TaskEnv {
  readonly key: string;
  readonly deps: TaskDeps;
  readonly resources: TaskResources;
}

/** The sandbox of the prepared workspace; an effect that needs it before `prepare` is a bug. */
export function sandboxOf(env: TaskEnv) {
  const workspace = env.resources.workspace;
  if (workspace === undefined) throw new Error(`task ${env.key} has no workspace`);
  return workspace;
}
