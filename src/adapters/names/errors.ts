/** The errors of the names port. */
import { BzzzError } from '../../lib/errors.js';

/** The name table was used before it was opened or after it was closed. */
export class NameTableClosedError extends BzzzError {
  override readonly name = 'NameTableClosedError';
  constructor(readonly path: string) {
    super(`the name table ${path} is not open`);
  }
}

/** The KV bucket of names cannot be reached now (no NATS connection, no JetStream). */
export class NameBucketUnavailableError extends BzzzError {
  override readonly name = 'NameBucketUnavailableError';
  constructor(
    readonly bucket: string,
    readonly operation: string,
    options: { cause?: unknown } = {},
  ) {
    super(`cannot ${operation} in the KV bucket ${bucket}`, options);
  }
}

/** A task's records could not be published (a bad value, a closed table). */
export class TaskNamePublishError extends BzzzError {
  override readonly name = 'TaskNamePublishError';
  constructor(
    readonly task: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`cannot publish the names of ${task}: ${reason}`, { ...options, retryable: false });
  }
}
