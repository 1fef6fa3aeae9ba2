/**
 * The local forge: a directory of bare git repositories with task and pull-request records
 * as JSON files beside them (see `local-store.ts`), shared safely by several processes on one
 * machine. It is the forge of the embedded default (`bzzz up`) and of `bzzz repo|task`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../../lib/log.js';
import { formatTaskKey, parseTaskKey, type TaskKey } from '../../protocol/task-key.js';
import { RepoExistsError, RepoNotFoundError, TaskNotFoundError } from './errors.js';
import { readRefFile } from './git.js';
import { EffectLog, repoLock, type TaskSlot } from './local-effects.js';
import { toPull, toRecord, toTask } from './local-mapping.js';
import { compareAndSwapBranch, dropIncoming, fetchIncoming } from './local-push.js';
import { createRepo, defaultBranch, repoExists, taskBranches } from './local-repos.js';
import type * as port from './types.js';
import { LocalStore, type TaskFile } from './local-store.js';
import { claimChange, openPull, reportChange, updateTask, type LocalWriter } from './local-writes.js';
import {
  TASK_LABEL,
  assertPushableBranch,
  isOpenTask,
  parseRepoName,
  pickPull,
  taskBranch,
  type RepoName,
} from './names.js';

export interface LocalForgeInit {
  /** The forge directory (`BZZZ_FORGE_DIR`, default `<data dir>/forge`). */
  dir: string;
  /**
   * FOR TESTS ONLY: false turns off the refusal of stale tokens (effects are still logged),
   * so a test can prove its checker catches the violations that follow. True by default.
   */
  checkTokens?: boolean;
  /** FOR TESTS ONLY: delay of each effect on its way to the forge (see `EffectLog.send`). */
  latencyMs?: number;
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
  readonly #effects: EffectLog;
  readonly #writer: LocalWriter;

  constructor(init: LocalForgeInit, components: port.ForgeComponents) {
    this.#logger = components.logger;
    this.#store = new LocalStore(resolve(init.dir), components.logger);
    this.#effects = new EffectLog(this.#store, {
      checkTokens: init.checkTokens ?? true,
      latencyMs: init.latencyMs ?? 0,
      onRejected: (effect, error) => {
        // the refusal is the forge's to tell: the actor that sent the effect may be gone
        components.logger.warn(
          { task: error.task, effect, token: error.token, highest: error.highest },
          'stale effect refused',
        );
        components.onFencedRejection?.(effect);
      },
    });
    this.#writer = { store: this.#store, effects: this.#effects };
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
    return this.#store.withLock(repoLock(repo), async () => {
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

  /** {@link addTask}, as the port names it. */
  createTask(input: NewTask): Promise<TaskKey> {
    return this.addTask(input);
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
      for (const task of await this.#store.listTasks(repo)) {
        const effects = await this.#effects.read(repo, task.number);
        out.push(toRecord(this.#store, repo, task, pulls, branches, effects));
      }
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
      await this.#effects.read(repo, task.number),
    );
  }

  async markClaimed(key: TaskKey, options: port.MarkClaimedOptions): Promise<void> {
    await updateTask(this.#writer, await this.#slot(key), 'claim', options, claimChange(key, options));
  }

  async pushBranch(options: port.PushBranchOptions): Promise<port.PushResult> {
    assertPushableBranch(options.branch);
    const slot = await this.#slot(options.key);
    const bare = this.#store.bareRepo(slot.repo);
    // the forge's repository is a directory: a fetch run in it brings the objects, then the
    // branch moves by compare-and-swap under the lock, after the agent's check and the token's
    const incoming = await fetchIncoming(
      bare,
      options.from,
      options.sourceRef ?? `refs/heads/${options.branch}`,
    );
    try {
      return await this.#effects.fenced(slot, 'push', options, async () => {
        await compareAndSwapBranch(bare, options.branch, incoming, options.expectedHead);
        return { result: { branch: options.branch, commit: incoming.commit }, sha: incoming.commit };
      });
    } catch (error) {
      // refused: the transaction that would have dropped the private ref did not run
      await dropIncoming(bare, incoming);
      throw error;
    }
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
    return openPull(this.#writer, await this.#slot(options.key), options);
  }

  async reportComplete(key: TaskKey, options: port.ReportCompleteOptions): Promise<void> {
    await updateTask(this.#writer, await this.#slot(key), 'report', options, reportChange(options));
  }

  async branchHead(name: string, branch: string): Promise<string | null> {
    const repo = await this.#existingRepo(name);
    return readRefFile(this.#store.bareRepo(repo), `refs/heads/${branch}`);
  }

  async branchLease(key: TaskKey): Promise<port.BranchLease> {
    const { repo } = await this.#requireTask(key);
    return { head: await readRefFile(this.#store.bareRepo(repo), `refs/heads/${taskBranch(key)}`) };
  }

  async #slot(key: TaskKey): Promise<TaskSlot> {
    const { repo, number } = await this.#requireTask(key);
    return { key, repo, number };
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
}
