/**
 * Errors of the escalation port.
 */
import { BzzzError, type BzzzErrorOptions } from '../../lib/errors.js';

/**
 * The webhook did not accept the escalation: down, timing out, or answering an error, after
 * every retry (or at once for a 4xx other than 408/429, which a retry cannot fix).
 */
export class EscalationDeliveryError extends BzzzError {
  override readonly name = 'EscalationDeliveryError';

  constructor(
    readonly taskKey: string,
    readonly attempts: number,
    /** The last HTTP status, when the webhook answered at all. */
    readonly status: number | undefined,
    detail: string,
    options: BzzzErrorOptions = {},
  ) {
    super(
      `escalation of ${taskKey} not delivered after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`,
      options,
    );
  }
}
