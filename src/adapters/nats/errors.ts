/** Errors of the NATS connection port: each says whether retrying can help. */
import { BzzzError } from '../../lib/errors.js';

/** The connection to the message server closed for good (we did not ask for it). */
export class NatsConnectError extends BzzzError {
  override readonly name = 'NatsConnectError';
  constructor(
    readonly servers: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(`cannot connect to NATS at ${servers}`, options);
  }
}

/** A connection option from config cannot be used (an unreadable creds or nkey file). */
export class NatsConfigError extends BzzzError {
  override readonly name = 'NatsConfigError';
  constructor(
    readonly key: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${key}: ${detail}`, { ...options, retryable: false });
  }
}
