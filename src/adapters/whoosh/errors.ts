/**
 * Errors of the WHOOSH client: down, an HTTP error status, or a reply that is not the API.
 */
import { BzzzError, type BzzzErrorOptions } from '../../lib/errors.js';

/** WHOOSH could not be reached (refused, reset, timed out). Retryable. */
export class WhooshUnavailableError extends BzzzError {
  override readonly name = 'WhooshUnavailableError';

  constructor(
    readonly url: string,
    readonly detail: string,
    options: BzzzErrorOptions = {},
  ) {
    super(`WHOOSH unreachable at ${url}: ${detail}`, { retryable: true, ...options });
  }
}

/** WHOOSH answered with an error status; 408, 429 and 5xx are retryable, the rest are not. */
export class WhooshHttpError extends BzzzError {
  override readonly name = 'WhooshHttpError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly serverMessage: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`WHOOSH ${method} ${path} answered HTTP ${status}: ${serverMessage.slice(0, 300)}`, {
      retryable: status === 408 || status === 429 || status >= 500,
    });
  }
}

/** WHOOSH answered 2xx with a body that is not what its API returns. */
export class WhooshResponseError extends BzzzError {
  override readonly name = 'WhooshResponseError';

  constructor(
    readonly path: string,
    readonly detail: string,
    options: BzzzErrorOptions = {},
  ) {
    super(`WHOOSH ${path} returned an unexpected body: ${detail}`, { retryable: true, ...options });
  }
}
