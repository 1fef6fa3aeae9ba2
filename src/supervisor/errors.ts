/** Errors by which a supervisor reports its own failure to its parent. */
import { BzzzError } from '../lib/errors.js';

/** Too many restarts within the period: the supervisor stopped its children and gave up. */
export class RestartIntensityError extends BzzzError {
  override readonly name = 'RestartIntensityError';
  constructor(
    readonly supervisor: string,
    readonly child: string,
    readonly maxRestarts: number,
    readonly periodMs: number,
    cause?: unknown,
  ) {
    super(`${supervisor}: more than ${maxRestarts} restarts within ${periodMs} ms (last: ${child})`, {
      cause,
    });
  }
}

/** A permanent child failed with an error that says retrying cannot help. */
export class ChildFailedError extends BzzzError {
  override readonly name = 'ChildFailedError';
  constructor(
    readonly supervisor: string,
    readonly child: string,
    cause: Error,
  ) {
    super(`${supervisor}: child ${child} failed and cannot be restarted: ${cause.message}`, {
      cause,
      retryable: false,
    });
  }
}

/** A child crashed while the supervisor was starting its children. */
export class StartFailedError extends BzzzError {
  override readonly name = 'StartFailedError';
  constructor(
    readonly supervisor: string,
    readonly child: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${supervisor}: child ${child} failed to start: ${detail}`, { cause });
  }
}

/** A child id that is already taken or unknown. */
export class ChildSpecError extends BzzzError {
  override readonly name = 'ChildSpecError';
  constructor(
    readonly supervisor: string,
    message: string,
  ) {
    super(`${supervisor}: ${message}`, { retryable: false });
  }
}
