/**
 * The local forge: a directory of bare git repositories with task and pull-request records
 * as JSON files beside them (see `local-store.ts`), shared safely by several processes on one
 * machine. It is the forge of the embedded default (`bzzz up`) and of `bzzz repo|task`.
 */
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ulid } from 'ulid';
import type { Logger } from '../../lib/log.js';
import { formatTaskKey, parseTaskKey, type TaskKey } from '../../protocol/task-key.js';
import { BranchNotFoundError, RepoExistsError, RepoNotFoundError, TaskNotFoundError } from './errors.js';
import { branchCommit, fetchInto, git, headBranch, initBareWithCommit, readRefFile } from './git.js';
import type * as port from './types.js';
import { LocalStore, type PullFile, type TaskFile } from './local-store.js';
import {
  IN_PROGRESS_LABEL,
  OUTCOME_LABELS,
  TASK_LABEL,
  assertPushableBranch,
  claimMarker,
  holderFromComments,
  isOpenTask,
  parseRepoName,
  pickPull,
  stateFromMarks,
  toRef,
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
    const created = await this.#createRepo(repo, options.from);
    if (!created) throw new RepoExistsError(repo.full);
    this.#logger.info({ repo: repo.full, from: options.from }, 'local forge: repository added');
    return this.#repoInfo(repo);
  }

  /** Adds a task (creating its repository when unknown) and returns its key. */
  async addTask(input: NewTask): Promise<TaskKey> {
    const repo = parseRepoName(input.repo ?? DEFAULT_LOCAL_REPO);
    await this.#createRepo(repo);
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
          out.push(this.#toTask(repo, task));
      }
    }
    return out;
  }

  async getTask(key: TaskKey): Promise<port.ForgeTask> {
    const { repo, task } = await this.#requireTask(key);
    return this.#toTask(repo, task);
  }

  async taskRecords(name?: string): Promise<port.TaskRecord[]> {
    const out: port.TaskRecord[] = [];
    for (const repo of await this.#repos(name)) {
      const pulls = await this.#store.listPulls(repo);
      const branches = await this.#branches(repo);
      for (const task of await this.#store.listTasks(repo))
        out.push(this.#toRecord(repo, task, pulls, branches));
    }
    return out;
  }

  async taskRecord(key: TaskKey): Promise<port.TaskRecord> {
    const { repo, task } = await this.#requireTask(key);
    return this.#toRecord(repo, task, await this.#store.listPulls(repo), await this.#branches(repo));
  }

  async markClaimed(key: TaskKey, options: port.MarkClaimedOptions): Promise<void> {
    await this.#updateTask(key, options.fence, (task) => {
      task.assignees = [...new Set([...task.assignees, options.agent])];
      task.labels = [...new Set([...task.labels, IN_PROGRESS_LABEL])];
      task.comments.push(
        this.#comment(
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
    if (!(await this.#exists(repo))) throw new RepoNotFoundError(repo.full);
    return pickPull(
      (await this.#store.listPulls(repo)).filter((p) => p.head === branch).map((p) => this.#toPull(repo, p)),
    );
  }

  async listPullRequests(key: TaskKey): Promise<port.PullRequest[]> {
    const { repo } = await this.#requireTask(key);
    const branch = taskBranch(key);
    return (await this.#store.listPulls(repo))
      .filter((p) => p.head === branch)
      .map((p) => this.#toPull(repo, p));
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
          .map((p) => this.#toPull(repo, p)),
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
      return { pr: this.#toPull(repo, pull), created: true };
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
        this.#comment(
          options.agent,
          `bzzz: ${outcome} (agent ${options.agent}).\n\n${options.summary}${prNote}`,
        ),
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

  /** Creates the repository unless it exists; true when it created it. */
  async #createRepo(repo: RepoName, from?: string): Promise<boolean> {
    if (await this.#exists(repo)) return false;
    return this.#store.withLock('forge', async () => {
      if (await this.#exists(repo)) return false;
      const scratch = join(this.#store.dir, '.meta', 'tmp', `${ulid()}.git`);
      await mkdir(join(scratch, '..'), { recursive: true });
      try {
        if (from === undefined) await initBareWithCommit(scratch, repo.full);
        else await git(['clone', '--quiet', '--bare', '--', isUrl(from) ? from : resolve(from), scratch]);
        await mkdir(join(this.#store.dir, repo.owner), { recursive: true });
        await rename(scratch, this.#store.bareRepo(repo));
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
      return true;
    });
  }

  async #exists(repo: RepoName): Promise<boolean> {
    try {
      await access(join(this.#store.bareRepo(repo), 'HEAD'));
      return true;
    } catch {
      return false;
    }
  }

  async #existingRepo(name: string): Promise<RepoName> {
    const repo = parseRepoName(name);
    if (!(await this.#exists(repo))) throw new RepoNotFoundError(repo.full);
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

  /** Every `bzzz/` branch of a repository. */
  async #branches(repo: RepoName): Promise<Set<string>> {
    const out = await git(['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/bzzz/'], {
      cwd: this.#store.bareRepo(repo),
    });
    return new Set(out.split('\n').filter((l) => l !== ''));
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

  #comment(author: string, body: string): TaskFile['comments'][number] {
    return { author, body, at: new Date().toISOString() };
  }

  #toTask(repo: RepoName, task: TaskFile): port.ForgeTask {
    return {
      key: formatTaskKey({ forge: 'local', owner: repo.owner, repo: repo.name, number: task.number }),
      repo: repo.full,
      number: task.number,
      title: task.title,
      body: task.body,
      labels: [...task.labels],
      state: task.state,
      url: pathToFileURL(this.#store.taskPath(repo, task.number)).href,
    };
  }

  #toPull(repo: RepoName, pull: PullFile): port.PullRequest {
    return {
      number: pull.number,
      url: pathToFileURL(this.#store.pullPath(repo, pull.number)).href,
      repo: repo.full,
      title: pull.title,
      head: pull.head,
      base: pull.base,
      headSha: pull.headSha,
      state: pull.state,
    };
  }

  #toRecord(repo: RepoName, task: TaskFile, pulls: PullFile[], branches: Set<string>): port.TaskRecord {
    const forgeTask = this.#toTask(repo, task);
    const branch = taskBranch(forgeTask.key);
    const prs = pulls.filter((p) => p.head === branch).map((p) => this.#toPull(repo, p));
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
    };
  }
}

async function defaultBranch(bare: string): Promise<string> {
  const head = await headBranch(bare);
  if (head !== undefined) return head;
  return (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: bare }).catch(() => 'main')).trim() || 'main';
}

function isUrl(from: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^[^/]+@[^/]+:/.test(from);
}
