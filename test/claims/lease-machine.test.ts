// The lease-renewal machine and its binding on a simulated clock: renewal cadence, loss on a
// refused renewal, loss *before* the TTL when the store cannot be reached, release and stop.
import { createActor, fromCallback, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { startLeaseKeeper, leaseRenewalLogic } from '../../src/actors/lease.js';
import type { Lease } from '../../src/adapters/claims/index.js';
import { SimulatedClock } from '../../src/lib/index.js';
import type { LeaseLossReason } from '../../src/machines/lease.js';
import { FlakyStore } from './flaky-store.js';

const TTL = 3_000;
const SKEW = 250;
const KEY = 'local:demo/app#7';

async function setupKeeper(options: { renewEveryMs?: number } = {}) {
  const clock = new SimulatedClock();
  const store = new FlakyStore(clock);
  const lease = (await store.claim(KEY, 'agent-a', TTL))!;
  const losses: { reason: LeaseLossReason; at: number }[] = [];
  const renewals: Lease[] = [];
  const keeper = startLeaseKeeper({
    store,
    lease,
    clock,
    skewMs: SKEW,
    ...options,
    onLost: (reason) => losses.push({ reason, at: clock.now() }),
    onRenewed: (l) => renewals.push(l),
  });
  return { clock, store, lease, keeper, losses, renewals };
}

describe('lease machine', () => {
  it('renews every third of the TTL and keeps the lease far past its first deadline', async () => {
    const { clock, store, lease, keeper, losses, renewals } = await setupKeeper();
    await clock.advance(TTL / 3 - 1);
    expect(store.calls.renew).toBe(0);
    await clock.advance(1);
    expect(store.calls.renew).toBe(1);
    await clock.advance(10 * TTL);
    expect(renewals.length).toBeGreaterThanOrEqual(30);
    expect(losses).toEqual([]);
    expect(keeper.held).toBe(true);
    expect(await store.read(KEY)).toMatchObject({ holder: 'agent-a', token: lease.token });
    expect(keeper.lease.token).toBe(lease.token);
    expect(keeper.lease.expiresAt).toBeGreaterThan(lease.expiresAt + 9 * TTL);
    await keeper.stop();
  });

  it('declares the lease lost `skew` before its deadline when the store cannot be reached', async () => {
    const { clock, store, lease, keeper, losses } = await setupKeeper();
    store.mode = 'unavailable';
    await clock.advance(lease.expiresAt - SKEW - clock.now() - 1);
    expect(losses).toEqual([]);
    expect(store.calls.renew).toBeGreaterThan(3); // retried, not given up
    await clock.advance(1);
    expect(losses).toEqual([{ reason: 'unreachable', at: lease.expiresAt - SKEW }]);
    expect(keeper.held).toBe(false);
    // Lost while the store still counts the lease as live: nobody else can have taken over yet.
    store.mode = 'ok';
    expect(await store.claim(KEY, 'agent-b', TTL)).toBeNull();
    expect(await keeper.done).toEqual({ state: 'lost', reason: 'unreachable' });
  });

  it('declares the lease lost before the TTL when a renewal hangs', async () => {
    const { clock, store, lease, keeper, losses } = await setupKeeper();
    store.mode = 'hang';
    await clock.advance(TTL);
    expect(losses).toEqual([{ reason: 'unreachable', at: lease.expiresAt - SKEW }]);
    expect((await keeper.done).state).toBe('lost');
  });

  it('rides out an outage shorter than the deadline', async () => {
    const { clock, store, keeper, losses } = await setupKeeper();
    store.mode = 'unavailable';
    await clock.advance(TTL / 2);
    store.mode = 'ok';
    await clock.advance(5 * TTL);
    expect(losses).toEqual([]);
    expect(keeper.held).toBe(true);
    await keeper.stop();
  });

  it('loses the lease at the first refused renewal, long before the deadline', async () => {
    const { clock, store, lease, keeper, losses } = await setupKeeper();
    // An operator releases the key and another agent claims it.
    expect(await store.inner.release(lease, 'operator')).toBe(true);
    const other = (await store.claim(KEY, 'agent-b', TTL))!;
    await clock.advance(TTL / 3);
    expect(losses).toEqual([{ reason: 'taken', at: lease.expiresAt - TTL + TTL / 3 }]);
    expect(await keeper.done).toEqual({ state: 'lost', reason: 'taken' });
    await other.assertHeld();
  });

  it('releases on request, and stops without releasing', async () => {
    const first = await setupKeeper();
    await first.clock.advance(TTL);
    expect(await first.keeper.release('done')).toEqual({ state: 'released', reason: null });
    expect(await first.store.read(KEY)).toBeNull();
    expect(first.losses).toEqual([]);

    const second = await setupKeeper();
    expect(await second.keeper.stop()).toEqual({ state: 'stopped', reason: null });
    expect(await second.store.read(KEY)).toMatchObject({ holder: 'agent-a' });
    const renewsAtStop = second.store.calls.renew;
    await second.clock.advance(2 * TTL);
    expect(second.store.calls.renew).toBe(renewsAtStop);
    expect(second.losses).toEqual([]);
  });

  it('sends lease.lost to the task that invoked it', async () => {
    const clock = new SimulatedClock();
    const store = new FlakyStore(clock);
    const lease = (await store.claim(KEY, 'agent-a', TTL))!;
    const parent = setup({
      types: { events: {} as { type: 'lease.lost'; reason: string } },
      actors: { renewLease: fromCallback<{ type: 'lease.lost'; reason: string }>(() => undefined) },
    })
      .createMachine({
        initial: 'active',
        states: {
          active: { invoke: { src: 'renewLease' }, on: { 'lease.lost': 'lost' } },
          lost: { type: 'final' },
        },
      })
      .provide({
        actors: { renewLease: leaseRenewalLogic({ store, clock, skewMs: SKEW, lease: () => lease }) },
      });
    const task = createActor(parent);
    task.start();
    await clock.advance(5 * TTL);
    expect(task.getSnapshot().value).toBe('active');
    store.mode = 'unavailable';
    await clock.advance(TTL);
    expect(task.getSnapshot().value).toBe('lost');
  });
});
