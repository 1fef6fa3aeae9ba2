/**
 * What the HMMM advisor says: advice for a help request and a verdict on a plan, each from its
 * reasoner, with the task's thread as it reads it from the head the message carries (from its
 * content store, or fetched from a replica; what it cannot read yet is said in the prompt).
 * Each reply is a node of the task's thread too, after the node it answers, and the message
 * carries its hash.
 */
import type { Reasoner } from '../adapters/llm/index.js';
import { describeThread, type TaskThreads } from '../adapters/threads/index.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { PlanProposal, PlanReview, TaskHelpRequest, TaskHelpResponse } from '../protocol/index.js';
import { MAX_TEXT } from '../protocol/limits.js';
import type { ThreadBody, ThreadNodeKind } from '../protocol/thread-node.js';

/** What the advisor answers with and as. */
export interface AdvisorParts {
  /** The name this node answers as. */
  name: string;
  /** This node's id (answers carry it). */
  node: string;
  reasoner: Reasoner;
  /** The node's task threads: the advisor reads the thread and records its replies. */
  threads?: TaskThreads | undefined;
  logger: Logger;
}

/** Nodes of the thread shown to the advisor's model, the newest. */
const THREAD_NODES = 50;

/** The thread from `head`, as a section of the prompt; empty without a thread. */
export async function threadSection(
  parts: AdvisorParts,
  task: string,
  head: string | undefined,
): Promise<string> {
  if (head === undefined || parts.threads === undefined) return '';
  await parts.threads.adopt(task, head);
  const history = await parts.threads.history(head, { limit: THREAD_NODES });
  return `\n\nThe task's HMMM thread so far, oldest first:\n${describeThread(history)}`;
}

/** Records the advisor's reply as a node after the one it answers; its hash, or undefined. */
async function recordReply<K extends ThreadNodeKind>(
  parts: AdvisorParts,
  task: string,
  kind: K,
  body: ThreadBody<K>,
): Promise<string | undefined> {
  if (parts.threads === undefined) return undefined;
  try {
    return await parts.threads.append(task, kind, body, { agent: parts.name, node: parts.node });
  } catch (error) {
    parts.logger.warn({ task, kind, err: describeError(error) }, 'thread node not recorded');
    return undefined;
  }
}

/** Advice for `request` from the reasoner, or undefined when it has none. */
export async function adviseOn(
  parts: AdvisorParts,
  request: TaskHelpRequest,
): Promise<TaskHelpResponse | undefined> {
  const thread = await threadSection(parts, request.task, request.thread);
  const step = await parts.reasoner.next({
    task: {
      key: request.task,
      title: request.title ?? request.task,
      body: `Another agent asks: ${request.question}${thread}`,
    },
    history: [],
  });
  const decision = step.decision;
  const text =
    decision.kind === 'done'
      ? decision.summary
      : decision.kind === 'command'
        ? `Try: ${decision.command}`
        : '';
  if (text.trim() === '') return undefined;
  const answer = text.slice(0, MAX_TEXT);
  const node = await recordReply(parts, request.task, 'help_response', { answer, request: request.id });
  return {
    agent: parts.name,
    answer,
    node: parts.node,
    request: request.id,
    task: request.task,
    ...(node === undefined ? {} : { thread: node }),
  };
}

/** The reasoner's verdict on `proposal`. */
export async function reviewProposal(parts: AdvisorParts, proposal: PlanProposal): Promise<PlanReview> {
  const thread = await threadSection(parts, proposal.task, proposal.thread);
  const verdict = await parts.reasoner.review({
    task: {
      key: proposal.task,
      title: proposal.title ?? proposal.task,
      body: `${proposal.agent ?? 'Another agent'} proposes this plan for the task.${thread}`,
    },
    plan: proposal.plan,
  });
  const reason = verdict.reason.slice(0, MAX_TEXT);
  const node = await recordReply(parts, proposal.task, 'plan_review', {
    proposal: proposal.id,
    reason,
    verdict: verdict.verdict,
  });
  return {
    agent: parts.name,
    node: parts.node,
    proposal: proposal.id,
    reason,
    task: proposal.task,
    ...(node === undefined ? {} : { thread: node }),
    verdict: verdict.verdict,
  };
}
