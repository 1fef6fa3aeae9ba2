/**
 * WHOOSH as a source of tasks and a place to report to (the original coordinator's API):
 * the active, bzzz-enabled repositories and their open, unclaimed `bzzz-task` issues become
 * announcements (task keys `github:<owner>/<repo>#<n>`); after an agent wins the lease it
 * claims the task on WHOOSH too, and every outcome is reported with a status update. Like the
 * forge's markers, WHOOSH is told only after the lease is won: the lease is the truth.
 */
import type { WhooshClient } from '../adapters/whoosh/index.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { TaskAnnouncement } from '../protocol/messages/tasks.js';
import { formatTaskKey } from '../protocol/task-key.js';

const TASK_LABEL = 'bzzz-task';

export class WhooshTracker {
  /** Task key → WHOOSH project and issue number, for claims and status updates. */
  readonly #projects = new Map<string, { projectId: number; number: number }>();

  constructor(
    private readonly client: WhooshClient,
    private readonly logger: Logger,
  ) {}

  /** Open, unclaimed tasks of every active repository WHOOSH lists. */
  async tasks(): Promise<TaskAnnouncement[]> {
    const out: TaskAnnouncement[] = [];
    for (const repo of await this.client.activeRepos()) {
      if (!repo.bzzzEnabled || !repo.readyToClaim) continue;
      for (const task of await this.client.projectTasks(repo.projectId)) {
        if (task.state !== 'open' || task.isClaimed || !task.labels.includes(TASK_LABEL)) continue;
        const key = formatTaskKey({
          forge: 'github',
          owner: repo.owner,
          repo: repo.repository,
          number: task.number,
        });
        this.#projects.set(key, { projectId: repo.projectId, number: task.number });
        out.push({
          body: task.description,
          labels: task.labels,
          repository: `${repo.owner}/${repo.repository}`,
          task: key,
          title: task.title,
        });
      }
    }
    return out;
  }

  /** Records the claim on WHOOSH (advice; a failure is logged, never fatal). */
  async claimed(key: string, agent: string): Promise<void> {
    const project = this.#projects.get(key);
    if (project === undefined) return;
    try {
      const result = await this.client.claimTask(project.projectId, project.number, agent);
      if (!result.claimed)
        this.logger.warn({ task: key, claimedBy: result.claimedBy }, 'WHOOSH names another agent');
    } catch (error) {
      this.logger.warn({ task: key, err: describeError(error) }, 'could not record the claim on WHOOSH');
    }
  }

  /** Reports an outcome (`completed`, `escalated`, `failed`). */
  async status(key: string, status: string, results: Record<string, unknown>): Promise<void> {
    const project = this.#projects.get(key);
    if (project === undefined) return;
    try {
      await this.client.updateStatus(project.projectId, project.number, status, results);
    } catch (error) {
      this.logger.warn({ task: key, err: describeError(error) }, 'could not report the status to WHOOSH');
    }
  }
}
