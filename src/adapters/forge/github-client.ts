/**
 * The GitHub REST client of the github forge: `@octokit/rest` with GitHub's own throttling
 * and retry plugins, conditional GETs (a `304 Not Modified` answer to `If-None-Match` costs
 * no quota, so an idle poller spends almost nothing), a request timeout, and every failure
 * turned into a named error with no credential in it. Octokit types stay in this folder.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import {
  GitHubApiError,
  GitHubMalformedResponseError,
  GitHubRateLimitError,
  redactSecrets,
} from './errors.js';

const ThrottledOctokit = Octokit.plugin(throttling, retry);
type Api = InstanceType<typeof ThrottledOctokit>;

export interface GitHubClientOptions {
  token: string;
  baseUrl: string;
  requestTimeoutMs: number;
  /** Retries of 5xx and network errors (with the retry plugin's quadratic backoff). */
  retries: number;
  retryBaseMs: number;
  /** Retries after a rate-limit answer, when the wait is at most `maxRateLimitWaitMs`. */
  rateLimitRetries: number;
  maxRateLimitWaitMs: number;
  /** Spacing of content-creating requests (GitHub asks for at least 1 s; notifying ones get 3x). */
  writeIntervalMs: number;
  logger: Logger;
  clock: Clock;
}

/** The primary quota as the last answer stated it. */
export interface Quota {
  limit: number;
  remaining: number;
  /** Epoch ms when the quota resets. */
  resetAt: number;
}

interface Cached {
  etag: string;
  data: unknown;
  link: string | undefined;
}

interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

const MAX_CACHE = 1000;

export class GitHubClient {
  readonly #api: Api;
  readonly #options: GitHubClientOptions;
  readonly #cache = new Map<string, Cached>();
  #quota: Quota | null = null;

  constructor(options: GitHubClientOptions) {
    this.#options = options;
    const { logger } = options;
    const onLimit =
      (kind: string) =>
      (retryAfter: number, request: { method: string; url: string }, _o: unknown, retryCount: number) => {
        const wait = retryAfter * 1000 <= options.maxRateLimitWaitMs && retryCount < options.rateLimitRetries;
        logger.warn({ kind, retryAfter, url: request.url, retryCount, wait }, 'GitHub rate limit');
        return wait;
      };
    this.#api = new ThrottledOctokit({
      auth: options.token,
      baseUrl: options.baseUrl,
      userAgent: 'bzzz',
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => logger.warn(m),
        error: (m: string) => logger.error(m),
      },
      request: { fetch: timedFetch(options.requestTimeoutMs) },
      retry: {
        retries: options.retries,
        retryAfterBaseValue: options.retryBaseMs,
        doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
      },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        // The plugin spaces writes by 1 s and notifying writes (comments, issues, pulls) by 3 s.
        ...(options.writeIntervalMs === 1000
          ? {}
          : {
              write: spacedGroup(options.writeIntervalMs, options.clock),
              notifications: spacedGroup(options.writeIntervalMs * 3, options.clock),
            }),
      },
    });
  }

  /** The primary quota as last seen, or null before the first answer. */
  quota(): Quota | null {
    return this.#quota;
  }

  /** A conditional GET: answers from the cache when GitHub says `304 Not Modified`. */
  async get<T>(route: string, params: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    return (await this.#conditional(route, params, schema)).data;
  }

  /** Every page of a list (`Link: rel="next"`), each page fetched conditionally. */
  async getAll<T>(
    route: string,
    params: Record<string, unknown>,
    item: z.ZodType<T>,
    maxPages = 20,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const res = await this.#conditional(route, { ...params, page }, item.array());
      out.push(...res.data);
      if (res.link === undefined || !/rel="next"/.test(res.link)) break;
    }
    return out;
  }

  /** A request that changes something (never cached). */
  async send<T>(route: string, params: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    await this.#respectExhaustedQuota(route);
    try {
      const res = await this.#api.request(route, params);
      this.#observe(res.headers);
      return this.#parse(route, res.data, schema);
    } catch (error) {
      throw this.#mapError(error, route);
    }
  }

  async #conditional<T>(
    route: string,
    params: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<{ data: T; link: string | undefined }> {
    const key = `${route} ${JSON.stringify(params)}`;
    const cached = this.#cache.get(key);
    await this.#respectExhaustedQuota(route);
    try {
      const headers = cached === undefined ? {} : { 'if-none-match': cached.etag };
      const res = await this.#api.request(route, { ...params, headers });
      this.#observe(res.headers);
      const data = this.#parse(route, res.data, schema);
      const etag = res.headers.etag;
      if (typeof etag === 'string') this.#remember(key, { etag, data: res.data, link: res.headers.link });
      return { data, link: res.headers.link };
    } catch (error) {
      if (cached !== undefined && isHttpFailure(error) && error.status === 304) {
        this.#observe(error.response?.headers ?? {});
        return { data: this.#parse(route, cached.data, schema), link: cached.link };
      }
      throw this.#mapError(error, route);
    }
  }

  #remember(key: string, value: Cached): void {
    this.#cache.delete(key);
    this.#cache.set(key, value);
    if (this.#cache.size > MAX_CACHE) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
  }

  /** With the primary quota spent, waits for its reset when that is soon, else fails at once. */
  async #respectExhaustedQuota(route: string): Promise<void> {
    const quota = this.#quota;
    if (quota === null || quota.remaining > 0) return;
    const wait = quota.resetAt - this.#options.clock.now();
    if (wait <= 0) return;
    if (wait > this.#options.maxRateLimitWaitMs)
      throw new GitHubRateLimitError(403, route, 'primary', quota.resetAt);
    this.#options.logger.warn({ route, waitMs: wait }, 'GitHub quota spent: waiting for its reset');
    await this.#options.clock.sleep(wait);
  }

  #observe(headers: Record<string, string | number | undefined>): void {
    const limit = Number(headers['x-ratelimit-limit']);
    const remaining = Number(headers['x-ratelimit-remaining']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (
      [limit, remaining, reset].every((n) => Number.isFinite(n)) &&
      headers['x-ratelimit-remaining'] !== undefined
    ) {
      this.#quota = { limit, remaining, resetAt: reset * 1000 };
    }
  }

  #parse<T>(route: string, data: unknown, schema: z.ZodType<T>): T {
    if (typeof data === 'string') throw new GitHubMalformedResponseError(route, 'body is not JSON');
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GitHubMalformedResponseError(
        route,
        `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'bad shape'}`,
      );
    }
    return parsed.data;
  }

  #mapError(error: unknown, route: string): Error {
    const secrets = [this.#options.token];
    if (error instanceof GitHubApiError) return error;
    if (!isHttpFailure(error)) {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
      return new GitHubApiError(null, route, message, { cause: new Error(message) });
    }
    const headers = error.response?.headers ?? {};
    this.#observe(headers);
    const message = redactSecrets(error.message, secrets).slice(0, 500);
    const cause = new Error(message);
    const retryAfter = Number(headers['retry-after']);
    if (
      error.status === 429 ||
      (error.status === 403 && (/rate limit/i.test(message) || headers['x-ratelimit-remaining'] === '0'))
    ) {
      const secondary =
        /secondary/i.test(message) || Number.isFinite(retryAfter) || headers['x-ratelimit-remaining'] !== '0';
      const resetAt = Number(headers['x-ratelimit-reset']) * 1000;
      const retryAt = Number.isFinite(retryAfter)
        ? this.#options.clock.now() + retryAfter * 1000
        : Number.isFinite(resetAt) && resetAt > 0
          ? resetAt
          : null;
      return new GitHubRateLimitError(error.status, route, secondary ? 'secondary' : 'primary', retryAt, {
        cause,
      });
    }
    return new GitHubApiError(error.status, route, message, { cause });
  }
}

function isHttpFailure(error: unknown): error is HttpFailure {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/** `fetch` that gives up after `ms` (a server that never answers is an error, not a hang). */
function timedFetch(ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

/**
 * The subset of a Bottleneck group the throttling plugin uses for write spacing, with a
 * configurable interval (the plugin's own is fixed at 1 s, too slow for tests).
 */
function spacedGroup(intervalMs: number, clock: Clock): never {
  let next = 0;
  const limiter = {
    schedule: async (...args: unknown[]): Promise<unknown> => {
      const fn = args.find((a): a is (...rest: unknown[]) => unknown => typeof a === 'function');
      const rest = args.slice(args.indexOf(fn) + 1);
      const now = clock.now();
      const at = Math.max(now, next);
      next = at + intervalMs;
      if (at > now) await clock.sleep(at - now);
      return fn === undefined ? undefined : await fn(...rest);
    },
  };
  return { key: () => limiter } as never;
}
