/**
 * Names and markers shared by every forge: repository names, the deterministic task branch
 * `bzzz/task-<number>` and the rule that nothing outside `bzzz/` is ever pushed, the labels
 * bzzz puts on issues, the hidden markers in its comments, and how a task's lifecycle state
 * is read back from what the forge shows.
 */
import type { TaskState as LifecycleState } from '../../protocol/fields.js';
import { parseTaskKey, type TaskKey, type TaskRef } from '../../protocol/task-key.js';
import { ForbiddenBranchError, InvalidRepoNameError } from './errors.js';
import type { PullRequest, PullRequestRef } from './pull-request.js';

/** Issues carrying this label are tasks. */
export const TASK_LABEL = 'bzzz-task';
/** Put on an issue once an agent holds its lease (advice for humans). */
export const IN_PROGRESS_LABEL = 'in-progress';
/** Outcome labels put by `reportComplete`. */
export const OUTCOME_LABELS = {
  done: 'bzzz-done',
  failed: 'bzzz-failed',
  escalated: 'bzzz-escalated',
} as const;

/** How a task ended, as reported to the forge. */
export type TaskOutcome = keyof typeof OUTCOME_LABELS;

/**
 * The effects a forge fences by token, as named in its effect log and its refusals (known in
 * advance, so a counter per effect can start at 0).
 */
export const FENCED_EFFECTS = ['claim', 'push', 'pull-request', 'report'] as const;
export type FencedEffect = (typeof FENCED_EFFECTS)[number];

/** A task's state as the forge records it: the lifecycle of SPEC §8 (`bzzz task list` shows it). */
export type TaskState = LifecycleState;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A repository name split in two. */
export interface RepoName {
  owner: string;
  name: string;
  /** `owner/name` */
  full: string;
}

/** Parses `OWNER/NAME`; throws {@link InvalidRepoNameError}. Names ending in `.git` are refused. */
export function parseRepoName(input: string): RepoName {
  const parts = input.split('/');
  if (parts.length !== 2) throw new InvalidRepoNameError(input);
  const [owner, name] = parts as [string, string];
  if (!NAME.test(owner) || !NAME.test(name) || name.endsWith('.git') || owner.endsWith('.git')) {
    throw new InvalidRepoNameError(input);
  }
  return { owner, name, full: `${owner}/${name}` };
}

/** The deterministic branch of a task: `bzzz/task-<number>`. */
export function taskBranch(key: TaskKey): string {
  return `bzzz/task-${parseTaskKey(key).number}`;
}

/** The `OWNER/NAME` of a task's repository. */
export function taskRepo(ref: TaskRef): string {
  return `${ref.owner}/${ref.repo}`;
}

const REF_CHUNK = /^[A-Za-z0-9._-]+$/;

/**
 * Throws {@link ForbiddenBranchError} unless `branch` lies under `bzzz/` and is a plain,
 * safe ref name (no `..`, no leading dash or dot, no lock suffix).
 */
export function assertPushableBranch(branch: string): void {
  const chunks = branch.split('/');
  const ok =
    chunks.length >= 2 &&
    chunks[0] === 'bzzz' &&
    branch.length <= 200 &&
    chunks.every(
      (c) => REF_CHUNK.test(c) && !c.startsWith('.') && !c.startsWith('-') && !c.endsWith('.lock'),
    ) &&
    !branch.includes('..');
  if (!ok) throw new ForbiddenBranchError(branch);
}

/** The hidden marker of a claim comment; `holderFromComments` reads it back. */
export function claimMarker(agent: string, token: string | number): string {
  return `<!-- bzzz:claim agent=${encodeURIComponent(agent)} token=${encodeURIComponent(String(token))} -->`;
}

const CLAIM = /<!-- bzzz:claim agent=([^\s]+) token=([^\s]+) -->/;

/** The agent named by the latest claim comment, or null. */
export function holderFromComments(bodies: readonly string[]): string | null {
  for (let i = bodies.length - 1; i >= 0; i--) {
    const m = CLAIM.exec(bodies[i] ?? '');
    if (m !== null) {
      try {
        return decodeURIComponent(m[1] ?? '');
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** What the forge shows of a task, enough to tell its lifecycle state. */
export interface ForgeMarks {
  closed: boolean;
  labels: readonly string[];
  claimed: boolean;
  hasPullRequest: boolean;
}

/** The lifecycle state a forge's markers imply (the lease store knows better while it runs). */
export function stateFromMarks(marks: ForgeMarks): TaskState {
  if (marks.labels.includes(OUTCOME_LABELS.done)) return 'done';
  if (marks.labels.includes(OUTCOME_LABELS.escalated)) return 'escalated';
  if (marks.labels.includes(OUTCOME_LABELS.failed)) return 'failed';
  if (marks.closed) return 'done';
  if (marks.hasPullRequest) return 'publishing';
  if (marks.claimed || marks.labels.includes(IN_PROGRESS_LABEL)) return 'claimed';
  return 'discovered';
}

/** True when a task still wants an agent: open and without an outcome label. */
export function isOpenTask(closed: boolean, labels: readonly string[]): boolean {
  return !closed && !Object.values(OUTCOME_LABELS).some((l) => labels.includes(l));
}

/** The open pull request if there is one, else the newest. */
export function pickPull(prs: readonly PullRequest[]): PullRequest | null {
  return prs.find((p) => p.state === 'open') ?? prs.at(-1) ?? null;
}

export function toRef(pr: PullRequest): PullRequestRef {
  return { number: pr.number, url: pr.url, state: pr.state };
}
