/**
 * The audit log's errors. A closed or broken log refuses appends with a named error; the
 * hooks that append log and count it, so a task never fails for its audit entry.
 */
import { BzzzError } from '../../lib/errors.js';

/** The base of every audit log error. */
export class AuditError extends BzzzError {
  override readonly name: string = 'AuditError';
}

/** An append to a log that is not started or already stopped. */
export class AuditClosedError extends AuditError {
  override readonly name = 'AuditClosedError';
  constructor() {
    super('the audit log is not open', { retryable: true });
  }
}

/**
 * The log's files on disk do not make a chain this node can continue (a head file signed by
 * another key, a journal shorter than its head says, a last entry that is not the head's):
 * the log refuses appends until an operator looks (`bzzz audit verify` names the problem).
 */
export class AuditUnavailableError extends AuditError {
  override readonly name = 'AuditUnavailableError';
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`the audit log cannot continue its chain: ${reason}`, { ...options, retryable: false });
  }

  /** `error` itself when it is one, else one saying `what` failed and why. */
  static of(error: unknown, what: string): AuditUnavailableError {
    if (error instanceof AuditUnavailableError) return error;
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new AuditUnavailableError(`${what}: ${why}`, { cause: error });
  }
}

/** Reading or writing the log's files failed (a full disk, an I/O error). */
export class AuditIoError extends AuditError {
  override readonly name = 'AuditIoError';
  constructor(
    readonly operation: string,
    options: { cause?: unknown } = {},
  ) {
    super(`audit log ${operation} failed`, options);
  }
}
