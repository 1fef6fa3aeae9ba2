// The forge claim store against the claim compliance suite, unchanged, on a simulated clock;
// then what only a store in shared files has to prove: a corrupt record, a lock left by a
// killed process, releases racing claims, draining on stop, and the skew rule between two
// processes' clocks. Processes racing on one directory: forge-race.test.ts.
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ForgeClaimStore,
  createClaimStore,
  type ClaimStore,
  type Lease,
} from '../../src/adapters/claims/index.js';
import { leaseFileName } from '../../src/adapters/claims/forge-record.js';
import { SimulatedClock, silentLogger, type Clock } from '../../src/lib/index.js';
import { claimStoreCompliance } from '../compliance/claims.js';

const root = await mkdtemp(join(tmpdir(), 'bzzz-forge-claims-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

claimStoreCompliance('forge', async () => {
  const clock = new SimulatedClock();
  const store = createClaimStore(
    { backend: 'forge', dir: join(root, 'forge'), cluster: 'compliance' },
    { clock, logger: silentLogger() },
  );
  await store.start();
  return {
    store,
    clock,
    advance: (ms) => clock.advance(ms),
    ttlMs: 10_000,
    propertyRuns: 150,
    close: () => store.stop(),
  };
});

let stores = 0;
async function forgeStore(clock: Clock, init: { cluster?: string; maxClockSkewMs?: number } = {}) {
  stores++;
  const store = new ForgeClaimStore(
    { dir: join(root, 'forge'), cluster: init.cluster ?? `c${stores}`, ...init, lockStaleMs: 2_000 },
    { clock, logger: silentLogger() },
  );
  await store.start();
  return store;
}

async function leftLocks(store: ForgeClaimStore): Promise<string[]> {
  return (await readdir(store.tableDir)).filter((name) => name.endsWith('.lock'));
}

async function mustClaim(store: ClaimStore, key: string, holder: string, ttlMs = 10_000): Promise<Lease> {
  const lease = await store.claim(key, holder, ttlMs);
  expect(lease, `${holder} should win ${key}`).not.toBeNull();
  return lease!;
}

describe('forge claim store: a corrupt record', () => {
  it('is an error naming the file for claim, read and list, and nothing is granted or written', async () => {
    const store = await forgeStore(new SimulatedClock());
    const key = 'local:demo/app#7';
    const file = join(store.tableDir, leaseFileName(key));
    await store.release(await mustClaim(store, key, 'agent-a'));
    const cases: [content: string, reason: RegExp][] = [
      ['{"v":1,"key":', /not JSON/],
      ['', /empty/],
      [JSON.stringify({ v: 1, key, state: 'held', token: -3, holder: 'x', ttlMs: 5, expiresAt: 0 }), /token/],
      [
        JSON.stringify({ v: 1, key: 'other', state: 'released', token: 4, holder: 'x', releasedAt: 0 }),
        /key/,
      ],
    ];
    for (const [content, reason] of cases) {
      await writeFile(file, content);
      const error = (await store.claim(key, 'agent-b', 10_000).catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ name: 'ClaimRecordCorruptError', file, retryable: false });
      expect(error.message).toContain(file);
      expect((error as unknown as { reason: string }).reason).toMatch(reason);
      await expect(store.read(key)).rejects.toMatchObject({ name: 'ClaimRecordCorruptError', file });
      await expect(store.list()).rejects.toMatchObject({ name: 'ClaimRecordCorruptError', file });
      expect(await readFile(file, 'utf8')).toBe(content);
    }
    // other keys are not affected, and no lock is left behind
    await mustClaim(store, 'local:demo/app#8', 'agent-b');
    expect(await leftLocks(store)).toEqual([]);
    await store.stop();
  });

  it('stops a holder whose record turned corrupt from acting on it', async () => {
    const store = await forgeStore(new SimulatedClock());
    const key = 'local:demo/app#9';
    const lease = await mustClaim(store, key, 'agent-a');
    await writeFile(join(store.tableDir, leaseFileName(key)), 'garbage');
    const corrupt = { name: 'ClaimRecordCorruptError' };
    await expect(lease.assertHeld()).rejects.toMatchObject(corrupt);
    await expect(store.renew(lease)).rejects.toMatchObject(corrupt);
    await expect(store.release(lease)).rejects.toMatchObject(corrupt);
    await store.stop();
  });
});

describe('forge claim store: locks and concurrency in one process', () => {
  it('takes over a lock directory left by a killed process once it is stale, and waits on a fresh one', async () => {
    const store = await forgeStore(new SimulatedClock());
    const key = 'local:demo/app#11';
    const lockDir = `${join(store.tableDir, leaseFileName(key))}.lock`;
    await mkdir(lockDir);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockDir, old, old);
    const first = await mustClaim(store, key, 'agent-a');
    await store.release(first);

    await mkdir(lockDir); // held, as far as anyone can tell, by a live process
    let settled = false;
    const claiming = store.claim(key, 'agent-b', 10_000).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    await rm(lockDir, { recursive: true });
    expect((await claiming)?.token).toBe(first.token + 1);
    expect(await leftLocks(store)).toEqual([]);
    await store.stop();
  });

  it('orders a release against claims racing it from another store on the same directory', async () => {
    const clock = new SimulatedClock();
    const a = await forgeStore(clock, { cluster: 'release-race' });
    const b = await forgeStore(clock, { cluster: 'release-race' });
    const key = 'local:demo/app#12';
    let lease = await mustClaim(a, key, 'a');
    const outcomes = { takenAfterRelease: 0, refusedWhileLive: 0 };
    for (let round = 0; round < 14; round++) {
      const claims = Array.from({ length: 6 }, (_, i) => () => b.claim(key, `b${round}.${i}`, 10_000));
      const at = round % 7;
      const ops = [...claims.slice(0, at), () => a.release(lease, 'race'), ...claims.slice(at)];
      const results = await Promise.all(ops.map((op) => op()));
      expect(results[at]).toBe(true);
      const granted = results.filter((r): r is Lease => r !== null && typeof r === 'object');
      expect(granted.length).toBeLessThanOrEqual(1);
      outcomes.refusedWhileLive += results.slice(0, at).filter((r) => r === null).length;
      if (granted.length === 1) {
        outcomes.takenAfterRelease++;
        expect(granted[0]!.token).toBe(lease.token + 1);
        expect(await a.read(key)).toMatchObject({ holder: granted[0]!.holder, token: lease.token + 1 });
        await expect(lease.assertHeld()).rejects.toMatchObject({ reason: 'taken' });
        expect(await b.release(granted[0]!)).toBe(true);
      } else {
        expect(await b.read(key)).toBeNull();
        await expect(lease.assertHeld()).rejects.toMatchObject({ reason: 'released' });
      }
      lease = await mustClaim(a, key, 'a');
    }
    // the calls of one process queue in the order they were made: every claim made before the
    // release is refused, the first one after it wins (none comes after it when it is last)
    expect(outcomes.takenAfterRelease).toBe(12);
    expect(outcomes.refusedWhileLive).toBe(2 * (1 + 2 + 3 + 4 + 5 + 6));
    await Promise.all([a.stop(), b.stop()]);
  });

  it('never lets a stale release or renewal win against a takeover racing it', async () => {
    const clock = new SimulatedClock();
    const a = await forgeStore(clock, { cluster: 'stale-race', maxClockSkewMs: 100 });
    const b = await forgeStore(clock, { cluster: 'stale-race', maxClockSkewMs: 100 });
    for (let round = 0; round < 6; round++) {
      const key = `local:demo/stale#${round}`;
      const stale = await mustClaim(a, key, 'a', 1_000);
      await clock.advance(1_100);
      const takeover = () => b.claim(key, 'b', 1_000);
      const old = round % 2 === 0 ? () => a.release(stale) : () => a.renew(stale).then(() => 'renewed');
      const [first, second] = round < 3 ? [old, takeover] : [takeover, old];
      const results = await Promise.allSettled([first(), second()]);
      const values = results.map((r): unknown => (r.status === 'fulfilled' ? r.value : r.reason));
      const oldResult = values[round < 3 ? 0 : 1];
      const taken = values[round < 3 ? 1 : 0] as Lease | null;
      expect(taken?.token).toBe(stale.token + 1);
      if (round % 2 === 0) expect(oldResult).toBe(false);
      else expect(oldResult).toMatchObject({ name: 'LeaseLostError' });
      expect(await b.read(key)).toMatchObject({ holder: 'b', token: stale.token + 1 });
    }
    await Promise.all([a.stop(), b.stop()]);
  });

  it('drains the calls under way on stop: they finish and give their locks back', async () => {
    const store = await forgeStore(new SimulatedClock(), { cluster: 'drain' });
    const keys = Array.from({ length: 10 }, (_, i) => `local:drain/app#${i}`);
    const settled = new Set<number>();
    const claims = keys.map((key, i) => store.claim(key, 'agent-a', 10_000).finally(() => settled.add(i)));
    await store.stop();
    expect(settled.size).toBe(keys.length);
    expect((await Promise.all(claims)).every((lease) => lease !== null)).toBe(true);
    await expect(store.claim('local:drain/app#99', 'agent-a', 10_000)).rejects.toMatchObject({
      name: 'ClaimStoreStoppedError',
    });
    expect(await leftLocks(store)).toEqual([]);
    await store.start();
    expect((await store.list()).map((info) => info.key)).toEqual([...keys].sort());
    await store.stop();
  });

  it('keeps a taker whose clock runs ahead by the stated skew out until the holder’s deadline', async () => {
    const SKEW = 100;
    const holderClock = new SimulatedClock();
    const takerClock: Clock = {
      now: () => holderClock.now() + SKEW,
      setTimeout: (fn, ms) => holderClock.setTimeout(fn, ms),
      clearTimeout: (handle) => holderClock.clearTimeout(handle),
      sleep: (ms) => holderClock.sleep(ms),
    };
    const holder = await forgeStore(holderClock, { cluster: 'skew', maxClockSkewMs: SKEW });
    const taker = await forgeStore(takerClock, { cluster: 'skew', maxClockSkewMs: SKEW });
    const lease = await mustClaim(holder, 'local:skew/app#1', 'slow-clock', 1_000);
    let taken: Lease | null = null;
    // 10 ms steps up to five times the TTL and skew: the takeover must come within them
    for (let step = 0; step < 550 && taken === null; step++) {
      taken = await taker.claim(lease.key, 'fast-clock', 1_000);
      if (taken === null) await holderClock.advance(10);
    }
    expect(taken, 'the taker never got the key').not.toBeNull();
    // not before the holder's own deadline, on the holder's clock, and not later than needed
    expect(holderClock.now()).toBeGreaterThanOrEqual(lease.expiresAt);
    expect(holderClock.now()).toBeLessThan(lease.expiresAt + 10);
    await Promise.all([holder.stop(), taker.stop()]);
  });

  it('keeps the tables of two clusters apart and refuses options no store can use', async () => {
    const clock = new SimulatedClock();
    const [one, two] = [await forgeStore(clock), await forgeStore(clock)];
    const key = 'local:demo/app#1';
    await mustClaim(one, key, 'agent-a');
    await mustClaim(two, key, 'agent-b');
    expect(one.tableDir).not.toBe(two.tableDir);
    await Promise.all([one.stop(), two.stop()]);
    const make = (init: object) => () =>
      new ForgeClaimStore({ dir: root, cluster: 'x', ...init }, { clock, logger: silentLogger() });
    expect(make({ cluster: '../up' })).toThrow(/invalid claim store option cluster/);
    expect(make({ dir: '' })).toThrow(/invalid claim store option dir/);
    expect(make({ maxClockSkewMs: -1 })).toThrow(/maxClockSkewMs/);
    expect(make({ lockStaleMs: 500 })).toThrow(/lockStaleMs/);
  });
});
