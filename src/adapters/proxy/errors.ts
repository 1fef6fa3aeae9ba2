/**
 * The proxy's named errors. A {@link ProxyRequestError} is what one request gets back, as an
 * OpenAI-style body (`{"error": {"message", "type", "param", "code"}}`) that the official
 * clients read; the others stop the proxy from opening and are not worth a restart.
 */
import { BzzzError, NonRetryableError } from '../../lib/errors.js';

/** The `error` object of OpenAI's error bodies. */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** A refusal of one request: its status, OpenAI-style type and code, and extra headers. */
export class ProxyRequestError extends BzzzError {
  override readonly name: string = 'ProxyRequestError';
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { retryable: options.retryable ?? false, cause: options.cause });
  }

  body(): { error: OpenAiErrorObject } {
    return { error: { message: this.message, type: this.type, param: null, code: this.code } };
  }

  /** The reply a client gets for it. */
  response(): Response {
    return new Response(JSON.stringify(this.body()), {
      status: this.status,
      headers: { 'content-type': 'application/json', ...this.headers },
    });
  }
}

/** 401: no key, or one the proxy does not know. */
export class UnauthorizedError extends ProxyRequestError {
  override readonly name = 'UnauthorizedError';
  constructor(message: string) {
    super(401, 'invalid_request_error', 'invalid_api_key', message);
  }
}

/** 400: a body or header the proxy cannot forward. */
export class BadProxyRequestError extends ProxyRequestError {
  override readonly name = 'BadProxyRequestError';
  constructor(message: string, code = 'invalid_request') {
    super(400, 'invalid_request_error', code, message);
  }
}

/** 413: a request body past the proxy's cap. */
export class BodyTooLargeError extends ProxyRequestError {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(413, 'invalid_request_error', 'body_too_large', `the request body is over ${maxBytes} bytes`);
  }
}

/** 429: a requests- or tokens-per-minute bucket is empty; `Retry-After` says when to come back. */
export class RateLimitedError extends ProxyRequestError {
  override readonly name = 'RateLimitedError';
  constructor(
    readonly bucket: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      429,
      bucket.startsWith('tpm') ? 'tokens' : 'requests',
      'rate_limit_exceeded',
      `rate limit reached for ${bucket}: retry after ${retryAfterSeconds} s`,
      { 'retry-after': String(retryAfterSeconds) },
      { retryable: true },
    );
  }
}

/**
 * 402: a key's or a task's budget is spent. Not 429: retrying cannot help, and 429 is what
 * clients (the reasoners, the OpenAI SDK) retry with backoff.
 */
export class BudgetExceededError extends ProxyRequestError {
  override readonly name = 'BudgetExceededError';
  constructor(
    readonly scope: 'key' | 'task',
    readonly subject: string,
    readonly spentUsd: number,
    readonly budgetUsd: number,
  ) {
    super(
      402,
      'insufficient_quota',
      `${scope}_budget_exceeded`,
      `the budget of ${scope} ${subject} is spent: $${spentUsd.toFixed(6)} of $${budgetUsd.toFixed(2)}`,
    );
  }

  /** The OpenAI error object, with the figures beside it (a bzzz reasoner escalates on them). */
  override body(): { error: OpenAiErrorObject & { spent_usd: number; budget_usd: number } } {
    return { error: { ...super.body().error, spent_usd: this.spentUsd, budget_usd: this.budgetUsd } };
  }
}

/** 502/504: the upstream could not be reached or sent something that is not a reply. */
export class UpstreamError extends ProxyRequestError {
  override readonly name = 'UpstreamError';
  constructor(code: 'upstream_unreachable' | 'upstream_invalid_reply' | 'upstream_timeout', message: string) {
    super(code === 'upstream_timeout' ? 504 : 502, 'upstream_error', code, message, {}, { retryable: true });
  }
}

/** A keys or prices file that cannot be read or is invalid: fix the file, then start again. */
export class ProxyConfigError extends NonRetryableError {
  override readonly name = 'ProxyConfigError';
  constructor(
    readonly file: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`proxy: ${file}: ${detail}`, options);
  }
}

/** `bzzz proxy key add` with a name that is taken. */
export class DuplicateKeyNameError extends BzzzError {
  override readonly name = 'DuplicateKeyNameError';
  constructor(readonly keyName: string) {
    super(`a virtual key named ${keyName} exists already`, { retryable: false });
  }
}
