/**
 * Retry with exponential backoff on the injected clock, honouring a server's `Retry-After`.
 * Nothing here knows about LLMs: the WHOOSH client and the escalation webhook reuse it.
 */
import type { Clock } from './clock.js';

/** How a caller retries. */
export interface RetryPolicy {
  /** Attempts in total, the first included (default 5). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time (default 500 ms). */
  baseDelayMs: number;
  /** Cap of the exponential delay (default 30 s). */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown (default 120 s). */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** What the retry loop needs to know about a failure. */
export interface RetryVerdict {
  retry: boolean;
  /** The server's `Retry-After`, in ms, when it sent one. */
  retryAfterMs?: number | undefined;
}

export interface RetryOptions {
  clock: Clock;
  policy?: Partial<RetryPolicy>;
  /** Says whether `error` is worth another attempt. */
  classify: (error: unknown) => RetryVerdict;
  signal?: AbortSignal | undefined;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Source of jitter in [0, 1); tests may pin it. */
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, a failure is classified as final, attempts run out, or the
 * signal aborts. Throws the last failure unchanged, so callers see the named error.
 */
export async function retryWithBackoff<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...options.policy };
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const verdict = options.classify(error);
      if (!verdict.retry || n >= policy.maxAttempts || options.signal?.aborted === true) throw error;
      let delay: number;
      if (verdict.retryAfterMs !== undefined) {
        if (verdict.retryAfterMs > policy.maxRetryAfterMs) throw error;
        delay = verdict.retryAfterMs;
      } else {
        const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
        // Half fixed, half jitter: spread a herd of agents hitting one server.
        delay = Math.round(exp / 2 + (exp / 2) * random());
      }
      options.onRetry?.(error, n, delay);
      await sleepUnlessAborted(options.clock, delay, options.signal);
      if (isAborted(options.signal)) throw error;
    }
  }
}

// A function, so the compiler does not carry a narrowing of `aborted` across an await.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Sleeps on `clock`, waking early when `signal` aborts. */
export function sleepUnlessAborted(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP date. Returns milliseconds from
 * `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its month; anything else (`-5`, `soon`) is unreadable.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
