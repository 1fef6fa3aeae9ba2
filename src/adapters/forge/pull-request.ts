/** A pull request as every forge reports it, apart from types.ts so names.ts reads it without a cycle. */

/** A pull request as the forge shows it. */
export interface PullRequest {
  number: number;
  url: string;
  /** `OWNER/NAME` */
  repo: string;
  title: string;
  /** Head branch (`bzzz/task-<n>`). */
  head: string;
  /** Base branch (the default branch). */
  base: string;
  /** Head commit when the pull request was last seen, if known. */
  headSha: string | null;
  state: 'open' | 'closed' | 'merged';
}

/** A pull request as a task record names it. */
export interface PullRequestRef {
  number: number;
  url: string;
  state: PullRequest['state'];
}
