/**
 * The webhook body of an escalation, in the original system's field names.
 */
import type { Escalation, EscalationPayload } from './types.js';

/** The payload for `escalation`, history capped so a long task cannot make a huge request. */
export function toEscalationPayload(escalation: Escalation, maxHistory = 200): EscalationPayload {
  return {
    task_id: escalation.taskKey,
    task_title: escalation.taskTitle,
    escalation_agent: escalation.agent,
    reason: escalation.reason,
    history: escalation.history.slice(-maxHistory).map((line) => line.slice(0, 4_000)),
  };
}
