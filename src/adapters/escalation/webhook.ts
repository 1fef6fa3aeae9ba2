/**
 * Escalation by webhook: POST the original's JSON payload, any 2xx is delivery. 408, 429, 5xx,
 * timeouts and refused connections are retried with backoff on the injected clock (honouring
 * `Retry-After`); other statuses fail at once.
 */
import type { Clock, Logger } from '../../lib/index.js';
import { describeError } from '../../lib/errors.js';
import { parseRetryAfter, retryWithBackoff } from '../../lib/backoff.js';
import { EscalationDeliveryError } from './errors.js';
import { toEscalationPayload } from './payload.js';
import type {
  Escalation,
  EscalationComponents,
  EscalationInit,
  EscalationNotifier,
  EscalationReceipt,
} from './types.js';

/** One failed attempt, before it becomes the final error. */
class AttemptFailure extends Error {
  constructor(
    readonly retry: boolean,
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
    readonly detail: string,
    options?: { cause: unknown },
  ) {
    super(detail, options);
  }
}

export class WebhookEscalationNotifier implements EscalationNotifier {
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    private readonly init: EscalationInit & { webhookUrl: string },
    components: EscalationComponents,
  ) {
    this.#clock = components.clock;
    this.#logger = components.logger.child({ component: 'escalation' });
  }

  async escalate(escalation: Escalation, signal?: AbortSignal): Promise<EscalationReceipt> {
    const body = JSON.stringify(toEscalationPayload(escalation));
    let attempts = 0;
    try {
      const status = await retryWithBackoff(
        (n) => {
          attempts = n;
          return this.#post(body, signal);
        },
        {
          clock: this.#clock,
          policy: { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000, ...this.init.retry },
          signal,
          classify: (error) =>
            error instanceof AttemptFailure
              ? { retry: error.retry, retryAfterMs: error.retryAfterMs }
              : { retry: false },
          onRetry: (error, attempt, delayMs) =>
            this.#logger.warn(
              { task: escalation.taskKey, attempt, delayMs, err: describeError(error) },
              'escalation webhook failed, retrying',
            ),
        },
      );
      this.#logger.info(
        { task: escalation.taskKey, reason: escalation.reason, status, attempts },
        'task escalated',
      );
      return { delivered: true, status, attempts };
    } catch (error) {
      const failure = error instanceof AttemptFailure ? error : undefined;
      throw new EscalationDeliveryError(
        escalation.taskKey,
        attempts,
        failure?.status,
        failure?.detail ?? describeError(error),
        {
          cause: error,
          retryable: failure?.retry ?? false,
        },
      );
    }
  }

  async #post(body: string, outer: AbortSignal | undefined): Promise<number> {
    const timeoutMs = this.init.requestTimeoutMs ?? 10_000;
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), timeoutMs);
    const signal = outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]);
    try {
      const response = await fetch(this.init.webhookUrl, {
        method: 'POST',
        headers: { ...this.init.headers, 'content-type': 'application/json' },
        body,
        signal,
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return response.status;
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#clock.now());
      throw new AttemptFailure(
        retry,
        response.status,
        retryAfterMs,
        `HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    } catch (error) {
      if (error instanceof AttemptFailure) throw error;
      const detail = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : describeError(error);
      throw new AttemptFailure(outer?.aborted !== true, undefined, undefined, detail, { cause: error });
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }
}

/** Without a webhook: the escalation is logged loudly and counts as not delivered. */
export class LogOnlyEscalationNotifier implements EscalationNotifier {
  constructor(private readonly logger: Logger) {}

  escalate(escalation: Escalation): Promise<EscalationReceipt> {
    this.logger.warn(
      { task: escalation.taskKey, agent: escalation.agent, reason: escalation.reason },
      'task escalated, but no BZZZ_ESCALATION_WEBHOOK is configured: a human must look at the logs',
    );
    return Promise.resolve({ delivered: false, attempts: 0 });
  }
}
