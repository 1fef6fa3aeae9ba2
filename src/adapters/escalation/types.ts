/**
 * The escalation port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock, Logger } from '../../lib/index.js';
import type { RetryPolicy } from '../../lib/backoff.js';

/** Why and what to escalate. */
export interface Escalation {
  /** The task key (`github:octo/app#42`); sent as `task_id`. */
  taskKey: string;
  taskTitle: string;
  /** The escalating agent's node id or name; sent as `escalation_agent`. */
  agent: string;
  /** `help requested`, `budget exceeded: tokens`, `repeated failure`, ... */
  reason: string;
  /** The task's conversation so far, one line per step, oldest first. */
  history: string[];
}

/** The JSON body POSTed to the webhook, field names as in the original. */
export interface EscalationPayload {
  task_id: string;
  task_title: string;
  escalation_agent: string;
  reason: string;
  history: string[];
}

/** What delivery achieved. */
export interface EscalationReceipt {
  delivered: boolean;
  /** HTTP status of the accepting answer (absent when only logged). */
  status?: number;
  attempts: number;
}

export interface EscalationNotifier {
  /** Delivers one escalation; throws {@link EscalationDeliveryError} when it could not. */
  escalate(escalation: Escalation, signal?: AbortSignal): Promise<EscalationReceipt>;
}

/** User options. */
export interface EscalationInit {
  /** `BZZZ_ESCALATION_WEBHOOK`; unset: escalations are logged only. */
  webhookUrl?: string;
  /** Extra headers (an n8n header-auth secret); never logged. */
  headers?: Record<string, string>;
  /** One request's timeout on the injected clock (default 10 s). */
  requestTimeoutMs?: number;
  /** Default 5 attempts, 1 s doubling to 30 s. */
  retry?: Partial<RetryPolicy>;
}

export interface EscalationComponents {
  logger: Logger;
  clock: Clock;
}
