/**
 * Compliance suite of the proxy's usage sink (`src/adapters/proxy/usage-sink.ts`): records,
 * totals, groups by key, task and model (ordered by name, `(none)` for no task), spent per
 * key, per task and both, and a record stored twice counted once. It runs unchanged on the
 * in-memory sink, the node's SQLite sink, and any other store (PostgreSQL).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageRecord, UsageSink } from '../../src/adapters/proxy/index.js';

export interface UsageSinkHarness {
  /** A new, empty sink. */
  open(): Promise<UsageSink>;
  /** Releases it (and, to check persistence, may reopen: see `reopen`). */
  close(sink: UsageSink): Promise<void>;
  /** The same store opened again, when the implementation persists (else undefined). */
  reopen?(sink: UsageSink): Promise<UsageSink>;
}

let serial = 0;
export function usageRecord(over: Partial<UsageRecord> = {}): UsageRecord {
  serial++;
  return {
    id: `rec-${serial}-${Math.random().toString(36).slice(2)}`,
    at: 1_700_000_000_000 + serial,
    key: 'agent-1',
    node: 'node-a',
    task: 'local:demo/app#1',
    model: 'gpt-4o-mini',
    promptTokens: 100,
    completionTokens: 20,
    costUsd: 0.000027,
    status: 200,
    latencyMs: 12.5,
    stream: false,
    ...over,
  };
}

export function usageSinkCompliance(name: string, harness: UsageSinkHarness): void {
  describe(`usage sink compliance: ${name}`, () => {
    let sink: UsageSink;
    beforeEach(async () => {
      sink = await harness.open();
    });
    afterEach(async () => {
      await harness.close(sink);
    });

    it('starts empty', async () => {
      expect(await sink.summary('key')).toEqual({
        requests: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
        groups: [],
      });
      expect(await sink.spent({ key: 'agent-1' })).toBe(0);
    });

    it('sums every record and groups by key, task and model, ordered by group', async () => {
      await sink.record(
        usageRecord({
          key: 'b',
          task: 't1',
          model: 'm1',
          promptTokens: 10,
          completionTokens: 1,
          costUsd: 0.5,
        }),
      );
      await sink.record(
        usageRecord({
          key: 'a',
          task: 't1',
          model: 'm2',
          promptTokens: 20,
          completionTokens: 2,
          costUsd: 0.25,
        }),
      );
      await sink.record(
        usageRecord({
          key: 'a',
          task: null,
          model: 'm1',
          promptTokens: 30,
          completionTokens: 3,
          costUsd: 0.125,
        }),
      );
      const total = { requests: 3, prompt_tokens: 60, completion_tokens: 6 };
      const byKey = await sink.summary('key');
      expect(byKey).toMatchObject(total);
      expect(byKey.cost_usd).toBeCloseTo(0.875, 12);
      expect(byKey.groups).toEqual([
        { group: 'a', requests: 2, prompt_tokens: 50, completion_tokens: 5, cost_usd: 0.375 },
        { group: 'b', requests: 1, prompt_tokens: 10, completion_tokens: 1, cost_usd: 0.5 },
      ]);
      expect((await sink.summary('task')).groups.map((g) => [g.group, g.requests])).toEqual([
        ['(none)', 1],
        ['t1', 2],
      ]);
      expect((await sink.summary('model')).groups.map((g) => [g.group, g.prompt_tokens])).toEqual([
        ['m1', 40],
        ['m2', 20],
      ]);
      expect((await sink.summary()).groups).toEqual([]);
    });

    it('says what a key, a task, or a key on a task has spent', async () => {
      await sink.record(usageRecord({ key: 'a', task: 't1', costUsd: 0.5 }));
      await sink.record(usageRecord({ key: 'a', task: 't2', costUsd: 0.25 }));
      await sink.record(usageRecord({ key: 'b', task: 't1', costUsd: 0.125 }));
      await sink.record(usageRecord({ key: 'b', task: null, costUsd: 1 }));
      expect(await sink.spent({ key: 'a' })).toBeCloseTo(0.75, 12);
      expect(await sink.spent({ task: 't1' })).toBeCloseTo(0.625, 12);
      expect(await sink.spent({ key: 'b', task: 't1' })).toBeCloseTo(0.125, 12);
      expect(await sink.spent({})).toBeCloseTo(1.875, 12);
      expect(await sink.spent({ key: 'nobody' })).toBe(0);
    });

    it('counts a record stored twice once', async () => {
      const r = usageRecord({ costUsd: 0.5 });
      await sink.record(r);
      await sink.record(r);
      expect((await sink.summary()).requests).toBe(1);
      expect(await sink.spent({ key: r.key })).toBeCloseTo(0.5, 12);
      expect(await sink.spent({ task: r.task! })).toBeCloseTo(0.5, 12);
    });

    it('keeps its records when opened again (persistent sinks)', async () => {
      await sink.record(usageRecord({ key: 'kept', costUsd: 0.5 }));
      if (harness.reopen === undefined) {
        expect((await sink.summary()).requests).toBe(1);
        return;
      }
      sink = await harness.reopen(sink);
      expect(await sink.spent({ key: 'kept' })).toBeCloseTo(0.5, 12);
      expect((await sink.summary('key')).groups.map((g) => g.group)).toEqual(['kept']);
    });
  });
}
