/**
 * Errors of the reasoner port, in three families: the server could not be reached or said no
 * (`LlmHttpError`, `LlmUnavailableError`, `LlmTimeoutError`: retried with backoff when they
 * say so), the reply was unusable (`LlmProtocolError`, `LlmReplyLimitError`, `EmptyReplyError`,
 * `ReplyParseError`: asked again a bounded number of times), and a task's limits
 * (`BudgetExceededError`, `RepeatedFailureError`: the task escalates instead of looping).
 */
import { BzzzError, type BzzzErrorOptions } from '../../lib/errors.js';

/** The server answered with an HTTP error status. 429 and 5xx are retryable. */
export class LlmHttpError extends BzzzError {
  override readonly name = 'LlmHttpError';

  constructor(
    readonly status: number,
    readonly serverMessage: string,
    /** From `Retry-After`, when the server sent one. */
    readonly retryAfterMs: number | undefined,
    options: BzzzErrorOptions = {},
  ) {
    super(`LLM server answered HTTP ${status}: ${serverMessage.slice(0, 300)}`, {
      retryable: status === 429 || status >= 500,
      ...options,
    });
  }
}

/** No connection to the server (refused, reset, DNS). Retryable. */
export class LlmUnavailableError extends BzzzError {
  override readonly name = 'LlmUnavailableError';

  constructor(
    readonly url: string,
    options: BzzzErrorOptions = {},
  ) {
    super(`LLM server unreachable at ${url}`, { retryable: true, ...options });
  }
}

/** The request took longer than its timeout (a hung server, a stalled stream). */
export class LlmTimeoutError extends BzzzError {
  override readonly name = 'LlmTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`LLM request timed out after ${timeoutMs} ms`, { retryable: true });
  }
}

/** The bytes on the wire were not the protocol (not NDJSON, not SSE, a stream cut short). */
export class LlmProtocolError extends BzzzError {
  override readonly name = 'LlmProtocolError';

  constructor(
    readonly detail: string,
    options: BzzzErrorOptions = {},
  ) {
    super(`LLM server broke the wire format: ${detail}`, { retryable: true, ...options });
  }
}

/** The reply grew past the byte cap (an endless stream); the connection was cut. */
export class LlmReplyLimitError extends BzzzError {
  override readonly name = 'LlmReplyLimitError';

  constructor(readonly maxBytes: number) {
    super(`LLM reply exceeded ${maxBytes} bytes and was cut off`, { retryable: true });
  }
}

/** The model answered with nothing. */
export class EmptyReplyError extends BzzzError {
  override readonly name = 'EmptyReplyError';

  constructor(readonly attempts = 1) {
    super(`the model returned an empty reply (${attempts} attempt${attempts === 1 ? '' : 's'})`, {
      retryable: false,
    });
  }
}

/** The model's text is not one of the three decisions. */
export class ReplyParseError extends BzzzError {
  override readonly name = 'ReplyParseError';

  constructor(
    readonly reason: string,
    /** The start of the offending reply, for logs. */
    readonly excerpt: string,
    readonly attempts = 1,
  ) {
    super(`unusable model reply (${reason}): ${JSON.stringify(excerpt.slice(0, 200))}`, { retryable: false });
  }
}

/** The caller's signal aborted the step. */
export class ReasonerAbortedError extends BzzzError {
  override readonly name = 'ReasonerAbortedError';

  constructor(options: BzzzErrorOptions = {}) {
    super('reasoning step aborted', { retryable: false, ...options });
  }
}

/** Which per-task limit was reached. */
export type BudgetLimit = 'steps' | 'wall-time' | 'tokens' | 'cost';

/** A per-task limit was reached: the task escalates (SPEC §10). */
export class BudgetExceededError extends BzzzError {
  override readonly name = 'BudgetExceededError';

  constructor(
    readonly limit: BudgetLimit,
    readonly used: number,
    readonly max: number,
  ) {
    super(`task ${limit} budget exceeded: ${round(used)} of ${round(max)}`, { retryable: false });
  }
}

/** The same command failed the same way too often: the task escalates instead of looping. */
export class RepeatedFailureError extends BzzzError {
  override readonly name = 'RepeatedFailureError';

  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly count: number,
  ) {
    super(`command failed the same way ${count} times (exit ${exitCode}): ${command.slice(0, 200)}`, {
      retryable: false,
    });
  }
}

/** A task given to the scripted reasoner has no usable `bzzz-steps` block. */
export class ScriptMissingError extends BzzzError {
  override readonly name = 'ScriptMissingError';

  constructor(readonly taskKey: string) {
    super(`task ${taskKey} has no \`\`\`bzzz-steps block with at least one command`, { retryable: false });
  }
}

/** A scripted step exited non-zero: the task fails (SPEC §10). */
export class ScriptedStepFailedError extends BzzzError {
  override readonly name = 'ScriptedStepFailedError';

  constructor(
    readonly step: number,
    readonly command: string,
    readonly exitCode: number,
  ) {
    super(`scripted step ${step} exited ${exitCode}: ${command.slice(0, 200)}`, { retryable: false });
  }
}

/** The reasoner cannot review a plan (the scripted one: it runs no advisor). */
export class ReviewUnsupportedError extends BzzzError {
  override readonly name = 'ReviewUnsupportedError';

  constructor(readonly backend: string) {
    super(`the ${backend} reasoner does not review plans`, { retryable: false });
  }
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4);
}
