/**
 * The clone a task starts from: the repository's clone URL, at the task's branch when that
 * already exists on the forge (an earlier attempt pushed it before a crash), otherwise at the
 * default branch. The work is published from the clone's `HEAD`, so a fresh task needs no
 * branch of its own in the clone: one `git clone` and a few file reads, the clone being ours
 * and untouched until the sandbox gets it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskKey } from '../../protocol/task-key.js';
import { parseTaskKey } from '../../protocol/task-key.js';
import { git, headBranch, readRefFile } from './git.js';
import type { Forge } from './types.js';
import { taskBranch, taskRepo } from './names.js';

/** A fresh clone of a repository's default branch. */
export interface Clone {
  /** The default branch, checked out. */
  base: string;
  /** The commit the default branch was at when cloned; empty for a repository without one. */
  baseSha: string;
}

export interface Checkout {
  /** The task's branch on the forge. */
  branch: string;
  /** True when the branch existed on the forge and the clone continues from it. */
  resumed: boolean;
  /** The default branch the task's pull request will target. */
  base: string;
  /** What to push as the task's branch: the clone's `HEAD`. */
  sourceRef: 'HEAD';
}

/** Clones `repo` into `dir` (which must not exist or be empty), at its default branch. */
export async function cloneRepo(forge: Forge, repo: string, dir: string): Promise<Clone> {
  const url = await forge.cloneUrl(repo);
  // a file: URL as a path: git then copies the objects itself instead of running a transport;
  // no template: no sample hooks or descriptions to copy now and delete later
  const source = url.startsWith('file:') ? fileURLToPath(url) : url;
  await git(['clone', '--quiet', '--no-hardlinks', '--template=', '--', source, dir]);
  const gitDir = join(dir, '.git');
  const base =
    (await headBranch(gitDir)) ?? (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: dir })).trim();
  const baseSha =
    (await readRefFile(gitDir, `refs/heads/${base}`)) ??
    (await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: dir }).catch(() => '')).trim();
  return { base, baseSha };
}

/** Clones the task's repository into `dir` (which must not exist or be empty). */
export async function checkoutTask(forge: Forge, key: TaskKey, dir: string): Promise<Checkout> {
  const branch = taskBranch(key);
  const { base } = await cloneRepo(forge, taskRepo(parseTaskKey(key)), dir);
  const resumed = (await readRefFile(join(dir, '.git'), `refs/remotes/origin/${branch}`)) !== null;
  if (resumed) await git(['checkout', '--quiet', '-b', branch, `origin/${branch}`], { cwd: dir });
  return { branch, resumed, base, sourceRef: 'HEAD' };
}
