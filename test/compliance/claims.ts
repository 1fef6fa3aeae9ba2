/**
 * Compliance suite of the claim port (SPEC §8): mutual exclusion, fencing-token monotonicity,
 * renewal and release by compare-and-set, `assertHeld`, and a property test over random
 * operation sequences. It runs unchanged against the memory store (simulated clock) and the
 * JetStream store (real time: `advance` sleeps, so TTLs are short and margins generous).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimStore, Lease } from '../../src/adapters/claims/index.js';
import type { Clock } from '../../src/lib/index.js';

/** What a test file provides for one store. */
export interface ClaimsHarness {
  store: ClaimStore;
  /** The clock the store reads. */
  clock: Clock;
  /** Lets `ms` of store time pass: advances a simulated clock, sleeps on a real one. */
  advance(ms: number): Promise<void>;
  /** A TTL long enough for several store round trips; the suite works in fractions of it. */
  ttlMs: number;
  /** Runs of the property test (fewer for a store on real time). Default 60. */
  propertyRuns?: number;
  close(): Promise<void>;
}

let unique = 0;
/** A key no other test (or earlier run against a persistent store) used. */
function freshKey(base = 'local:demo/app#'): string {
  unique += 1;
  return `${base}${Date.now() % 1_000_000}${unique}`;
}

async function lostReason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).name).toBe('LeaseLostError');
    return (error as { reason: string }).reason;
  }
  throw new Error('expected LeaseLostError, the call succeeded');
}

export function claimStoreCompliance(name: string, factory: () => Promise<ClaimsHarness>): void {
  describe(`claim store compliance: ${name}`, () => {
    let h: ClaimsHarness;
    let store: ClaimStore;
    let ttl: number;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
      ttl = h.ttlMs;
    });
    afterEach(async () => {
      await h.close();
    });

    const pastExpiry = () => h.advance(Math.ceil(ttl * 1.5));

    async function mustClaim(key: string, holder: string): Promise<Lease> {
      const lease = await store.claim(key, holder, ttl);
      expect(lease, `${holder} should win ${key}`).not.toBeNull();
      return lease!;
    }

    it('grants a free key and shows the grant to readers', async () => {
      const key = freshKey();
      const before = h.clock.now();
      const lease = await mustClaim(key, 'agent-a');
      expect(lease.key).toBe(key);
      expect(lease.holder).toBe('agent-a');
      expect(lease.expiresAt).toBeGreaterThan(before);
      expect(lease.expiresAt).toBeLessThanOrEqual(h.clock.now() + ttl);
      expect(await store.read(key)).toMatchObject({ key, holder: 'agent-a', token: lease.token });
      await lease.assertHeld();
    });

    it('refuses a live lease to everyone, its own holder included', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      expect(await store.claim(key, 'agent-b', ttl)).toBeNull();
      expect(await store.claim(key, 'agent-a', ttl)).toBeNull();
      expect(await store.read(key)).toMatchObject({ holder: 'agent-a', token: lease.token });
    });

    it('lets exactly one of many concurrent claimers win', async () => {
      const key = freshKey();
      const holders = Array.from({ length: 25 }, (_, i) => `agent-${i}`);
      const results = await Promise.all(holders.map((holder) => store.claim(key, holder, ttl)));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await store.read(key))?.holder).toBe(winners[0]!.holder);
    });

    it('keeps keys independent under concurrent claims on many keys', async () => {
      const keys = Array.from({ length: 8 }, () => freshKey());
      const attempts = keys.flatMap((key) => [0, 1, 2, 3].map((i) => store.claim(key, `agent-${i}`, ttl)));
      const results = await Promise.all(attempts);
      for (const key of keys) {
        expect(results.filter((r) => r?.key === key)).toHaveLength(1);
      }
      const listed = (await store.list()).filter((info) => keys.includes(info.key));
      expect(listed.map((info) => info.key).sort()).toEqual([...keys].sort());
    });

    it('hands an expired lease to another holder with a higher token', async () => {
      const key = freshKey();
      const first = await mustClaim(key, 'agent-a');
      await pastExpiry();
      expect(await store.read(key)).toBeNull();
      const second = await mustClaim(key, 'agent-b');
      expect(second.token).toBeGreaterThan(first.token);
      expect(await store.read(key)).toMatchObject({ holder: 'agent-b', token: second.token });
    });

    it('lets exactly one of many concurrent claimers take over an expired lease', async () => {
      const key = freshKey();
      const first = await mustClaim(key, 'agent-a');
      await pastExpiry();
      const results = await Promise.all(
        Array.from({ length: 15 }, (_, i) => store.claim(key, `agent-${i + 1}`, ttl)),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.token).toBeGreaterThan(first.token);
      expect(await lostReason(first.assertHeld())).not.toBe('stopped');
    });

    it('increases tokens strictly across takeover, release and re-claim', async () => {
      const key = freshKey();
      const tokens: number[] = [];
      const a = await mustClaim(key, 'agent-a');
      tokens.push(a.token);
      await pastExpiry();
      const b = await mustClaim(key, 'agent-b');
      tokens.push(b.token);
      expect(await store.release(b, 'done')).toBe(true);
      const c = await mustClaim(key, 'agent-c');
      tokens.push(c.token);
      await pastExpiry();
      const c2 = await mustClaim(key, 'agent-c');
      tokens.push(c2.token);
      expect(await store.release(c2)).toBe(true);
      const a2 = await mustClaim(key, 'agent-a');
      tokens.push(a2.token);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    });

    it('renews a live lease: same token, later expiry, still exclusive', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      await h.advance(Math.floor(ttl * 0.6));
      const renewed = await store.renew(lease);
      expect(renewed.token).toBe(lease.token);
      expect(renewed.holder).toBe('agent-a');
      expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt);
      await h.advance(Math.floor(ttl * 0.6));
      // Past the first expiry, but inside the renewed one.
      await renewed.assertHeld();
      await lease.assertHeld();
      expect(await store.claim(key, 'agent-b', ttl)).toBeNull();
      expect(await store.read(key)).toMatchObject({ holder: 'agent-a', token: lease.token });
    });

    it('refuses to renew an expired lease', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      await pastExpiry();
      await lostReason(store.renew(lease));
      expect(await store.read(key)).toBeNull();
    });

    it('refuses a stale lease renewal after a takeover and leaves the new holder alone', async () => {
      const key = freshKey();
      const stale = await mustClaim(key, 'agent-a');
      await pastExpiry();
      const fresh = await mustClaim(key, 'agent-b');
      expect(await lostReason(store.renew(stale))).toBe('taken');
      const info = await store.read(key);
      expect(info).toMatchObject({ holder: 'agent-b', token: fresh.token });
      expect(info!.expiresAt).toBeLessThanOrEqual(fresh.expiresAt + ttl * 0.1);
      await fresh.assertHeld();
    });

    it('never lets a stale lease release the new holder', async () => {
      const key = freshKey();
      const stale = await mustClaim(key, 'agent-a');
      await pastExpiry();
      const fresh = await mustClaim(key, 'agent-b');
      expect(await store.release(stale, 'cleanup')).toBe(false);
      expect(await store.read(key)).toMatchObject({ holder: 'agent-b', token: fresh.token });
      await fresh.assertHeld();
      expect(await store.claim(key, 'agent-c', ttl)).toBeNull();
    });

    it('releases once: the key is free again and the old lease is dead', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      expect(await store.release(lease, 'finished')).toBe(true);
      expect(await store.release(lease)).toBe(false);
      expect(await store.read(key)).toBeNull();
      await lostReason(lease.assertHeld());
      await lostReason(store.renew(lease));
      const next = await mustClaim(key, 'agent-b');
      expect(next.token).toBeGreaterThan(lease.token);
    });

    it('assertHeld fails once the lease expired, and after a takeover', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      await h.advance(Math.floor(ttl * 0.3));
      await lease.assertHeld();
      await pastExpiry();
      expect(['expired', 'released']).toContain(await lostReason(lease.assertHeld()));
      const other = await mustClaim(key, 'agent-b');
      expect(await lostReason(lease.assertHeld())).toBe('taken');
      await other.assertHeld();
    });

    it('lists live leases only', async () => {
      const [k1, k2, k3] = [freshKey(), freshKey(), freshKey()];
      const l1 = await mustClaim(k1, 'agent-a');
      await mustClaim(k2, 'agent-b');
      await h.advance(Math.floor(ttl * 0.6));
      const l3 = await mustClaim(k3, 'agent-c');
      await store.release(l1);
      await h.advance(Math.floor(ttl * 0.6));
      const mine = (await store.list()).filter((info) => [k1, k2, k3].includes(info.key));
      expect(mine).toEqual([{ key: k3, holder: 'agent-c', token: l3.token, expiresAt: l3.expiresAt }]);
    });

    it('treats keys as opaque strings (task keys, the leader key, odd characters)', async () => {
      const keys = [
        freshKey('github:octo/app#'),
        `leader-${freshKey('')}`,
        freshKey('weird key/with.dots*and>#'),
      ];
      for (const key of keys) {
        const lease = await mustClaim(key, 'node-1');
        expect(await store.read(key)).toMatchObject({ key, holder: 'node-1', token: lease.token });
        expect((await store.list()).some((info) => info.key === key)).toBe(true);
        expect(await store.release(lease)).toBe(true);
      }
    });

    it('rejects requests no store can honour', async () => {
      await expect(store.claim('', 'agent-a', ttl)).rejects.toMatchObject({
        name: 'InvalidLeaseRequestError',
      });
      await expect(store.claim(freshKey(), '', ttl)).rejects.toMatchObject({
        name: 'InvalidLeaseRequestError',
      });
      await expect(store.claim(freshKey(), 'agent-a', 0)).rejects.toMatchObject({
        name: 'InvalidLeaseRequestError',
      });
    });

    it('property: at most one live holder, and every new grant supersedes the old ones', async () => {
      type Op =
        | { op: 'claim'; holder: number }
        | { op: 'renew'; pick: number }
        | { op: 'release'; pick: number }
        | { op: 'advance'; fraction: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant('claim' as const), holder: fc.nat(2) }),
        fc.record({ op: fc.constant('renew' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('advance' as const), fraction: fc.constantFrom(0.2, 0.45, 0.7, 1.3) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
          const key = freshKey('prop:');
          const issued: Lease[] = [];
          let lastToken = 0;
          const expiries = new Map<number, number>();
          const released = new Set<number>();
          for (const step of ops) {
            if (step.op === 'claim') {
              const lease = await store.claim(key, `holder-${step.holder}`, ttl);
              if (lease !== null) {
                // Mutual exclusion: no earlier grant may still have been live when this one was made.
                const grantedBy = h.clock.now();
                for (const [token, expiresAt] of expiries) {
                  if (!released.has(token))
                    expect(expiresAt, `grant ${token} still live`).toBeLessThanOrEqual(grantedBy);
                }
                expiries.set(lease.token, lease.expiresAt);
                expect(lease.token).toBeGreaterThan(lastToken);
                lastToken = lease.token;
                // A new grant fences out every earlier one.
                for (const old of issued) await lostReason(old.assertHeld());
                issued.push(lease);
              }
            } else if (step.op === 'renew' && issued.length > 0) {
              const lease = issued[step.pick % issued.length]!;
              try {
                const renewed = await store.renew(lease);
                expect(renewed.token).toBe(lease.token);
                expect(lease.token).toBe(lastToken);
                expiries.set(renewed.token, renewed.expiresAt);
                issued.push(renewed);
              } catch (error) {
                expect((error as Error).name).toBe('LeaseLostError');
              }
            } else if (step.op === 'release' && issued.length > 0) {
              const lease = issued[step.pick % issued.length]!;
              if (await store.release(lease)) {
                expect(lease.token).toBe(lastToken);
                released.add(lease.token);
              }
            } else if (step.op === 'advance') {
              await h.advance(Math.floor(ttl * step.fraction));
            }
            const held = await Promise.all(
              issued.map((lease) =>
                lease.assertHeld().then(
                  () => lease.token,
                  () => null,
                ),
              ),
            );
            const liveTokens = new Set(held.filter((t) => t !== null));
            expect(liveTokens.size).toBeLessThanOrEqual(1);
            const info = await store.read(key);
            if (info !== null) expect(info.token).toBe(lastToken);
            for (const t of liveTokens) expect(t).toBe(lastToken);
          }
        }),
        { numRuns: h.propertyRuns ?? 60 },
      );
    });

    it('stops safely twice and refuses work afterwards', async () => {
      const key = freshKey();
      const lease = await mustClaim(key, 'agent-a');
      await store.stop();
      await store.stop();
      await expect(store.claim(freshKey(), 'agent-b', ttl)).rejects.toBeInstanceOf(Error);
      await expect(lease.assertHeld()).rejects.toMatchObject({ name: 'LeaseLostError' });
    });

    it('starts again after a stop (a supervisor restart): grants survive and tokens keep increasing', async () => {
      const key = freshKey();
      const held = await mustClaim(key, 'agent-a');
      await store.stop();
      await store.start();
      await store.start();
      // the grant made before the restart is still the live one: nobody else may claim it
      expect(await store.claim(key, 'agent-b', ttl)).toBeNull();
      expect((await store.read(key))?.token).toBe(held.token);
      const other = await mustClaim(freshKey(), 'agent-b');
      expect(other.holder).toBe('agent-b');
      await pastExpiry();
      const next = await mustClaim(key, 'agent-b');
      expect(next.token).toBeGreaterThan(held.token);
    });
  });
}
