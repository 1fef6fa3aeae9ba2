/**
 * The local forge: a directory of bare git repositories with task and pull-request records
 * as JSON files beside them (see `local-store.ts`), shared safely by several processes on one
 * machine. It is the forge of the embedded default (`bzzz up`) and of `bzzz repo|task`.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../../lib/log.js';
import { formatTaskKey, parseTaskKey, type TaskKey } from '../../protocol/task-key.js';
import { BranchNotFoundError, RepoExistsError, RepoNotFoundError, TaskNotFoundError } from './errors.js';
import { branchCommit, fetchInto, readRefFile } from './git.js';
import { comment, toPull, toRecord, toTask } from './local-mapping.js';
import { createRepo, defaultBranch, repoExists, taskBranches } from './local-repos.js';
import type * as port from './types.js';
import { LocalStore, type PullFile, type TaskFile } from './local-store.js';
import {
  IN_PROGRESS_LABEL,
  OUTCOME_LABELS,
  TASK_LABEL,
  assertPushableBranch,
  claimMarker,
  isOpenTask,
  parseRepoName,
  pickPull,
  taskBranch,
  type RepoName,
} from './names.js';

export interface LocalForgeInit {
  /** The forge directory (`BZZZ_FORGE_DIR`, default `<data dir>/forge`). */
  dir: string;
}

/** Input of {@link LocalForge.addTask}. */
export interface NewTask {
  title: string;
  body?: string;
  /** `OWNER/NAME`; `demo/app` by default. Created with an initial commit when unknown. */
  repo?: string;
  /** Extra labels; `bzzz-task` is always added. */
  labels?: string[];
}

/** The repository `task add` uses when none is named. */
export const DEFAULT_LOCAL_REPO = 'demo/app';

export class LocalForge implements port.Forge {
  readonly kind = 'local' as const;
  readonly #store: LocalStore;
  readonly #logger: Logger;

  constructor(init: LocalForgeInit, components: port.ForgeComponents) {
    this.#logger = components.logger;
    this.#store = new LocalStore(resolve(init.dir), components.logger);
  }

  /** The forge directory. */
  get dir(): string {
    return this.#store.dir;
  }

  /**
   * Adds a repository: a bare clone of `from` (a path or git URL), or a new one with an
   * initial commit on `main`. Throws {@link RepoExistsError} when it is already there.
   */
  async addRepo(name: string, options: { from?: string } = {}): Promise<port.ForgeRepo> {
    const repo = parseRepoName(name);
    const created = await createRepo(this.#store, repo, options.from);
    if (!created) throw new RepoExistsError(repo.full);
    this.#logger.info({ repo: repo.full, from: options.from }, 'local forge: repository added');
    return this.#repoInfo(repo);
  }

  /** Adds a task (creating its repository when unknown) and returns its key. */
  async addTask(input: NewTask): Promise<TaskKey> {
    const repo = parseRepoName(input.repo ?? DEFAULT_LOCAL_REPO);
    await createRepo(this.#store, repo);
    const labels = [...new Set([TASK_LABEL, ...(input.labels ?? [])])];
    return this.#store.withLock(this.#lockName(repo), async () => {
      const number = await this.#store.allocateNumber(repo);
      const now = new Date().toISOString();
      const task: TaskFile = {
        number,
        title: input.title,
        body: input.body ?? '',
        labels,
        state: 'open',
        assignees: [],
        comments: [],
        createdAt: now,
        updatedAt: now,
      };
      await this.#store.writeJson(this.#store.taskPath(repo, number), task);
      return formatTaskKey({ forge: 'local', owner: repo.owner, repo: repo.name, number });
    });
  }

  async listRepos(): Promise<port.ForgeRepo[]> {
    const dirs = await this.#store.listRepoDirs();
    return Promise.all(dirs.map((d) => this.#repoInfo(parseRepoName(`${d.owner}/${d.name}`))));
  }

  async cloneUrl(name: string): Promise<string> {
    const repo = await this.#existingRepo(name);
    return pathToFileURL(this.#store.bareRepo(repo)).href;
  }

  async listOpenTasks(name?: string): Promise<port.ForgeTask[]> {
    const out: port.ForgeTask[] = [];
    for (const repo of await this.#repos(name)) {
      for (const task of await this.#store.listTasks(repo)) {
        if (task.labels.includes(TASK_LABEL) && isOpenTask(task.state === 'closed', task.labels))
          out.push(toTask(this.#store, repo, task));
      }
    }
    return out;
  }

  async getTask(key: TaskKey): Promise<port.ForgeTask> {
    const { repo, task } = await this.#requireTask(key);
    return toTask(this.#store, repo, task);
  }

  async taskRecords(name?: string): Promise<port.TaskRecord[]> {
    const out: port.TaskRecord[] = [];
    for (const repo of await this.#repos(name)) {
      const pulls = await this.#store.listPulls(repo);
      const branches = await taskBranches(this.#store, repo);
      for (const task of await this.#store.listTasks(repo))
        out.push(toRecord(this.#store, repo, task, pulls, branches));
    }
    return out;
  }

  async taskRecord(key: TaskKey): Promise<port.TaskRecord> {
    const { repo, task } = await this.#requireTask(key);
    return toRecord(
      this.#store,
      repo,
      task,
      await this.#store.listPulls(repo),
      await taskBranches(this.#store, repo),
    );
  }

  async markClaimed(key: TaskKey, options: port.MarkClaimedOptions): Promise<void> {
    await this.#updateTask(key, options.fence, (task) => {
      task.assignees = [...new Set([...task.assignees, options.agent])];
      task.labels = [...new Set([...task.labels, IN_PROGRESS_LABEL])];
      task.comments.push(
        comment(
          options.agent,
          `Claimed by agent ${options.agent}.\n\n${claimMarker(options.agent, options.token)}`,
        ),
      );
    });
  }

  async pushBranch(options: port.PushBranchOptions): Promise<port.PushResult> {
    assertPushableBranch(options.branch);
    const { repo } = await this.#requireTask(options.key);
    await options.fence();
    // the forge's repository is a directory: one fetch run in it is the push
    const commit = await fetchInto({
      from: options.from,
      sourceRef: options.sourceRef ?? `refs/heads/${options.branch}`,
      branch: options.branch,
      repo: this.#store.bareRepo(repo),
    });
    return { branch: options.branch, commit };
  }

  async findPullRequest(query: port.PullRequestQuery): Promise<port.PullRequest | null> {
    const { repo, branch } = this.#pullTarget(query);
    if (!(await repoExists(this.#store, repo))) throw new RepoNotFoundError(repo.full);
    return pickPull(
      (await this.#store.listPulls(repo))
        .filter((p) => p.head === branch)
        .map((p) => toPull(this.#store, repo, p)),
    );
  }

  async listPullRequests(key: TaskKey): Promise<port.PullRequest[]> {
    const { repo } = await this.#requireTask(key);
    const branch = taskBranch(key);
    return (await this.#store.listPulls(repo))
      .filter((p) => p.head === branch)
      .map((p) => toPull(this.#store, repo, p));
  }

  async openPullRequest(
    options: port.OpenPullRequestOptions,
  ): Promise<{ pr: port.PullRequest; created: boolean }> {
    assertPushableBranch(options.branch);
    const { repo } = await this.#requireTask(options.key);
    return this.#store.withLock(this.#lockName(repo), async () => {
      const existing = pickPull(
        (await this.#store.listPulls(repo))
          .filter((p) => p.head === options.branch)
          .map((p) => toPull(this.#store, repo, p)),
      );
      if (existing !== null) return { pr: existing, created: false };
      const bare = this.#store.bareRepo(repo);
      const headSha = await branchCommit(bare, options.branch).catch(() => '');
      if (headSha === '') throw new BranchNotFoundError(repo.full, options.branch);
      const base = await defaultBranch(bare);
      await options.fence();
      const number = await this.#store.allocateNumber(repo);
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
      await this.#store.writeJson(this.#store.pullPath(repo, number), pull);
      return { pr: toPull(this.#store, repo, pull), created: true };
    });
  }

  async reportComplete(key: TaskKey, options: port.ReportCompleteOptions): Promise<void> {
    const outcome = options.outcome ?? 'done';
    const prNote = options.pr == null ? '' : `\n\nPull request: #${options.pr}`;
    await this.#updateTask(key, options.fence, (task) => {
      task.labels = [
        ...new Set([...task.labels.filter((l) => l !== IN_PROGRESS_LABEL), OUTCOME_LABELS[outcome]]),
      ];
      task.comments.push(
        comment(options.agent, `bzzz: ${outcome} (agent ${options.agent}).\n\n${options.summary}${prNote}`),
      );
      if (outcome === 'done' && options.pr == null) task.state = 'closed';
    });
  }

  async branchHead(name: string, branch: string): Promise<string | null> {
    const repo = await this.#existingRepo(name);
    return readRefFile(this.#store.bareRepo(repo), `refs/heads/${branch}`);
  }

  async #updateTask(key: TaskKey, fence: port.Fence, change: (task: TaskFile) => void): Promise<void> {
    const { repo, number } = await this.#requireTask(key);
    await this.#store.withLock(this.#lockName(repo), async () => {
      const task = await this.#store.readTask(repo, number);
      if (task === null) throw new TaskNotFoundError(key);
      change(task);
      task.updatedAt = new Date().toISOString();
      await fence();
      await this.#store.writeJson(this.#store.taskPath(repo, number), task);
    });
  }

  async #existingRepo(name: string): Promise<RepoName> {
    const repo = parseRepoName(name);
    if (!(await repoExists(this.#store, repo))) throw new RepoNotFoundError(repo.full);
    return repo;
  }

  async #repos(name?: string): Promise<RepoName[]> {
    if (name !== undefined) return [await this.#existingRepo(name)];
    return (await this.#store.listRepoDirs()).map((d) => parseRepoName(`${d.owner}/${d.name}`));
  }

  async #repoInfo(repo: RepoName): Promise<port.ForgeRepo> {
    const bare = this.#store.bareRepo(repo);
    return { name: repo.full, cloneUrl: pathToFileURL(bare).href, defaultBranch: await defaultBranch(bare) };
  }

  async #requireTask(key: TaskKey): Promise<{ repo: RepoName; number: number; task: TaskFile }> {
    const ref = parseTaskKey(key);
    if (ref.forge !== 'local') throw new TaskNotFoundError(key);
    const repo = parseRepoName(`${ref.owner}/${ref.repo}`);
    const task = await this.#store.readTask(repo, ref.number);
    if (task === null) throw new TaskNotFoundError(key);
    return { repo, number: ref.number, task };
  }

  #pullTarget(query: port.PullRequestQuery): { repo: RepoName; branch: string } {
    if ('key' in query) {
      const ref = parseTaskKey(query.key);
      return { repo: parseRepoName(`${ref.owner}/${ref.repo}`), branch: taskBranch(query.key) };
    }
    return { repo: parseRepoName(query.repo), branch: query.branch };
  }

  #lockName(repo: RepoName): string {
    return join(repo.owner, repo.name);
  }
}
