/**
 * What the github forge writes on an issue: the claim (assignee, `bzzz-in-progress` label, a
 * comment with the claim marker) and the outcome (a comment, the outcome label, the claim label
 * removed, the issue closed when done without a pull request). Each write waits for the fence.
 */
import type { Logger } from '../../lib/log.js';
import { formatTaskKey, type TaskKey } from '../../protocol/task-key.js';
import { ForgeError, GitHubApiError, TaskFinishedError } from './errors.js';
import type { GitHubClient } from './github-client.js';
import { AnyObject, Issue, labelNames } from './github-schemas.js';
import {
  IN_PROGRESS_LABEL,
  OUTCOME_LABELS,
  TASK_LABEL,
  claimMarker,
  isOpenTask,
  parseRepoName,
  type RepoName,
} from './names.js';
import type * as port from './types.js';

/** The route parameters of one issue. */
export interface IssueTarget {
  readonly owner: string;
  readonly repo: string;
  readonly issue_number: number;
}

export interface ClaimTarget {
  readonly key: TaskKey;
  readonly target: IssueTarget;
  /** The issue as read just before. */
  readonly issue: Issue;
  /** Who to assign; null for nobody. */
  readonly login: string | null;
}

/** Marks an issue claimed by `options.agent`; a finished one refuses ({@link TaskFinishedError}). */
export async function markIssueClaimed(
  client: GitHubClient,
  logger: Logger,
  { key, target, issue, login }: ClaimTarget,
  options: port.MarkClaimedOptions,
): Promise<void> {
  // GitHub checks no token: the issue read just now narrows the window a late outcome has
  if (!isOpenTask(issue.state === 'closed', labelNames(issue))) throw new TaskFinishedError(key);
  if (login !== null) {
    await options.fence();
    await client
      .send(
        'POST /repos/{owner}/{repo}/issues/{issue_number}/assignees',
        { ...target, assignees: [login] },
        AnyObject,
      )
      .catch((error: unknown) => {
        // The assignee is advice for humans; a token that may not assign still claims.
        logger.warn({ err: error, key }, 'GitHub: could not assign the issue');
      });
  }
  await options.fence();
  await client.send(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
    { ...target, labels: [IN_PROGRESS_LABEL] },
    AnyObject.array(),
  );
  await options.fence();
  const body = `Claimed by bzzz agent \`${options.agent}\`.\n\n${claimMarker(options.agent, options.token)}`;
  await client.send(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { ...target, body },
    AnyObject,
  );
}

/** Reports a task's outcome on its issue. */
export async function reportIssueOutcome(
  client: GitHubClient,
  target: IssueTarget,
  options: port.ReportCompleteOptions,
): Promise<void> {
  const outcome = options.outcome ?? 'done';
  const prNote = options.pr == null ? '' : `\n\nPull request: #${options.pr}`;
  await options.fence();
  const body = `bzzz: **${outcome}** (agent \`${options.agent}\`).\n\n${options.summary}${prNote}`;
  await client.send(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    { ...target, body },
    AnyObject,
  );
  await options.fence();
  await client.send(
    'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
    { ...target, labels: [OUTCOME_LABELS[outcome]] },
    AnyObject.array(),
  );
  await options.fence();
  await client
    .send(
      'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
      { ...target, name: IN_PROGRESS_LABEL },
      AnyObject.array(),
    )
    .catch((error: unknown) => {
      if (!(error instanceof GitHubApiError && error.status === 404)) throw error;
    });
  if (outcome === 'done' && options.pr == null) {
    await options.fence();
    await client.send(
      'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
      { ...target, state: 'closed', state_reason: 'completed' },
      AnyObject,
    );
  }
}

/**
 * The repository a new task goes to: the one named, which must be a watched one (a task
 * elsewhere would never be worked), else the only one watched. A node that watches none of its
 * own (WHOOSH lists its repositories) takes the one named.
 */
export function newTaskRepo(watched: readonly string[], asked: string | undefined): RepoName {
  const list = watched.join(', ');
  if (asked !== undefined) {
    const repo = parseRepoName(asked);
    const full = `${repo.owner}/${repo.name}`.toLowerCase();
    if (watched.length > 0 && !watched.some((w) => w.toLowerCase() === full))
      throw new ForgeError(
        `${repo.owner}/${repo.name} is not a repository this node watches (BZZZ_REPOS: ${list})`,
        {
          retryable: false,
        },
      );
    return repo;
  }
  if (watched.length === 1) return parseRepoName(watched[0]!);
  throw new ForgeError(
    watched.length === 0
      ? 'name the repository (OWNER/NAME)'
      : `name the repository: this node watches ${list}`,
    { retryable: false },
  );
}

/** Opens an issue with the task label (and the labels asked for); its task key. */
export async function createTaskIssue(
  client: GitHubClient,
  repo: RepoName,
  input: { title: string; body?: string; labels?: string[] },
): Promise<TaskKey> {
  const labels = [...new Set([TASK_LABEL, ...(input.labels ?? [])])];
  const issue = await client.send(
    'POST /repos/{owner}/{repo}/issues',
    { owner: repo.owner, repo: repo.name, title: input.title, body: input.body ?? '', labels },
    Issue,
  );
  return formatTaskKey({ forge: 'github', owner: repo.owner, repo: repo.name, number: issue.number });
}
