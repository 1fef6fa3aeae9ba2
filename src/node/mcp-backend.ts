/**
 * What the MCP server reads and does on this node: the read model's tasks, the forge's issue
 * and record, the claim store's lease (revoked by `release_task`), the help desk's open
 * requests and the answers a person publishes on a task's channel. The hooks of issue 16
 * (`resolve`, `readName`, `onAnswer`) are passed through when the node has them.
 */
import {
  RepoNotFoundError,
  TaskNotFoundError,
  type Forge,
  type TaskRecord,
} from '../adapters/forge/index.js';
import type { ClaimStore, Lease, LeaseInfo } from '../adapters/claims/index.js';
import {
  HelpRequestNotOpenError,
  type HelpDesk,
  type McpBackend,
  type NameContent,
  type ReleaseResult,
  type TaskDetail,
  type TaskRow,
} from '../adapters/mcp/index.js';
import { BzzzError, describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { MailboxMessage } from '../actors/message.js';
import { taskHelpResponseSchema, type TaskHelpResponse } from '../protocol/messages/hmmm.js';
import { parseTaskKey } from '../protocol/task-key.js';
import { TOPICS } from '../protocol/topics.js';
import type { StatusDocument } from './types.js';
import type { ClusterView, TaskView } from './view.js';

/** The hooks of issue 16 the integrator connects (each optional). */
export interface McpHooks {
  /** Resolves a bzzz:// address (the `resolve` tool). */
  resolve?: (address: string) => Promise<unknown>;
  /** Reads a task's bzzz:// name (`resources/read`). */
  readName?: (uri: string) => Promise<NameContent | undefined>;
  /** A person answered a help request (the answer joins the task's thread). */
  onAnswer?: (task: string, requestId: string, answer: TaskHelpResponse) => Promise<void> | void;
}

export interface BackendParts {
  nodeId: string;
  forge: Forge;
  /** The claim store the agents' leases are in. */
  claims: ClaimStore;
  view: ClusterView;
  status: () => StatusDocument;
  desk: HelpDesk;
  publish: (topic: string, message: MailboxMessage) => void;
  logger: Logger;
  now: () => number;
  hooks: McpHooks;
}

/** An answer under the asking agent's own name, which the agent would take for its echo. */
export class AnswerAsAskerError extends BzzzError {
  override readonly name = 'AnswerAsAskerError';
  constructor(readonly agent: string) {
    super(`answer under your own name, not the asking agent's (${agent}): it ignores its own echo`, {
      retryable: false,
    });
  }
}

export function nodeBackend(parts: BackendParts): McpBackend {
  const { forge, view, hooks } = parts;
  return {
    forge: forge.kind,
    status: parts.status,
    tasks: () => Object.values(view.getSnapshot().context.tasks).map(toRow),
    task: (key) => taskDetail(parts, key),
    ...(forge.createTask === undefined
      ? {}
      : { createTask: async (input) => ({ key: await forge.createTask!(input) }) }),
    releaseTask: (key, reason) => release(parts, key, reason),
    helpRequests: () => parts.desk.list(),
    answerHelp: (answer) => answerHelp(parts, answer),
    onTaskChange: (listener) => watchTasks(view, listener),
    ...(hooks.resolve === undefined ? {} : { resolve: hooks.resolve }),
    ...(hooks.readName === undefined ? {} : { readName: hooks.readName }),
  };
}

function toRow(task: TaskView): TaskRow {
  return {
    key: task.key,
    state: task.state,
    holder: task.holder,
    branch: task.branch,
    pr: task.pr?.url ?? null,
    reason: task.reason,
    updated_at: new Date(task.updatedAt).toISOString(),
  };
}

async function taskDetail(parts: BackendParts, key: string): Promise<TaskDetail | undefined> {
  const { forge, claims, view } = parts;
  if (parseTaskKey(key).forge !== forge.kind) return undefined;
  let record: TaskRecord;
  let issue;
  try {
    issue = await forge.getTask(key);
    record = await forge.taskRecord(key);
  } catch (error) {
    if (error instanceof TaskNotFoundError || error instanceof RepoNotFoundError) return undefined;
    throw error;
  }
  const lease = await claims.read(key);
  const live = view.getSnapshot().context.tasks[key];
  return {
    key,
    repo: issue.repo,
    title: issue.title,
    body: issue.body,
    labels: issue.labels,
    url: issue.url,
    state: record.state,
    holder: record.holder,
    branch: record.branch,
    prs: record.prs.map((pr) => ({ number: pr.number, url: pr.url, state: pr.state })),
    live: live === undefined ? null : toRow(live),
    lease:
      lease === null
        ? null
        : { holder: lease.holder, token: lease.token, expires_at: new Date(lease.expiresAt).toISOString() },
  };
}

/**
 * Revokes the live grant on `key` through the store's own release, which compares the grant's
 * holder and token: a grant that changed meanwhile is left alone. The holder's next renewal or
 * `assertHeld` then fails (`released`), and its task goes to `lost` before any further effect.
 */
async function release(parts: BackendParts, key: string, reason: string): Promise<ReleaseResult> {
  const info = await parts.claims.read(key);
  if (info === null) return { key, released: false, holder: null, token: null };
  const released = await parts.claims.release(revocation(info, parts.now()), reason);
  parts.logger.info({ task: key, holder: info.holder, token: info.token, released, reason }, 'lease revoked');
  return { key, released, holder: info.holder, token: info.token };
}

/** A lease handle naming someone else's grant: good for `release`, never for an effect. */
function revocation(info: LeaseInfo, now: number): Lease {
  return Object.freeze({
    key: info.key,
    holder: info.holder,
    token: info.token,
    expiresAt: info.expiresAt,
    ttlMs: Math.max(1, info.expiresAt - now),
    assertHeld: () => Promise.reject(new Error('a revocation handle holds no lease')),
  });
}

async function answerHelp(
  parts: BackendParts,
  answer: { task: string; request: string; answer: string; agent: string },
): Promise<void> {
  const request = parts.desk.get(answer.task, answer.request);
  if (request === undefined) throw new HelpRequestNotOpenError(answer.task, answer.request);
  if (request.agent === answer.agent) throw new AnswerAsAskerError(answer.agent);
  const data: TaskHelpResponse = taskHelpResponseSchema.parse({
    agent: answer.agent,
    answer: answer.answer,
    node: parts.nodeId,
    request: answer.request,
    task: answer.task,
  });
  parts.publish(TOPICS.task(answer.task), { type: 'task_help_response', data });
  parts.desk.answered(answer.request);
  try {
    await parts.hooks.onAnswer?.(answer.task, answer.request, data);
  } catch (error) {
    parts.logger.warn({ task: answer.task, err: describeError(error) }, 'MCP: the answer hook failed');
  }
}

/** Calls `listener` with the key of each task the read model changes. */
function watchTasks(view: ClusterView, listener: (key: string) => void): () => void {
  let seen = view.getSnapshot().context.tasks;
  const subscription = view.subscribe((snapshot) => {
    const tasks = snapshot.context.tasks;
    if (tasks === seen) return;
    for (const [key, task] of Object.entries(tasks)) if (seen[key] !== task) listener(key);
    seen = tasks;
  });
  return () => subscription.unsubscribe();
}
