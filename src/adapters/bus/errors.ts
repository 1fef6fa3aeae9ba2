/** Errors of the bus port: each says whether retrying can help. */
import { BzzzError } from '../../lib/errors.js';

/** The bus was closed; nothing more can be published or subscribed. */
export class BusClosedError extends BzzzError {
  override readonly name = 'BusClosedError';
  constructor(readonly operation: string) {
    super(`bus closed: cannot ${operation}`, { retryable: false });
  }
}
