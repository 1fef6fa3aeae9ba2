/**
 * What the github forge reads, mapped to the forge port's shapes: an issue to a task or a task
 * record (its state from labels, claim comments and pull requests), a pull to a pull request.
 */
import { formatTaskKey } from '../../protocol/task-key.js';
import { labelNames, type Issue, type Pull } from './github-schemas.js';
import {
  IN_PROGRESS_LABEL,
  OUTCOME_LABELS,
  pickPull,
  stateFromMarks,
  taskBranch,
  toRef,
  type RepoName,
} from './names.js';
import type * as port from './types.js';

/** The `{ owner, repo }` every repository route takes. */
export function params(repo: RepoName): { owner: string; repo: string } {
  return { owner: repo.owner, repo: repo.name };
}

/** An issue as the forge port shows a task. */
export function toTask(repo: RepoName, issue: Issue): port.ForgeTask {
  return {
    key: formatTaskKey({ forge: 'github', owner: repo.owner, repo: repo.name, number: issue.number }),
    repo: repo.full,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    labels: labelNames(issue),
    state: issue.state,
    url: issue.html_url,
  };
}

/** A pull request as the forge port shows it. */
export function toPull(repo: RepoName, pull: Pull): port.PullRequest {
  return {
    number: pull.number,
    url: pull.html_url,
    repo: repo.full,
    title: pull.title,
    head: pull.head.ref,
    base: pull.base.ref,
    headSha: pull.head.sha ?? null,
    state: pull.merged_at != null ? 'merged' : pull.state,
  };
}

/** An issue a claim or an outcome was marked on (whose comments name a holder). */
export function isClaimedIssue(issue: Issue): boolean {
  const labels = labelNames(issue);
  return labels.includes(IN_PROGRESS_LABEL) || Object.values(OUTCOME_LABELS).some((l) => labels.includes(l));
}

/** The task record of an issue, given the pulls of its repository and the holder its comments name. */
export function toRecord(
  repo: RepoName,
  issue: Issue,
  pulls: readonly Pull[],
  holder: string | null,
): port.TaskRecord {
  const key = formatTaskKey({ forge: 'github', owner: repo.owner, repo: repo.name, number: issue.number });
  const branch = taskBranch(key);
  const prs = pulls
    .filter((p) => p.head.ref === branch)
    .sort((a, b) => a.number - b.number)
    .map((p) => toPull(repo, p));
  const pr = pickPull(prs);
  return {
    key,
    title: issue.title,
    state: stateFromMarks({
      closed: issue.state === 'closed',
      labels: labelNames(issue),
      claimed: holder !== null,
      hasPullRequest: pr !== null,
    }),
    holder,
    branch: pr === null ? null : branch,
    pr: pr === null ? null : toRef(pr),
    prs: prs.map(toRef),
  };
}
