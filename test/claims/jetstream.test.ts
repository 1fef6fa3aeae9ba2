// The JetStream claim store against the claim compliance suite, unchanged, on a real
// nats-server on the system clock; then what only a networked store has to prove: two stores on
// separate connections, a clock ahead by the stated skew, and a nats-server restart.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JetStreamClaimStore,
  createClaimStore,
  type ClaimStore,
  type Lease,
} from '../../src/adapters/claims/index.js';
import { decodeClaimKey, encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import { silentLogger, systemClock, type Clock } from '../../src/lib/index.js';
import { claimStoreCompliance } from '../compliance/claims.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';

let nats: NatsServerHandle;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats.stop();
});

const SKEW_MS = 40;
function jetstreamStore(clock: Clock = systemClock, cluster = 'compliance'): ClaimStore {
  return createClaimStore(
    { backend: 'jetstream', cluster, servers: nats.url, maxClockSkewMs: SKEW_MS, requestTimeoutMs: 1_000 },
    { clock, logger: silentLogger() },
  );
}

claimStoreCompliance('jetstream', async () => {
  const store = jetstreamStore();
  await store.start();
  return {
    store,
    clock: systemClock,
    advance: (ms) => systemClock.sleep(ms),
    ttlMs: 600,
    propertyRuns: 4,
    close: () => store.stop(),
  };
});

describe('jetstream claim keys', () => {
  it('encodes any string reversibly into KV-safe keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (key) => {
        const encoded = encodeClaimKey(key);
        expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeClaimKey(encoded)).toBe(key);
      }),
      { numRuns: 500 },
    );
    expect(encodeClaimKey('local:demo/app#3')).toBe('local_3Ademo_2Fapp_233');
    expect(decodeClaimKey('not.a.claim')).toBeUndefined();
  });
});

describe('jetstream claim store across connections', () => {
  it('lets one of two stores win, and the other take over only after the TTL', async () => {
    const a = jetstreamStore(systemClock, 'pair');
    const b = jetstreamStore(systemClock, 'pair');
    await Promise.all([a.start(), b.start()]);
    try {
      const key = `github:octo/app#${Date.now()}`;
      const [la, lb] = await Promise.all([a.claim(key, 'node-a', 400), b.claim(key, 'node-b', 400)]);
      expect([la, lb].filter((l) => l !== null)).toHaveLength(1);
      const winner = (la ?? lb)!;
      const other = la === null ? a : b;
      expect(await other.read(key)).toMatchObject({ holder: winner.holder, token: winner.token });
      expect(await other.claim(key, 'node-c', 400)).toBeNull();
      let taken = null;
      while (taken === null) {
        taken = await other.claim(key, 'node-c', 400);
        if (taken === null) await systemClock.sleep(20);
      }
      expect(systemClock.now()).toBeGreaterThanOrEqual(winner.expiresAt);
      expect(taken.token).toBeGreaterThan(winner.token);
      await expect(winner.assertHeld()).rejects.toMatchObject({ name: 'LeaseLostError', reason: 'taken' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('keeps a taker whose clock runs ahead by the stated skew out until the holder’s deadline', async () => {
    const ahead: Clock = { ...systemClock, now: () => Date.now() + SKEW_MS };
    const holder = jetstreamStore(systemClock, 'skew');
    const taker = jetstreamStore(ahead, 'skew');
    await Promise.all([holder.start(), taker.start()]);
    try {
      const key = `local:skew/app#${Date.now()}`;
      const lease = (await holder.claim(key, 'slow-clock', 300))!;
      expect(lease).not.toBeNull();
      let taken = null;
      while (taken === null) {
        taken = await taker.claim(key, 'fast-clock', 300);
        if (taken === null) await systemClock.sleep(5);
      }
      // The taker's grant came after the holder's own deadline, on the holder's clock.
      expect(Date.now()).toBeGreaterThanOrEqual(lease.expiresAt);
    } finally {
      await Promise.all([holder.stop(), taker.stop()]);
    }
  });
});

describe('jetstream claim store across a nats-server restart', () => {
  it('fails with a retryable named error during the outage and works again after it', async () => {
    const store = jetstreamStore(systemClock, 'restart');
    await store.start();
    try {
      const key = `local:restart/app#${Date.now()}`;
      const lease = (await store.claim(key, 'node-a', 20_000))!;
      expect(lease).not.toBeNull();
      await nats.kill();
      const during = await store.claim(`${key}-other`, 'node-a', 20_000).then(
        () => null,
        (error: unknown) => error,
      );
      expect(during).toMatchObject({ name: 'ClaimStoreUnavailableError', retryable: true });
      await expect(lease.assertHeld()).rejects.toMatchObject({ name: 'ClaimStoreUnavailableError' });
      await nats.restart();
      let attempt: Lease | null = null;
      for (let i = 0; i < 100 && attempt === null; i++) {
        attempt = await store.renew(lease).catch((error: unknown) => {
          expect((error as Error).name).toBe('ClaimStoreUnavailableError');
          return systemClock.sleep(100).then(() => null);
        });
      }
      if (attempt === null) throw new Error('the store never came back');
      const renewed: Lease = attempt;
      expect(renewed.token).toBe(lease.token);
      await renewed.assertHeld();
      // The lease survived in the server's store: nobody else can have it.
      expect(await store.claim(key, 'node-b', 20_000)).toBeNull();
      expect(await store.release(renewed)).toBe(true);
    } finally {
      await store.stop();
    }
  });

  it('rejects a cluster name that cannot name a bucket', () => {
    expect(
      () => new JetStreamClaimStore({ cluster: 'a.b' }, { clock: systemClock, logger: silentLogger() }),
    ).toThrow(/invalid claim store option cluster/);
  });
});
