/**
 * The whoosh port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock, Logger } from '../../lib/index.js';
import type { RetryPolicy } from '../../lib/backoff.js';

/** A repository WHOOSH marks for bzzz (`GET /api/bzzz/active-repos`). */
export interface WhooshRepository {
  projectId: number;
  name: string;
  gitUrl: string;
  owner: string;
  repository: string;
  branch: string;
  bzzzEnabled: boolean;
  readyToClaim: boolean;
  privateRepo: boolean;
  githubTokenRequired: boolean;
}

/** A task of a project (`GET /api/bzzz/projects/{id}/tasks`): a `bzzz-task` labelled issue. */
export interface WhooshTask {
  number: number;
  title: string;
  description: string;
  state: string;
  labels: string[];
  htmlUrl: string | undefined;
  isClaimed: boolean;
  assignees: string[];
  taskType: string | undefined;
  dependencies: { repository: string; taskNumber: number; dependencyType: string }[];
  createdAt: string | undefined;
  updatedAt: string | undefined;
}

/** The answer to a claim registration. */
export type WhooshClaimResult =
  | { claimed: true; claimId: string | undefined }
  /** WHOOSH already records another agent on the task (HTTP 409). */
  | { claimed: false; claimedBy: string | undefined };

export interface WhooshClient {
  activeRepos(signal?: AbortSignal): Promise<WhooshRepository[]>;
  projectTasks(projectId: number, signal?: AbortSignal): Promise<WhooshTask[]>;
  /** `POST /api/bzzz/projects/{id}/claim`; a 409 naming this agent counts as claimed. */
  claimTask(
    projectId: number,
    taskNumber: number,
    agentId: string,
    signal?: AbortSignal,
  ): Promise<WhooshClaimResult>;
  /** `PUT /api/bzzz/projects/{id}/status` (`in_progress`, `completed`, `escalated`, `failed`...). */
  updateStatus(
    projectId: number,
    taskNumber: number,
    status: string,
    results?: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** User options. */
export interface WhooshInit {
  /** `BZZZ_WHOOSH_URL`, e.g. http://whoosh:8000 */
  url: string;
  /** `BZZZ_WHOOSH_API_KEY`, sent as a bearer token; never logged. */
  apiKey?: string;
  /** One request's timeout on the injected clock (default 15 s). */
  requestTimeoutMs?: number;
  /** Retries of 429, 5xx and connection failures (default 4 attempts). */
  retry?: Partial<RetryPolicy>;
}

export interface WhooshComponents {
  logger: Logger;
  clock: Clock;
}
