/**
 * The WHOOSH client over `fetch`: bearer key, a timeout on the injected clock, retries with
 * backoff for 429/5xx/connection failures (honouring `Retry-After`), and every body checked
 * with zod before it is trusted.
 */
import { z } from 'zod';
import type { Clock, Logger } from '../../lib/index.js';
import { BzzzError, describeError } from '../../lib/errors.js';
import { parseRetryAfter, retryWithBackoff } from '../../lib/backoff.js';
import { WhooshHttpError, WhooshResponseError, WhooshUnavailableError } from './errors.js';
import type {
  WhooshClaimResult,
  WhooshClient,
  WhooshComponents,
  WhooshInit,
  WhooshRepository,
  WhooshTask,
} from './types.js';
import { activeReposSchema, claimConflictSchema, claimSchema, tasksSchema } from './schemas.js';

const MAX_BODY = 8 * 1024 * 1024;

export class HttpWhooshClient implements WhooshClient {
  readonly #base: string;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    private readonly init: WhooshInit,
    components: WhooshComponents,
  ) {
    this.#base = init.url.replace(/\/+$/, '');
    this.#clock = components.clock;
    this.#logger = components.logger.child({ component: 'whoosh' });
  }

  async activeRepos(signal?: AbortSignal): Promise<WhooshRepository[]> {
    const path = '/api/bzzz/active-repos';
    const { body } = await this.#call('GET', path, undefined, signal);
    return parse(path, activeReposSchema, body).repositories;
  }

  async projectTasks(projectId: number, signal?: AbortSignal): Promise<WhooshTask[]> {
    const path = `/api/bzzz/projects/${checkId(projectId)}/tasks`;
    const { body } = await this.#call('GET', path, undefined, signal);
    return parse(path, tasksSchema, body);
  }

  async claimTask(
    projectId: number,
    taskNumber: number,
    agentId: string,
    signal?: AbortSignal,
  ): Promise<WhooshClaimResult> {
    const path = `/api/bzzz/projects/${checkId(projectId)}/claim`;
    const request = {
      task_number: taskNumber,
      agent_id: agentId,
      claimed_at: Math.floor(this.#clock.now() / 1000),
    };
    const { status, body } = await this.#call('POST', path, request, signal, [409]);
    if (status === 409) {
      const conflict = parse(path, claimConflictSchema, body);
      // A retried POST that WHOOSH already recorded comes back as a conflict with us as holder.
      if (conflict.claimed_by === agentId) return { claimed: true, claimId: undefined };
      return { claimed: false, claimedBy: conflict.claimed_by };
    }
    return { claimed: true, claimId: parse(path, claimSchema, body).claim_id };
  }

  async updateStatus(
    projectId: number,
    taskNumber: number,
    status: string,
    results?: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = `/api/bzzz/projects/${checkId(projectId)}/status`;
    const request = {
      task_number: taskNumber,
      status,
      updated_at: Math.floor(this.#clock.now() / 1000),
      ...(results === undefined ? {} : { results }),
    };
    await this.#call('PUT', path, request, signal);
  }

  /** One API call with retries; returns the status and the parsed JSON body (null when empty). */
  #call(
    method: string,
    path: string,
    request: unknown,
    signal: AbortSignal | undefined,
    accepted: number[] = [],
  ) {
    return retryWithBackoff(() => this.#once(method, path, request, signal, accepted), {
      clock: this.#clock,
      policy: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 10_000, ...this.init.retry },
      signal,
      classify: (error) =>
        error instanceof WhooshHttpError
          ? { retry: error.retryable, retryAfterMs: error.retryAfterMs }
          : { retry: error instanceof WhooshUnavailableError },
      onRetry: (error, attempt, delayMs) =>
        this.#logger.warn(
          { path, attempt, delayMs, err: describeError(error) },
          'WHOOSH call failed, retrying',
        ),
    });
  }

  async #once(
    method: string,
    path: string,
    request: unknown,
    outer: AbortSignal | undefined,
    accepted: number[],
  ) {
    const url = `${this.#base}${path}`;
    const timeoutMs = this.init.requestTimeoutMs ?? 15_000;
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), timeoutMs);
    const signal = outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request !== undefined) headers['content-type'] = 'application/json';
    if (this.init.apiKey !== undefined && this.init.apiKey !== '')
      headers.authorization = `Bearer ${this.init.apiKey}`;
    try {
      const response = await fetch(url, {
        method,
        headers,
        signal,
        ...(request === undefined ? {} : { body: JSON.stringify(request) }),
      });
      const text = await response.text();
      if (text.length > MAX_BODY) throw new WhooshResponseError(path, `body larger than ${MAX_BODY} bytes`);
      if (!response.ok && !accepted.includes(response.status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#clock.now());
        throw new WhooshHttpError(
          method,
          path,
          response.status,
          errorMessage(text) ?? response.statusText,
          retryAfterMs,
        );
      }
      return { status: response.status, body: parseJson(path, text) };
    } catch (error) {
      if (error instanceof BzzzError) throw error;
      const detail = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : describeError(error);
      throw new WhooshUnavailableError(url, detail, { cause: error, retryable: outer?.aborted !== true });
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }
}

function checkId(projectId: number): number {
  if (!Number.isSafeInteger(projectId) || projectId < 0) {
    throw new WhooshResponseError('/api/bzzz/projects', `invalid project id ${String(projectId)}`, {
      retryable: false,
    });
  }
  return projectId;
}

function parseJson(path: string, text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WhooshResponseError(path, `not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
}

function parse<T>(path: string, schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new WhooshResponseError(path, `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

function errorMessage(text: string): string | undefined {
  try {
    const json = JSON.parse(text) as { error?: unknown; detail?: unknown; message?: unknown };
    for (const value of [json.error, json.detail, json.message]) if (typeof value === 'string') return value;
  } catch {
    // Not JSON: fall back to the raw text.
  }
  return text.trim().slice(0, 300) || undefined;
}
