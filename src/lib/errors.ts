/**
 * The base of every bzzz error: a name to branch on, structured fields, a `cause`, and
 * whether retrying can help. The supervisor decides what to do; the error only says whether
 * another attempt could succeed (Temporal's `nonRetryable`).
 */
export interface BzzzErrorOptions {
  cause?: unknown;
  /** False when retrying cannot help (bad config, a hostile task, a port already in use). */
  retryable?: boolean;
}

export class BzzzError extends Error {
  override readonly name: string = 'BzzzError';
  readonly retryable: boolean;

  constructor(message: string, options: BzzzErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
  }
}

/** An error that says retrying cannot help: a supervisor does not restart for it. */
export class NonRetryableError extends BzzzError {
  override readonly name: string = 'NonRetryableError';

  constructor(message: string, options: Omit<BzzzErrorOptions, 'retryable'> = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** True when `error` says that trying again cannot help. */
export function isNonRetryable(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false
  );
}

/** A one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Turns any thrown value into an Error. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error));
}
