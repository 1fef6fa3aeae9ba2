/**
 * The clone a task starts from: the repository's clone URL checked out on the task's branch.
 * When the branch already exists on the forge (an earlier attempt pushed it before a crash),
 * the work continues from it; otherwise the branch starts at the default branch.
 */
import type { TaskKey } from '../../protocol/task-key.js';
import { parseTaskKey } from '../../protocol/task-key.js';
import { git } from './git.js';
import type { Forge } from './index.js';
import { taskBranch, taskRepo } from './names.js';

export interface Checkout {
  branch: string;
  /** True when the branch existed on the forge and the clone continues from it. */
  resumed: boolean;
  /** The default branch the task's pull request will target. */
  base: string;
}

/** Clones the task's repository into `dir` (which must not exist or be empty). */
export async function checkoutTask(forge: Forge, key: TaskKey, dir: string): Promise<Checkout> {
  const repo = taskRepo(parseTaskKey(key));
  const url = await forge.cloneUrl(repo);
  const branch = taskBranch(key);
  await git(['clone', '--quiet', '--no-hardlinks', url, dir]);
  const base = (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: dir })).trim();
  const remote = await git(['ls-remote', '--heads', 'origin', branch], { cwd: dir });
  if (remote.trim() !== '') {
    await git(['checkout', '--quiet', '-b', branch, `origin/${branch}`], { cwd: dir });
    return { branch, resumed: true, base };
  }
  await git(['checkout', '--quiet', '-b', branch], { cwd: dir });
  return { branch, resumed: false, base };
}
