/**
 * The local forge's records mapped to the forge port's shapes: a task file to a task or a task
 * record (its state from labels, assignees, claim comments, pulls and branches), a pull file to
 * a pull request. URLs are `file:` URLs of the record files.
 */
import { pathToFileURL } from 'node:url';
import { formatTaskKey } from '../../protocol/task-key.js';
import type { LocalStore, PullFile, TaskFile } from './local-store.js';
import { holderFromComments, pickPull, stateFromMarks, taskBranch, toRef, type RepoName } from './names.js';
import type * as port from './types.js';

/** A task file as the forge port shows a task. */
export function toTask(store: LocalStore, repo: RepoName, task: TaskFile): port.ForgeTask {
  return {
    key: formatTaskKey({ forge: 'local', owner: repo.owner, repo: repo.name, number: task.number }),
    repo: repo.full,
    number: task.number,
    title: task.title,
    body: task.body,
    labels: [...task.labels],
    state: task.state,
    url: pathToFileURL(store.taskPath(repo, task.number)).href,
  };
}

/** A pull file as the forge port shows a pull request. */
export function toPull(store: LocalStore, repo: RepoName, pull: PullFile): port.PullRequest {
  return {
    number: pull.number,
    url: pathToFileURL(store.pullPath(repo, pull.number)).href,
    repo: repo.full,
    title: pull.title,
    head: pull.head,
    base: pull.base,
    headSha: pull.headSha,
    state: pull.state,
  };
}

/** The task record of a task file, given its repository's pulls, `bzzz/` branches and its effect log. */
export function toRecord(
  store: LocalStore,
  repo: RepoName,
  task: TaskFile,
  pulls: readonly PullFile[],
  branches: ReadonlySet<string>,
  effects: port.EffectRecord[],
): port.TaskRecord {
  const forgeTask = toTask(store, repo, task);
  const branch = taskBranch(forgeTask.key);
  const prs = pulls.filter((p) => p.head === branch).map((p) => toPull(store, repo, p));
  const pr = pickPull(prs);
  return {
    key: forgeTask.key,
    title: task.title,
    state: stateFromMarks({
      closed: task.state === 'closed',
      labels: task.labels,
      claimed: task.assignees.length > 0,
      hasPullRequest: pr !== null,
    }),
    holder: holderFromComments(task.comments.map((c) => c.body)),
    branch: branches.has(branch) || pr !== null ? branch : null,
    pr: pr === null ? null : toRef(pr),
    prs: prs.map(toRef),
    effects,
  };
}

/** A comment on a task file, stamped now. */
export function comment(author: string, body: string): TaskFile['comments'][number] {
  return { author, body, at: new Date().toISOString() };
}
