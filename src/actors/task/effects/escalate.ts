/**
 * Escalating to a human: an `escalation` node in the task's HMMM thread, then
 * `escalation_trigger` on the coordination topic, the escalation webhook, and the forge's
 * `escalated` mark, all fenced by the lease.
 */
import { fromPromise } from 'xstate';
import type { TaskFacts, TaskHistoryEntry } from '../../../machines/task.js';
import { MAX_TEXT } from '../../../protocol/limits.js';
import type { EscalationTrigger } from '../../../protocol/messages/hmmm.js';
import { TOPICS } from '../../../protocol/topics.js';
import type { TaskEnv } from './env.js';
import { PLAN_DISPUTE } from './plan.js';
import { reportOutcome } from './report.js';
import { recordNode } from './thread.js';

/** The protocol's reason for a task's escalation, read from the machine's reason text. */
function escalationReason(reason: string): EscalationTrigger['reason'] {
  if (reason.startsWith('no useful answer')) return 'help_unanswered';
  if (reason.startsWith('BudgetExceededError')) return 'budget';
  if (reason.startsWith('RepeatedFailureError')) return 'repeated_failure';
  if (reason.startsWith(PLAN_DISPUTE)) return 'other';
  return 'requested';
}

function describeEntry(entry: TaskHistoryEntry): string {
  switch (entry.kind) {
    case 'command':
      return `$ ${entry.command} → exit ${entry.exitCode}`;
    case 'advice':
      return `advice from ${entry.from}: ${entry.text}`;
    case 'review':
      return `plan review from ${entry.from}: ${entry.text}`;
  }
}

export function escalate(env: TaskEnv) {
  const { key, deps, resources } = env;
  return fromPromise<void, { reason: string; history: TaskHistoryEntry[]; task: TaskFacts }>(
    async ({ input }) => {
      await resources.fence();
      const detail = input.reason.slice(0, MAX_TEXT);
      await recordNode(deps, key, 'escalation', { reason: detail === '' ? 'escalated' : detail });
      const data: EscalationTrigger = {
        agent: deps.agent,
        detail,
        node: deps.node,
        reason: escalationReason(input.reason),
        task: key,
      };
      deps.system.publish(TOPICS.coordination, { type: 'escalation_trigger', data });
      deps.audit?.({
        kind: 'escalation',
        task: key,
        token: resources.lease?.token ?? null,
        data: { agent: deps.agent, reason: data.reason, detail: input.reason.slice(0, 1024) },
      });
      await deps.escalation?.escalate({
        taskKey: key,
        taskTitle: input.task.title,
        agent: deps.agent,
        reason: input.reason,
        history: input.history.map(describeEntry),
      });
      await reportOutcome(env, 'escalated', `escalated: ${input.reason}`, null, { reason: input.reason });
    },
  );
}
