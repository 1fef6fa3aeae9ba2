/**
 * What the local forge writes for a task, each write fenced by token under the repository lock
 * (see `local-effects.ts`): the claim (assignee, `in-progress` label, a comment with the claim
 * marker), the pull request (found, never a second one), and the outcome (a comment, the
 * outcome label, the issue closed when done without a pull request).
 */
import { BranchNotFoundError, TaskFinishedError, TaskNotFoundError } from './errors.js';
import { branchCommit } from './git.js';
import { repoLock, type EffectLog, type TaskSlot } from './local-effects.js';
import { comment, toPull } from './local-mapping.js';
import { defaultBranch } from './local-repos.js';
import type { LocalStore, PullFile, TaskFile } from './local-store.js';
import {
  IN_PROGRESS_LABEL,
  OUTCOME_LABELS,
  claimMarker,
  isOpenTask,
  pickPull,
  type FencedEffect,
} from './names.js';
import type * as port from './types.js';

/** The forge's files and its effect log. */
export interface LocalWriter {
  store: LocalStore;
  effects: EffectLog;
}

/** Changes a task file: fenced, under the lock, logged. */
export async function updateTask(
  { store, effects }: LocalWriter,
  slot: TaskSlot,
  effect: FencedEffect,
  fenced: port.Fenced,
  change: (task: TaskFile) => void,
): Promise<void> {
  await effects.fenced(slot, effect, fenced, async () => {
    const task = await store.readTask(slot.repo, slot.number);
    if (task === null) throw new TaskNotFoundError(slot.key);
    change(task);
    task.updatedAt = new Date().toISOString();
    await store.writeJson(store.taskPath(slot.repo, slot.number), task);
    return { result: undefined };
  });
}

/** The claim's change of a task file; a finished task refuses it ({@link TaskFinishedError}). */
export function claimChange(key: string, options: port.MarkClaimedOptions): (task: TaskFile) => void {
  return (task) => {
    // under the repository lock: an outcome reported since the lease was won wins
    if (!isOpenTask(task.state === 'closed', task.labels)) throw new TaskFinishedError(key);
    task.assignees = [...new Set([...task.assignees, options.agent])];
    task.labels = [...new Set([...task.labels, IN_PROGRESS_LABEL])];
    const marker = claimMarker(options.agent, options.token);
    task.comments.push(comment(options.agent, `Claimed by agent ${options.agent}.\n\n${marker}`));
  };
}

/** The outcome's change of a task file. */
export function reportChange(options: port.ReportCompleteOptions): (task: TaskFile) => void {
  const outcome = options.outcome ?? 'done';
  const prNote = options.pr == null ? '' : `\n\nPull request: #${options.pr}`;
  return (task) => {
    task.labels = [
      ...new Set([...task.labels.filter((l) => l !== IN_PROGRESS_LABEL), OUTCOME_LABELS[outcome]]),
    ];
    task.comments.push(
      comment(options.agent, `bzzz: ${outcome} (agent ${options.agent}).\n\n${options.summary}${prNote}`),
    );
    if (outcome === 'done' && options.pr == null) task.state = 'closed';
  };
}

/**
 * Opens the pull request of `options.branch`, or finds the one it has. A stale token is
 * refused either way; only a created one is an effect in the log.
 */
export async function openPull(
  { store, effects }: LocalWriter,
  slot: TaskSlot,
  options: port.OpenPullRequestOptions,
): Promise<{ pr: port.PullRequest; created: boolean }> {
  const { repo } = slot;
  await effects.send(options);
  return store.withLock(repoLock(repo), async () => {
    await effects.admit(slot, 'pull-request', options.token);
    const existing = pickPull(
      (await store.listPulls(repo))
        .filter((p) => p.head === options.branch)
        .map((p) => toPull(store, repo, p)),
    );
    if (existing !== null) return { pr: existing, created: false };
    const bare = store.bareRepo(repo);
    const headSha = await branchCommit(bare, options.branch).catch(() => '');
    if (headSha === '') throw new BranchNotFoundError(repo.full, options.branch);
    const base = await defaultBranch(bare);
    const number = await store.allocateNumber(repo);
    const pull: PullFile = {
      number,
      title: options.title,
      body: options.body,
      base,
      head: options.branch,
      headSha,
      state: 'open',
      createdAt: new Date().toISOString(),
    };
    await store.writeJson(store.pullPath(repo, number), pull);
    await effects.append(slot, 'pull-request', options);
    return { pr: toPull(store, repo, pull), created: true };
  });
}
