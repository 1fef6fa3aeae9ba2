/**
 * The HMMM advisor of a node: it listens to the meta-discussion channel (which spans the
 * cluster over NATS) and answers an agent's `task_help_request` with its own reasoner's advice
 * (`task_help_response` on the task's channel), under its own name so the asker can tell the
 * answer from its own echo. It answers only requests for tasks its node's capabilities fit
 * (the rule agents take tasks by), so advice comes from agents that could do the task. A node
 * runs one only with a model: the scripted reasoner has no advice to give.
 */
import { fromCallback } from 'xstate';
import type { Reasoner } from '../adapters/llm/index.js';
import { capabilitiesMatch } from '../machines/agent.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';
import type { MailboxMessage } from './message.js';
import { taskHelpRequestSchema, type TaskHelpRequest, type TaskHelpResponse } from '../protocol/index.js';
import { TOPICS } from '../protocol/topics.js';
import { xstateChild } from './xstate-child.js';

export interface AdvisorOptions {
  /** The name this node answers as. */
  name: string;
  /** This node's id (answers carry it). */
  node: string;
  reasoner: Reasoner;
  /** The node's capabilities (empty: any task). */
  capabilities: readonly string[];
  logger: Logger;
}

/** The advisor's one event: a help request, parsed where it entered. */
interface HelpRequestEvent {
  type: 'advisor.asked';
  request: TaskHelpRequest;
}

/** A help request as the advisor's event; other HMMM traffic is not for it; a malformed one is turned down. */
function acceptHelpRequest(message: MailboxMessage): HelpRequestEvent | null | undefined {
  if (message.type !== 'task_help_request') return null;
  const parsed = taskHelpRequestSchema.safeParse(message.data);
  return parsed.success ? { type: 'advisor.asked', request: parsed.data } : undefined;
}

export function advisorSpec(options: AdvisorOptions): ChildSpec {
  return xstateChild('advisor', {
    logic: (ctx: StartContext) => {
      ctx.system.subscribe(TOPICS.hmmm, ctx.path);
      return fromCallback<HelpRequestEvent>(({ receive }) => {
        receive(({ request }) => {
          const fits =
            request.labels === undefined
              ? options.capabilities.length === 0
              : capabilitiesMatch(options.capabilities, request.labels);
          if (!fits) {
            options.logger.debug({ task: request.task }, 'help request for a task outside our capabilities');
            return;
          }
          options.reasoner
            .next({
              task: {
                key: request.task,
                title: request.title ?? request.task,
                body: `Another agent asks: ${request.question}`,
              },
              history: [],
            })
            .then((step) => {
              const decision = step.decision;
              const text =
                decision.kind === 'done'
                  ? decision.summary
                  : decision.kind === 'command'
                    ? `Try: ${decision.command}`
                    : '';
              if (text.trim() === '') return;
              ctx.system.publish(TOPICS.task(request.task), {
                type: 'task_help_response',
                data: {
                  agent: options.name,
                  answer: text,
                  node: options.node,
                  request: request.id,
                  task: request.task,
                } satisfies TaskHelpResponse,
              });
            })
            .catch((error: unknown) =>
              options.logger.warn({ task: request.task, err: describeError(error) }, 'could not advise'),
            );
        });
      });
    },
    accept: acceptHelpRequest,
  });
}
