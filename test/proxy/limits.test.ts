/**
 * Limits and budgets of the proxy, seen from the official SDK (no retries): 429 with
 * `Retry-After` when a key's or a model's bucket is empty, 402 when a key's or a task's
 * budget is spent, both before anything reaches the upstream; and the token buckets' own
 * arithmetic on a simulated clock (refill, all or nothing, settlement against actual use).
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetExceededError, createReasoner } from '../../src/adapters/llm/index.js';
import { MemoryRateLimiter } from '../../src/adapters/proxy/index.js';
import { SimulatedClock, systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { eventually } from '../helpers/cli.js';
import { startProxyHarness, type ProxyHarness } from './harness.js';

const messages = [{ role: 'user' as const, content: 'hi' }];
const ask = (client: OpenAI, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages, ...extra }).catch((e: unknown) => e);

let h: ProxyHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function apiError(value: unknown): InstanceType<typeof OpenAI.APIError> {
  expect(value).toBeInstanceOf(OpenAI.APIError);
  return value as InstanceType<typeof OpenAI.APIError>;
}

describe('rate limits', () => {
  it("refuses a key's request past its requests per minute with 429 and Retry-After, forwarding nothing", async () => {
    h = await startProxyHarness();
    const client = h.client(await h.key({ name: 'slow', rpm: 1 }));
    expect(await ask(client)).not.toBeInstanceOf(Error);
    const refused = apiError(await ask(client));
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.code).toBe('rate_limit_exceeded');
    expect(refused.type).toBe('requests');
    const retryAfter = Number(refused.headers?.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('charges the tokens a request used to its tokens per minute', async () => {
    h = await startProxyHarness();
    const client = h.client(await h.key({ name: 'wordy', tpm: 1_000 }));
    h.upstream.script({ kind: 'reply', usage: { prompt: 1_500, completion: 500 } });
    expect(await ask(client, { max_tokens: 10 })).not.toBeInstanceOf(Error);
    const refused = apiError(await ask(client, { max_tokens: 10 }));
    expect(refused.status).toBe(429);
    expect(refused.type).toBe('tokens');
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('holds a model limit across keys', async () => {
    h = await startProxyHarness({ policy: 'models:\n  gpt-4o-mini: { rpm: 1 }\n' });
    const a = h.client(await h.key({ name: 'a' }));
    const b = h.client(await h.key({ name: 'b' }));
    expect(await ask(a)).not.toBeInstanceOf(Error);
    expect(apiError(await ask(b)).status).toBe(429);
    expect(await ask(b, { model: 'gpt-4o' })).not.toBeInstanceOf(Error);
  });

  it("passes the upstream's own 429 and its Retry-After on", async () => {
    h = await startProxyHarness();
    const client = h.client(await h.key({ name: 'k' }));
    h.upstream.script({ kind: 'status', status: 429, retryAfter: '7' });
    const refused = apiError(await ask(client));
    expect(refused.status).toBe(429);
    expect(refused.headers?.get('retry-after')).toBe('7');
  });
});

describe('budgets', () => {
  it('refuses with 402 a key whose budget is spent, before forwarding', async () => {
    h = await startProxyHarness();
    const broke = h.client(await h.key({ name: 'broke', budgetUsd: 0 }));
    const refused = apiError(await ask(broke));
    expect(refused.status).toBe(402);
    expect(refused.code).toBe('key_budget_exceeded');
    expect(refused.message).toContain('budget of key broke is spent');
    expect(h.upstream.requests).toHaveLength(0);

    // one request costs 42 × 0.15 + 7 × 0.6 = 10.5 µUSD: the first starts under 10 µUSD, the next over
    const small = h.client(await h.key({ name: 'small', budgetUsd: 0.00001 }));
    expect(await ask(small)).not.toBeInstanceOf(Error);
    await eventually(async () => ((await h!.sink.spent({ key: 'small' })) > 0 ? true : undefined));
    expect(apiError(await ask(small)).code).toBe('key_budget_exceeded');
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('refuses a task whose budget is spent, whichever key asks, and only that task', async () => {
    h = await startProxyHarness({ policy: 'task_budget_usd: 0.00001\n' });
    const a = await h.key({ name: 'a' });
    const b = await h.key({ name: 'b' });
    const onTask = (key: string, task: string) => h!.client(key, { 'x-bzzz-task': task });
    expect(await ask(onTask(a, 'local:demo/app#1'))).not.toBeInstanceOf(Error);
    await eventually(async () =>
      (await h!.sink.spent({ task: 'local:demo/app#1' })) > 0 ? true : undefined,
    );
    const refused = apiError(await ask(onTask(b, 'local:demo/app#1')));
    expect(refused.status).toBe(402);
    expect(refused.code).toBe('task_budget_exceeded');
    expect(await ask(onTask(b, 'local:demo/app#2'))).not.toBeInstanceOf(Error);
    expect(h.upstream.requests).toHaveLength(2);
  });

  it("is the task's cost budget to a bzzz reasoner: it stops with BudgetExceededError, so the task escalates", async () => {
    h = await startProxyHarness({ policy: 'task_budget_usd: 0.00001\n' });
    const key = await h.key({ name: 'agent' });
    const reasoner = createReasoner(
      { backend: 'openai', baseUrl: `${h.proxy.url}/v1`, apiKey: key, model: 'gpt-4o-mini', stream: false },
      { clock: systemClock, logger: silentLogger() },
    );
    const task = { key: 'local:demo/app#9', title: 'List the files', body: 'Run ls.' };
    h.upstream.script({ kind: 'reply' });
    await reasoner.next({ task, history: [] });
    await eventually(async () => ((await h!.sink.spent({ task: task.key })) > 0 ? true : undefined));
    const refused = await reasoner.next({ task, history: [] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect(refused).toMatchObject({ limit: 'cost', max: 0.00001, retryable: false });
    expect((refused as BudgetExceededError).used).toBeGreaterThan(0.00001);
    // refused before the upstream: one request went there
    expect(h.upstream.requests).toHaveLength(1);
  });
});

describe('token buckets (in memory, on a simulated clock)', () => {
  const bucket = (cost: number, capacity = 60) => ({ id: 'rpm:key:k', capacity, cost });

  it('refills at the limit per minute and says how long to wait', async () => {
    const clock = new SimulatedClock();
    const limiter = new MemoryRateLimiter(clock);
    for (let i = 0; i < 60; i++) expect(await limiter.take([bucket(1)])).toEqual({ ok: true });
    expect(await limiter.take([bucket(1)])).toEqual({ ok: false, bucket: 'rpm:key:k', retryAfterMs: 1_000 });
    await clock.advance(999);
    expect((await limiter.take([bucket(1)])).ok).toBe(false);
    await clock.advance(1);
    expect(await limiter.take([bucket(1)])).toEqual({ ok: true });
  });

  it('takes all buckets or none', async () => {
    const clock = new SimulatedClock();
    const limiter = new MemoryRateLimiter(clock);
    const tokens = { id: 'tpm:key:k', capacity: 100, cost: 80 };
    expect((await limiter.take([bucket(1), tokens])).ok).toBe(true);
    const refused = await limiter.take([bucket(1), tokens]);
    expect(refused).toEqual({ ok: false, bucket: 'tpm:key:k', retryAfterMs: 36_000 });
    // the refused take left the request bucket alone: 59 more requests fit
    for (let i = 0; i < 59; i++) expect((await limiter.take([bucket(1)])).ok).toBe(true);
    expect((await limiter.take([bucket(1)])).ok).toBe(false);
  });

  it('settles the estimate against what was used, both ways', async () => {
    const clock = new SimulatedClock();
    const limiter = new MemoryRateLimiter(clock);
    const tokens = (cost: number) => [{ id: 'tpm:key:k', capacity: 100, cost }];
    expect((await limiter.take(tokens(90))).ok).toBe(true);
    await limiter.settle(tokens(-80)); // used 10 of the 90 estimated
    expect((await limiter.take(tokens(90))).ok).toBe(true);
    await limiter.settle(tokens(50)); // used 140: the bucket is 50 in debt
    expect(await limiter.take(tokens(1))).toEqual({ ok: false, bucket: 'tpm:key:k', retryAfterMs: 30_600 });
    // a request larger than the whole minute waits for a full bucket, not forever
    await clock.advance(90_000);
    expect((await limiter.take(tokens(500))).ok).toBe(true);
  });
});
