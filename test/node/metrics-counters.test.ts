/**
 * The counters behind the guarantee's series, on an injected clock: the counting claim store
 * (contention, leases held, renewals, losses by reason, each grant's loss counted once) and
 * the task tally (outcomes once each, durations, states; a task counts on the node that
 * reported it last).
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError, MemoryClaimStore } from '../../src/adapters/claims/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { countedClaims } from '../../src/node/counted-claims.js';
import { NodeMetrics } from '../../src/node/metrics.js';
import { TaskTally } from '../../src/node/task-metrics.js';
import { value } from './metrics-support.js';

function setup() {
  const clock = new SimulatedClock();
  const metrics = new NodeMetrics({ node: 'n1', cluster: 'c' });
  const inner = new MemoryClaimStore({ clock, logger: silentLogger() });
  const claims = countedClaims(inner, metrics, () => clock.now());
  return { clock, metrics, claims, read: () => metrics.text() };
}

describe('counted claims', () => {
  it('count contention, leases held and renewals, and a release ends the lease without a loss', async () => {
    const { claims, read } = setup();
    await claims.start();
    const lease = (await claims.claim('local:demo/app#1', 'a', 1000))!;
    expect(await claims.claim('local:demo/app#1', 'b', 1000)).toBeNull();
    const renewed = await claims.renew(lease);
    let text = await read();
    expect(value(text, 'bzzz_claims_contended_total')).toBe(1);
    expect(value(text, 'bzzz_leases_held')).toBe(1);
    expect(value(text, 'bzzz_lease_renewals_total')).toBe(1);
    expect(await claims.release(renewed, 'done')).toBe(true);
    text = await read();
    expect(value(text, 'bzzz_leases_held')).toBe(0);
    for (const reason of ['expired', 'released', 'taken', 'stopped'])
      expect(value(text, 'bzzz_leases_lost_total', { reason })).toBe(0);
  });

  it('count a lease taken by another grant once, by the reason the store gives', async () => {
    const { claims, clock, read } = setup();
    await claims.start();
    const first = (await claims.claim('local:demo/app#2', 'a', 1000))!;
    await clock.advance(1500);
    const second = (await claims.claim('local:demo/app#2', 'b', 1000))!;
    expect(second.token).toBeGreaterThan(first.token);
    const error = await claims.renew(first).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(await claims.release(first)).toBe(false);
    const text = await read();
    expect(value(text, 'bzzz_leases_lost_total', { reason: (error as LeaseLostError).reason })).toBe(1);
    expect(
      value(text, 'bzzz_leases_lost_total', { reason: 'expired' }) +
        value(text, 'bzzz_leases_lost_total', { reason: 'taken' }),
    ).toBe(1);
    expect(value(text, 'bzzz_leases_held')).toBe(1);
  });

  it('count a lease that ran out without renewal or release as expired, at the next scrape', async () => {
    const { claims, clock, read } = setup();
    await claims.start();
    await claims.claim('local:demo/app#3', 'a', 1000);
    expect(value(await read(), 'bzzz_leases_held')).toBe(1);
    await clock.advance(1001);
    const text = await read();
    expect(value(text, 'bzzz_leases_held')).toBe(0);
    expect(value(text, 'bzzz_leases_lost_total', { reason: 'expired' })).toBe(1);
    expect(value(await read(), 'bzzz_leases_lost_total', { reason: 'expired' })).toBe(1);
  });
});

describe('task tally', () => {
  const progress = (task: string, state: string, node = 'n1') =>
    ({ task, state, node, agent: 'a' }) as Parameters<TaskTally['progress']>[0];

  it('counts an outcome once with its duration, and the states of the tasks it reported last', async () => {
    const metrics = new NodeMetrics({ node: 'n1', cluster: 'c' });
    const tally = new TaskTally('n1', metrics);
    tally.progress(progress('k#1', 'discovered'), 1_000);
    tally.progress(progress('k#1', 'claiming'), 1_000);
    tally.progress(progress('k#1', 'working'), 2_000);
    tally.progress(progress('k#2', 'claiming'), 2_000);
    let text = await metrics.text();
    expect(value(text, 'bzzz_tasks', { state: 'working' })).toBe(1);
    expect(value(text, 'bzzz_tasks', { state: 'claiming' })).toBe(1);
    tally.progress(progress('k#1', 'done'), 31_000);
    tally.progress(progress('k#1', 'done'), 32_000);
    // another node won k#2: it counts there, not here
    tally.progress(progress('k#2', 'claimed', 'n2'), 3_000);
    text = await metrics.text();
    expect(value(text, 'bzzz_tasks_total', { outcome: 'done' })).toBe(1);
    expect(value(text, 'bzzz_task_duration_seconds_sum', { outcome: 'done' })).toBe(30);
    expect(value(text, 'bzzz_task_duration_seconds_bucket', { outcome: 'done', le: '30' })).toBe(1);
    expect(value(text, 'bzzz_task_duration_seconds_bucket', { outcome: 'done', le: '15' })).toBe(0);
    expect(value(text, 'bzzz_tasks', { state: 'done' })).toBe(1);
    expect(value(text, 'bzzz_tasks', { state: 'working' })).toBe(0);
    expect(value(text, 'bzzz_tasks', { state: 'claiming' })).toBe(0);
  });
});
