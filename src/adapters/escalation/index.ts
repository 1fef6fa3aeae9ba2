/**
 * The escalation port: tells a human (an n8n webhook, `BZZZ_ESCALATION_WEBHOOK`) that a task is
 * stuck, with the original system's payload `{ task_id, task_title, escalation_agent, reason,
 * history }`. Delivery is retried with backoff; a webhook that stays down ends in a named
 * error, never a crash. Without a URL, escalations are only logged.
 */
import { LogOnlyEscalationNotifier, WebhookEscalationNotifier } from './webhook.js';
import type { EscalationNotifier, EscalationInit, EscalationComponents } from './types.js';

export type * from './types.js';
export { EscalationDeliveryError } from './errors.js';
export { toEscalationPayload } from './payload.js';

export function createEscalationNotifier(
  init: EscalationInit,
  components: EscalationComponents,
): EscalationNotifier {
  if (init.webhookUrl === undefined || init.webhookUrl === '')
    return new LogOnlyEscalationNotifier(components.logger);
  return new WebhookEscalationNotifier({ ...init, webhookUrl: init.webhookUrl }, components);
}
