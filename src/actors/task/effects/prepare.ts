/** Preparing: the task's workspace (a warm one when one fits), owned by this actor instance. */
import { fromPromise } from 'xstate';
import type { PreparedWorkspace } from '../../../machines/task.js';
import type { TaskEnv } from './env.js';

export function prepare({ key, deps, resources }: TaskEnv) {
  return fromPromise<PreparedWorkspace>(async () => {
    const workspace = await deps.workspaces.prepare(key);
    await resources.adoptWorkspace(workspace);
    const { branch, base, resumed, warm, network } = workspace;
    deps.logger.info({ task: key, branch, resumed, sandbox: workspace.sandbox.id, warm }, 'prepared');
    return { branch, base, files: [...workspace.files], network };
  });
}
