/**
 * The workspace port: where a task's work happens. A workspace is a clone of the task's
 * repository (on the task's branch when it is resumed, else on the default branch) inside a
 * sandbox whose work dir is the clone itself; `commit` records the work inside the sandbox and
 * `destroy` removes both. With `warm` > 0 and a forge that reads branch heads cheaply, fresh
 * workspaces are made ready ahead of tasks (see `warm.ts`); either way `prepare` hands out one
 * exactly like a cold prepare would make.
 *
 * `start()` and `stop()` are the resource lifecycle: `stop()` is safe twice and drains (every
 * workspace being made or held ready is destroyed).
 */
import { GitWorkspaces } from './git.js';
import type { Workspaces, WorkspacesComponents, WorkspacesInit } from './types.js';

export type * from './types.js';

export function createWorkspaces(init: WorkspacesInit, components: WorkspacesComponents): Workspaces {
  return new GitWorkspaces(init, components);
}
