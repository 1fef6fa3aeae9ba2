/**
 * The guards around one HTTP call to a model server: a timeout on the injected clock, the
 * caller's abort signal, a byte cap on the reply (an endless stream is cut, not buffered), and
 * the mapping of whatever `fetch` throws onto the named errors of this port.
 */
import type { Clock } from '../../lib/clock.js';
import { BzzzError, describeError } from '../../lib/errors.js';
import { parseRetryAfter } from '../../lib/backoff.js';
import {
  BudgetExceededError,
  LlmHttpError,
  LlmProtocolError,
  LlmReplyLimitError,
  LlmTimeoutError,
  LlmUnavailableError,
  ReasonerAbortedError,
} from './errors.js';

/** One call's cancellation: whichever of timeout, caller abort or a limit fires first wins. */
export interface CallScope {
  readonly signal: AbortSignal;
  /** Ends the call with `error` (first failure wins). */
  fail(error: Error): void;
  /** The error the call was ended with, if any. */
  failure(): Error | undefined;
  dispose(): void;
}

export function openCallScope(clock: Clock, timeoutMs: number, outer?: AbortSignal): CallScope {
  const controller = new AbortController();
  let failed: Error | undefined;
  const fail = (error: Error) => {
    if (failed !== undefined) return;
    failed = error;
    controller.abort(error);
  };
  const onOuterAbort = () => fail(new ReasonerAbortedError({ cause: outer?.reason }));
  if (outer?.aborted === true) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = clock.setTimeout(() => fail(new LlmTimeoutError(timeoutMs)), timeoutMs);
  return {
    signal: controller.signal,
    fail,
    failure: () => failed,
    dispose: () => {
      clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

/**
 * Passes `body` through, failing the scope with {@link LlmReplyLimitError} past `maxBytes`.
 * With `ndjson`, every complete line must be a JSON value, so garbage fails fast.
 */
export function limitBody(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  scope: CallScope,
  ndjson = false,
): ReadableStream<Uint8Array> {
  let seen = 0;
  const decoder = new TextDecoder();
  let partial = '';
  const checkLine = (line: string, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (line.trim().length === 0) return;
    try {
      JSON.parse(line);
    } catch {
      const error = new LlmProtocolError(`not NDJSON: ${JSON.stringify(line.slice(0, 80))}`);
      scope.fail(error);
      controller.error(error);
    }
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          const error = new LlmReplyLimitError(maxBytes);
          scope.fail(error);
          controller.error(error);
          return;
        }
        if (ndjson) {
          partial += decoder.decode(chunk, { stream: true });
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) checkLine(line, controller);
        }
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (ndjson) checkLine(partial + decoder.decode(), controller);
      },
    }),
    { signal: scope.signal },
  );
}

/** Reads a whole (capped) body as text. */
export async function readCappedText(
  response: Response,
  maxBytes: number,
  scope: CallScope,
): Promise<string> {
  if (response.body === null) return '';
  const reader = limitBody(response.body, maxBytes, scope).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Builds the error for a non-2xx answer, with the server's own message when it gave one. The
 * bzzz proxy's 402 for a task whose budget is spent (`task_budget_exceeded`, with the figures)
 * is the task's cost budget reached: a `BudgetExceededError`, so the task escalates (SPEC §10).
 */
export async function httpErrorFrom(
  response: Response,
  scope: CallScope,
  clock: Clock,
): Promise<LlmHttpError | BudgetExceededError> {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
  let message = response.statusText;
  try {
    const text = await readCappedText(response, 64 * 1024, scope);
    const spent = response.status === 402 ? taskBudgetSpent(text) : undefined;
    if (spent !== undefined) return new BudgetExceededError('cost', spent.spent_usd, spent.budget_usd);
    message = serverMessage(text) ?? (text.trim().slice(0, 300) || message);
  } catch {
    // The status is what matters; an unreadable body does not change it.
  }
  return new LlmHttpError(response.status, message, retryAfterMs);
}

/** The figures of the bzzz proxy's `task_budget_exceeded` answer, else undefined. */
function taskBudgetSpent(text: string): { spent_usd: number; budget_usd: number } | undefined {
  try {
    const error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
    const { code, spent_usd, budget_usd } = error ?? {};
    if (code !== 'task_budget_exceeded' || typeof spent_usd !== 'number' || typeof budget_usd !== 'number')
      return undefined;
    return { spent_usd, budget_usd };
  } catch {
    return undefined;
  }
}

/** The message of `{"error":"..."}` (Ollama) or `{"error":{"message":"..."}}` (OpenAI). */
export function serverMessage(text: string): string | undefined {
  try {
    const json = JSON.parse(text) as { error?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.error === 'object' && json.error !== null) {
      const message = (json.error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
  } catch {
    // Not JSON: the caller falls back to the raw text.
  }
  return undefined;
}

/**
 * Maps anything a call threw onto this port's errors: the scope's own failure first (timeout,
 * abort, byte cap), then our named errors unchanged, then connection failures.
 */
export function toCallError(error: unknown, scope: CallScope, url: string, responded: boolean): Error {
  const failure = scope.failure();
  if (failure !== undefined) return failure;
  if (error instanceof BzzzError) return error;
  if (responded) return new LlmProtocolError(`reply broke off: ${describeError(error)}`, { cause: error });
  return new LlmUnavailableError(url, { cause: error });
}
