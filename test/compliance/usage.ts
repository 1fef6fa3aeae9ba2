/**
 * Compliance suite of the usage port: usage records and their summary and spending by key,
 * task and model (exact, money included), idempotent records, refused bad input, the task
 * history round trip with its filters, persistence across instances, and the lifecycle. It
 * runs unchanged against PostgreSQL (a real server) and the embedded SQLite database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskOutcomeRecord, UsageRecord, UsageStore } from '../../src/adapters/usage/index.js';

/** What a test file provides for one backend: a store on an empty database, started. */
export interface UsageHarness {
  store: UsageStore;
  /** Another store on the same database, started (another node, or the node after a restart). */
  reopen(): Promise<UsageStore>;
  close(): Promise<void>;
}

let unique = 0;
export function usageRecord(over: Partial<UsageRecord> = {}): UsageRecord {
  unique += 1;
  return {
    id: `req-${process.pid}-${unique}`,
    at: 1_700_000_000_000 + unique,
    key: 'alice',
    node: 'node-1',
    task: 'local:demo/app#1',
    model: 'gpt-4o-mini',
    promptTokens: 10,
    completionTokens: 5,
    costUsd: 0.1,
    status: 200,
    latencyMs: 12.5,
    stream: false,
    ...over,
  };
}

export function taskOutcome(over: Partial<TaskOutcomeRecord> = {}): TaskOutcomeRecord {
  return {
    key: 'local:demo/app#1',
    repo: 'demo/app',
    state: 'done',
    holder: 'agent-1',
    node: 'node-1',
    rounds: 3,
    promptTokens: 1200,
    completionTokens: 340,
    costUsd: 0.012345678,
    startedAt: 1_700_000_000_123,
    endedAt: 1_700_000_060_456,
    pr: 'https://forge.example/demo/app/pulls/7',
    reason: null,
    ...over,
  };
}

/** USD summed as nano-dollars, as a careful person would add money. */
const usd = (...amounts: number[]) => amounts.reduce((sum, a) => sum + Math.round(a * 1e9), 0) / 1e9;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, the call succeeded');
}

export function usageStoreCompliance(name: string, factory: () => Promise<UsageHarness>): void {
  describe(`usage store compliance: ${name}`, () => {
    let h: UsageHarness;
    let store: UsageStore;
    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.close();
    });

    it('an empty store sums to zero', async () => {
      expect(await store.summary()).toEqual({
        requests: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
        groups: [],
      });
      expect(await store.summary('key')).toMatchObject({ requests: 0, groups: [] });
      expect(await store.spent({})).toBe(0);
      expect(await store.tasks()).toEqual([]);
      expect(store.health()).toEqual({ status: 'ok', pending: 0, dropped: 0 });
    });

    it('sums records exactly, in total and by key, task and model', async () => {
      const records = [
        usageRecord({ key: 'alice', task: 'local:demo/app#1', model: 'm-a', costUsd: 0.1, promptTokens: 7 }),
        usageRecord({
          key: 'alice',
          task: 'local:demo/app#2',
          model: 'm-b',
          costUsd: 0.2,
          completionTokens: 9,
        }),
        usageRecord({ key: 'bob', task: null, model: 'm-a', costUsd: 0.000123456, stream: true }),
        usageRecord({ key: 'bob', task: 'local:demo/app#1', model: 'm-b', costUsd: 1.5, status: 429 }),
        usageRecord({ key: 'carol', task: 'local:demo/app#1', model: 'm-a', costUsd: 0.000000001 }),
        usageRecord({
          key: 'carol',
          task: null,
          model: 'm-c',
          costUsd: 0,
          promptTokens: 0,
          completionTokens: 0,
        }),
      ];
      for (const r of records) await store.record(r);
      const total = await store.summary();
      expect(total).toEqual({
        requests: 6,
        prompt_tokens: 7 + 10 * 4,
        completion_tokens: 9 + 5 * 4,
        cost_usd: usd(0.1, 0.2, 0.000123456, 1.5, 0.000000001),
        groups: [],
      });
      expect(total.cost_usd).toBe(1.800123457);
      const byKey = await store.summary('key');
      expect(byKey.groups).toEqual([
        { group: 'alice', requests: 2, prompt_tokens: 17, completion_tokens: 14, cost_usd: usd(0.1, 0.2) },
        { group: 'bob', requests: 2, prompt_tokens: 20, completion_tokens: 10, cost_usd: 1.500123456 },
        { group: 'carol', requests: 2, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.000000001 },
      ]);
      expect(byKey.groups[0]?.cost_usd).toBe(0.3);
      const byTask = await store.summary('task');
      expect(byTask.groups.map((g) => [g.group, g.requests, g.cost_usd])).toEqual([
        ['(none)', 2, 0.000123456],
        ['local:demo/app#1', 3, 1.600000001],
        ['local:demo/app#2', 1, 0.2],
      ]);
      const byModel = await store.summary('model');
      expect(byModel.groups.map((g) => [g.group, g.requests, g.prompt_tokens, g.cost_usd])).toEqual([
        ['m-a', 3, 27, 0.100123457],
        ['m-b', 2, 20, 1.7],
        ['m-c', 1, 0, 0],
      ]);
      expect(byModel).toMatchObject({ requests: total.requests, cost_usd: total.cost_usd });
      expect(await store.spent({ key: 'alice' })).toBe(0.3);
      expect(await store.spent({ task: 'local:demo/app#1' })).toBe(1.600000001);
      expect(await store.spent({ key: 'bob', task: 'local:demo/app#1' })).toBe(1.5);
      expect(await store.spent({ key: 'nobody' })).toBe(0);
      expect(await store.spent({})).toBe(1.800123457);
    });

    it('counts a record recorded twice (a retried write) once', async () => {
      const r = usageRecord({ costUsd: 0.25 });
      await store.record(r);
      await store.record({ ...r });
      expect(await store.summary()).toMatchObject({ requests: 1, cost_usd: 0.25 });
    });

    it('takes many records at once', async () => {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.record(usageRecord({ costUsd: 0.001, key: `k${i % 4}` })),
        ),
      );
      const summary = await store.summary('key');
      expect(summary.requests).toBe(200);
      expect(summary.cost_usd).toBe(0.2);
      expect(summary.groups.map((g) => g.requests)).toEqual([50, 50, 50, 50]);
    });

    it('refuses a bad record or query with a named error and keeps working', async () => {
      const bad = [
        { ...usageRecord(), promptTokens: -1 },
        { ...usageRecord(), costUsd: Number.NaN },
        { ...usageRecord(), model: '' },
        { ...usageRecord(), task: 42 },
        // PostgreSQL's text cannot hold a NUL: refused up front on every backend
        { ...usageRecord(), model: 'gpt\u0000mini' },
      ];
      for (const record of bad) {
        const error = await rejection(store.record(record as unknown as UsageRecord));
        expect(error.name).toBe('InvalidUsageRecordError');
      }
      const late = taskOutcome({ startedAt: 2_000, endedAt: 1_000 });
      expect((await rejection(store.recordTask(late))).message).toContain('endedAt');
      const state = { ...taskOutcome(), state: 'skipped' } as unknown as TaskOutcomeRecord;
      expect((await rejection(store.recordTask(state))).name).toBe('InvalidUsageRecordError');
      expect((await rejection(store.tasks({ limit: 0 }))).name).toBe('InvalidUsageRecordError');
      await store.record(usageRecord());
      expect((await store.summary()).requests).toBe(1);
    });

    it('keeps task outcomes and lists them newest first, by repo and by state', async () => {
      const first = taskOutcome();
      const second = taskOutcome({
        key: 'local:demo/app#2',
        state: 'failed',
        holder: 'agent-2',
        node: 'node-2',
        rounds: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        startedAt: 1_700_000_100_000,
        endedAt: 1_700_000_100_001,
        pr: null,
        reason: 'failed: step 1 exited 2 — "quoted" text, ünïcode',
      });
      const third = taskOutcome({
        key: 'local:other/lib#5',
        repo: 'other/lib',
        state: 'escalated',
        startedAt: 1_700_000_200_000,
        endedAt: 1_700_000_260_999,
        pr: null,
        reason: 'escalated: BudgetExceededError',
      });
      for (const outcome of [first, second, third]) await store.recordTask(outcome);
      expect(await store.tasks()).toEqual([third, second, first]);
      expect(await store.tasks({ repo: 'demo/app' })).toEqual([second, first]);
      expect(await store.tasks({ state: 'done' })).toEqual([first]);
      expect(await store.tasks({ repo: 'demo/app', state: 'escalated' })).toEqual([]);
      expect(await store.tasks({ limit: 2 })).toEqual([third, second]);
    });

    it('keeps a task that ran twice as two attempts', async () => {
      await store.recordTask(taskOutcome({ state: 'lost', endedAt: 1_700_000_010_000, pr: null }));
      await store.recordTask(taskOutcome({ holder: 'agent-9' }));
      const attempts = await store.tasks();
      expect(attempts.map((t) => [t.state, t.holder])).toEqual([
        ['done', 'agent-9'],
        ['lost', 'agent-1'],
      ]);
    });

    it('what one instance wrote, another reads', async () => {
      await store.record(usageRecord({ key: 'dave', costUsd: 0.5 }));
      await store.recordTask(taskOutcome({ key: 'local:demo/app#9' }));
      const other = await h.reopen();
      try {
        expect(await other.spent({ key: 'dave' })).toBe(0.5);
        expect((await other.tasks()).map((t) => t.key)).toEqual(['local:demo/app#9']);
        await other.record(usageRecord({ key: 'dave', costUsd: 0.25 }));
        expect(await store.spent({ key: 'dave' })).toBe(0.75);
      } finally {
        await other.stop();
      }
    });

    it('start and stop are safe twice; a stopped store refuses reads and drops writes', async () => {
      await store.start();
      await store.stop();
      await store.stop();
      expect((await rejection(store.summary())).name).toBe('UsageStoreClosedError');
      await store.record(usageRecord());
      expect(store.health().dropped).toBe(1);
      expect((await rejection(store.start())).name).toBe('UsageStoreClosedError');
    });
  });
}
