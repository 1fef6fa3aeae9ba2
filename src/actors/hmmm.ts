/**
 * The HMMM advisor of a node: it listens to the meta-discussion channel (which spans the
 * cluster over NATS) and answers an agent's `task_help_request` with its own reasoner's advice
 * (`task_help_response` on the task's channel), and an agent's `plan_proposal` with its
 * reasoner's verdict (`plan_review`, `approve` or `suggest`), under its own name so the asker
 * can tell the answer from its own echo. It reads the task's thread from the head the message
 * carries, and its reply becomes the thread's next node (hmmm-replies.ts). It answers only for
 * tasks its node's capabilities fit (the rule agents take tasks by), so advice comes from
 * agents that could do the task. A node runs one only with a model: the scripted reasoner has
 * no advice to give.
 */
import { fromCallback } from 'xstate';
import type { Reasoner } from '../adapters/llm/index.js';
import type { TaskThreads } from '../adapters/threads/index.js';
import { capabilitiesMatch } from '../machines/agent.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';
import type { MailboxMessage } from './message.js';
import {
  planProposalSchema,
  taskHelpRequestSchema,
  type PlanProposal,
  type TaskHelpRequest,
} from '../protocol/index.js';
import { TOPICS } from '../protocol/topics.js';
import { adviseOn, reviewProposal } from './hmmm-replies.js';
import { xstateChild } from './xstate-child.js';

export interface AdvisorOptions {
  /** The name this node answers as. */
  name: string;
  /** This node's id (answers carry it). */
  node: string;
  reasoner: Reasoner;
  /** The node's capabilities (empty: any task). */
  capabilities: readonly string[];
  /** The node's task threads: read for context, and each reply recorded (absent: neither). */
  threads?: TaskThreads;
  logger: Logger;
}

/** The advisor's events: a help request or a plan proposal, parsed where it entered. */
type AdvisorEvent =
  { type: 'advisor.asked'; request: TaskHelpRequest } | { type: 'advisor.proposed'; proposal: PlanProposal };

/** A help request or a plan proposal as the advisor's event; other HMMM traffic is not for it; a malformed one is turned down. */
function acceptAdvisorMessage(message: MailboxMessage): AdvisorEvent | null | undefined {
  if (message.type === 'task_help_request') {
    const parsed = taskHelpRequestSchema.safeParse(message.data);
    return parsed.success ? { type: 'advisor.asked', request: parsed.data } : undefined;
  }
  if (message.type === 'plan_proposal') {
    const parsed = planProposalSchema.safeParse(message.data);
    return parsed.success ? { type: 'advisor.proposed', proposal: parsed.data } : undefined;
  }
  return null;
}

/** True when the node's capabilities fit a task with `labels` (none known: only a node that takes any task). */
function fits(options: AdvisorOptions, labels: readonly string[] | undefined): boolean {
  return labels === undefined
    ? options.capabilities.length === 0
    : capabilitiesMatch(options.capabilities, labels);
}

export function advisorSpec(options: AdvisorOptions): ChildSpec {
  return xstateChild('advisor', {
    logic: (ctx: StartContext) => {
      ctx.system.subscribe(TOPICS.hmmm, ctx.path);
      const publish = (task: string, type: string, data: unknown): void => {
        ctx.system.publish(TOPICS.task(task), { type, data });
      };
      const failed = (task: string, what: string) => (error: unknown) =>
        options.logger.warn({ task, err: describeError(error) }, what);
      return fromCallback<AdvisorEvent>(({ receive }) => {
        receive((event) => {
          const { task, labels } = event.type === 'advisor.asked' ? event.request : event.proposal;
          if (!fits(options, labels)) {
            options.logger.debug(
              { task, event: event.type },
              'HMMM request for a task outside our capabilities',
            );
            return;
          }
          if (event.type === 'advisor.asked') {
            adviseOn(options, event.request)
              .then((answer) => answer && publish(task, 'task_help_response', answer))
              .catch(failed(task, 'could not advise'));
            return;
          }
          // a proposal nobody waits for (review window 0) is not reviewed
          if (event.proposal.reviewMs === 0 || event.proposal.agent === options.name) return;
          reviewProposal(options, event.proposal)
            .then((review) => publish(task, 'plan_review', review))
            .catch(failed(task, 'could not review a plan'));
        });
      });
    },
    accept: acceptAdvisorMessage,
  });
}
