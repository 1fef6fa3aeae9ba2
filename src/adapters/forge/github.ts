/**
 * The github forge: tasks are open issues labelled `bzzz-task` in the configured
 * repositories; work goes out as a `bzzz/` branch pushed with the token given to that one git
 * process only, and a pull request looked up (`GET /pulls?head=owner:branch&state=all`) before
 * one is created. Works against GitHub Enterprise through `apiUrl` (`BZZZ_GITHUB_API_URL`).
 */
import { systemClock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { parseTaskKey, type TaskKey, type TaskRef } from '../../protocol/task-key.js';
import { GitHubApiError, RepoNotFoundError, StalePushError, TaskNotFoundError } from './errors.js';
import { authHeaderEnv, pushFrom, remoteHead } from './git.js';
import { GitHubClient } from './github-client.js';
import { createTaskIssue, markIssueClaimed, newTaskRepo, reportIssueOutcome } from './github-issue-writes.js';
import { isClaimedIssue, params, toPull, toRecord, toTask } from './github-mapping.js';
import { Comment, Issue, Pull, Repo, User, labelNames } from './github-schemas.js';
import type * as port from './types.js';
import {
  TASK_LABEL,
  assertPushableBranch,
  holderFromComments,
  isOpenTask,
  parseRepoName,
  pickPull,
  taskBranch,
  type RepoName,
} from './names.js';

export interface GitHubForgeInit {
  /** `BZZZ_GITHUB_TOKEN`: used for the API and given to `git push` only. */
  token: string;
  /** `BZZZ_GITHUB_API_URL`; `https://api.github.com` by default. */
  apiUrl?: string;
  /** The repositories (`OWNER/NAME`) whose issues are tasks. */
  repos: string[];
  /** Who is assigned on claim: a login, null for nobody, or the token's own user by default. */
  assignee?: string | null;
  requestTimeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  rateLimitRetries?: number;
  maxRateLimitWaitMs?: number;
  writeIntervalMs?: number;
}

const ISSUES = 'GET /repos/{owner}/{repo}/issues';

export class GitHubForge implements port.Forge {
  readonly kind = 'github' as const;
  readonly #client: GitHubClient;
  readonly #init: GitHubForgeInit;
  readonly #logger: Logger;
  readonly #components: port.ForgeComponents;
  #login: Promise<string | null> | undefined;

  constructor(init: GitHubForgeInit, components: port.ForgeComponents) {
    this.#init = init;
    this.#logger = components.logger;
    this.#components = components;
    for (const r of init.repos) parseRepoName(r);
    this.#client = new GitHubClient({
      token: init.token,
      baseUrl: (init.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
      requestTimeoutMs: init.requestTimeoutMs ?? 30_000,
      retries: init.retries ?? 3,
      retryBaseMs: init.retryBaseMs ?? 1000,
      rateLimitRetries: init.rateLimitRetries ?? 2,
      maxRateLimitWaitMs: init.maxRateLimitWaitMs ?? 60_000,
      writeIntervalMs: init.writeIntervalMs ?? 1000,
      logger: components.logger,
      clock: components.clock ?? systemClock,
    });
  }

  /** The primary quota as GitHub last stated it. */
  quota(): { limit: number; remaining: number; resetAt: number } | null {
    return this.#client.quota();
  }

  async listRepos(): Promise<port.ForgeRepo[]> {
    return Promise.all(this.#init.repos.map((r) => this.#repo(parseRepoName(r))));
  }

  async cloneUrl(repo: string): Promise<string> {
    return (await this.#repo(parseRepoName(repo))).cloneUrl;
  }

  async listOpenTasks(repo?: string): Promise<port.ForgeTask[]> {
    const out: port.ForgeTask[] = [];
    for (const name of this.#repoNames(repo)) {
      const issues = await this.#client.getAll(
        ISSUES,
        { ...params(name), labels: TASK_LABEL, state: 'open', per_page: 100 },
        Issue,
      );
      for (const issue of issues) {
        if (issue.pull_request === undefined && isOpenTask(issue.state === 'closed', labelNames(issue)))
          out.push(toTask(name, issue));
      }
    }
    return out;
  }

  async getTask(key: TaskKey): Promise<port.ForgeTask> {
    const { repo, issue } = await this.#issue(key);
    return toTask(repo, issue);
  }

  async taskRecords(repo?: string): Promise<port.TaskRecord[]> {
    const out: port.TaskRecord[] = [];
    for (const name of this.#repoNames(repo)) {
      const issues = await this.#client.getAll(
        ISSUES,
        { ...params(name), labels: TASK_LABEL, state: 'all', per_page: 100 },
        Issue,
      );
      const pulls = await this.#client.getAll(
        'GET /repos/{owner}/{repo}/pulls',
        { ...params(name), state: 'all', per_page: 100 },
        Pull,
      );
      for (const issue of issues) {
        if (issue.pull_request === undefined) out.push(await this.#record(name, issue, pulls));
      }
    }
    return out;
  }

  async taskRecord(key: TaskKey): Promise<port.TaskRecord> {
    const { repo, issue } = await this.#issue(key);
    return this.#record(repo, issue, await this.#pullsOf(repo, taskBranch(key)));
  }

  async createTask(input: port.NewTaskInput): Promise<TaskKey> {
    return createTaskIssue(this.#client, newTaskRepo(this.#init.repos, input.repo), input);
  }

  async markClaimed(key: TaskKey, options: port.MarkClaimedOptions): Promise<void> {
    const { repo, ref, issue } = await this.#issue(key);
    const target = { ...params(repo), issue_number: ref.number };
    await markIssueClaimed(
      this.#client,
      this.#logger,
      { key, target, issue, login: await this.#assignee() },
      options,
    );
  }

  async pushBranch(options: port.PushBranchOptions): Promise<port.PushResult> {
    assertPushableBranch(options.branch);
    const { repo } = this.#ref(options.key);
    const remote = (await this.#repo(repo)).cloneUrl;
    await options.fence();
    const commit = await pushFrom({
      from: options.from,
      sourceRef: options.sourceRef ?? `refs/heads/${options.branch}`,
      branch: options.branch,
      remote,
      pushEnv: authHeaderEnv(this.#init.token),
      secrets: [this.#init.token],
      // the server's compare-and-swap: refused once anyone else pushed since the lease was won
      ...(options.expectedHead === undefined ? {} : { expectedHead: options.expectedHead }),
    }).catch((error: unknown) => {
      if (error instanceof StalePushError) this.#components.onFencedRejection?.('push');
      throw error;
    });
    return { branch: options.branch, commit };
  }

  async branchLease(key: TaskKey): Promise<port.BranchLease> {
    const { repo } = this.#ref(key);
    const remote = (await this.#repo(repo)).cloneUrl;
    const head = await remoteHead(remote, taskBranch(key), {
      env: authHeaderEnv(this.#init.token),
      secrets: [this.#init.token],
    });
    return { head };
  }

  async findPullRequest(query: port.PullRequestQuery): Promise<port.PullRequest | null> {
    const { repo, branch } =
      'key' in query
        ? { repo: this.#ref(query.key).repo, branch: taskBranch(query.key) }
        : { repo: parseRepoName(query.repo), branch: query.branch };
    return pickPull((await this.#pullsOf(repo, branch)).map((p) => toPull(repo, p)));
  }

  async listPullRequests(key: TaskKey): Promise<port.PullRequest[]> {
    const { repo } = this.#ref(key);
    return (await this.#pullsOf(repo, taskBranch(key))).map((p) => toPull(repo, p));
  }

  async openPullRequest(
    options: port.OpenPullRequestOptions,
  ): Promise<{ pr: port.PullRequest; created: boolean }> {
    assertPushableBranch(options.branch);
    const { repo, ref } = this.#ref(options.key);
    const existing = await this.findPullRequest({ repo: repo.full, branch: options.branch });
    if (existing !== null) return { pr: existing, created: false };
    const base = (await this.#repo(repo)).defaultBranch;
    const body = `${options.body}\n\nCloses #${ref.number}\n\n<!-- bzzz:task ${options.key} -->`;
    await options.fence();
    try {
      const pull = await this.#client.send(
        'POST /repos/{owner}/{repo}/pulls',
        { ...params(repo), title: options.title, head: options.branch, base, body },
        Pull,
      );
      return { pr: toPull(repo, pull), created: true };
    } catch (error) {
      // 422: one exists already (opened by a run that crashed before it could record it).
      if (error instanceof GitHubApiError && error.status === 422) {
        const again = await this.findPullRequest({ repo: repo.full, branch: options.branch });
        if (again !== null) return { pr: again, created: false };
      }
      throw error;
    }
  }

  async reportComplete(key: TaskKey, options: port.ReportCompleteOptions): Promise<void> {
    const { repo, ref } = this.#ref(key);
    await reportIssueOutcome(this.#client, { ...params(repo), issue_number: ref.number }, options);
  }

  async #record(repo: RepoName, issue: Issue, pulls: Pull[]): Promise<port.TaskRecord> {
    // Comments are read only for claimed tasks: an unclaimed one has no holder to show.
    const holder = isClaimedIssue(issue)
      ? holderFromComments(await this.#comments(repo, issue.number))
      : null;
    return toRecord(repo, issue, pulls, holder);
  }

  async #comments(repo: RepoName, number: number): Promise<string[]> {
    const comments = await this.#client.getAll(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { ...params(repo), issue_number: number, per_page: 100 },
      Comment,
    );
    return comments.map((c) => c.body ?? '');
  }

  async #pullsOf(repo: RepoName, branch: string): Promise<Pull[]> {
    const pulls = await this.#client.getAll(
      'GET /repos/{owner}/{repo}/pulls',
      { ...params(repo), head: `${repo.owner}:${branch}`, state: 'all', per_page: 100 },
      Pull,
    );
    return pulls.filter((p) => p.head.ref === branch).sort((a, b) => a.number - b.number);
  }

  async #repo(repo: RepoName): Promise<port.ForgeRepo> {
    try {
      const data = await this.#client.get('GET /repos/{owner}/{repo}', params(repo), Repo);
      return { name: repo.full, cloneUrl: data.clone_url, defaultBranch: data.default_branch };
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 404)
        throw new RepoNotFoundError(repo.full, { cause: error });
      throw error;
    }
  }

  async #issue(key: TaskKey): Promise<{ repo: RepoName; ref: TaskRef; issue: Issue }> {
    const { repo, ref } = this.#ref(key);
    try {
      const issue = await this.#client.get(
        'GET /repos/{owner}/{repo}/issues/{issue_number}',
        { ...params(repo), issue_number: ref.number },
        Issue,
      );
      if (issue.pull_request !== undefined) throw new TaskNotFoundError(key);
      return { repo, ref, issue };
    } catch (error) {
      if (error instanceof GitHubApiError && (error.status === 404 || error.status === 410))
        throw new TaskNotFoundError(key, { cause: error });
      throw error;
    }
  }

  #ref(key: TaskKey): { repo: RepoName; ref: TaskRef } {
    const ref = parseTaskKey(key);
    if (ref.forge !== 'github') throw new TaskNotFoundError(key);
    return { repo: parseRepoName(`${ref.owner}/${ref.repo}`), ref };
  }

  #repoNames(repo?: string): RepoName[] {
    return (repo === undefined ? this.#init.repos : [repo]).map(parseRepoName);
  }

  #assignee(): Promise<string | null> {
    if (this.#init.assignee !== undefined) return Promise.resolve(this.#init.assignee);
    this.#login ??= this.#client.get('GET /user', {}, User).then(
      (u) => u.login,
      (error: unknown) => {
        this.#logger.warn({ err: error }, 'GitHub: cannot read the token user; claims will not assign');
        return null;
      },
    );
    return this.#login;
  }
}
