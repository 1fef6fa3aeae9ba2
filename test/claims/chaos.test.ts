// Jepsen-style proof of the JetStream claim store: 5 worker processes race for task keys on a
// real nats-server while a nemesis kills -9 and restarts workers, restarts the server once per
// run, and (9 runs of 20 keys) pauses a worker right after its lease check for 1.5×TTL; the
// history checker must find no violation over 10 runs (the tenth: 200 keys, no pauses, so the
// wall-clock fencing rule holds too). It must find one when the store's create-if-absent
// check is removed, and when, under pauses, the resource stops checking tokens.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { runChaos, type ChaosRunOptions } from './chaos-harness.js';
import { checkHistory } from './history-checker.js';

let nats: NatsServerHandle;
let dir: string;
beforeAll(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'bzzz-chaos-'));
});
afterAll(async () => {
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
});

const base = {
  workers: 5,
  ttlMs: 1_000,
  skewMs: 100,
  workMs: [200, 1_500] as [number, number],
  broken: false,
  restartServer: true,
};

function options(run: string, overrides: Partial<ChaosRunOptions>): ChaosRunOptions {
  return { ...base, nats, dir, run, keys: 20, kills: 3, budgetMs: 40_000, ...overrides };
}

describe('claims under chaos', () => {
  const runs = [
    ...Array.from({ length: 9 }, (_, i) => ({ run: `chaos${i + 1}`, keys: 20, kills: 3, pauses: 2 })),
    { run: 'chaos10', keys: 200, kills: 8, pauses: 0 },
  ];
  for (const { run, keys, kills, pauses } of runs) {
    it(
      `${run}: ${keys} keys, ${kills} worker kills, ${pauses} pauses and a server restart: no violation`,
      { timeout: 120_000 },
      async () => {
        const budgetMs = keys > 20 ? 90_000 : 40_000;
        const result = await runChaos(options(run, { keys, kills, pauses, pauseMs: 1_500, budgetMs }));
        const check = checkHistory({ ...result, toleranceMs: 0, clientFencing: pauses === 0 });
        expect(check.violations.slice(0, 5)).toEqual([]);
        expect(check.stats.finished).toBe(keys);
        expect(result.kills).toBe(kills);
        expect(result.pauses).toBe(pauses);
        expect(result.serverRestarts).toBe(1);
        // The run exercised what it claims to: takeovers and effects happened.
        expect(check.stats.effects).toBeGreaterThanOrEqual(keys);
        expect(check.stats.grants).toBeGreaterThanOrEqual(keys);
        expect(check.stats.renewals).toBeGreaterThan(0);
      },
    );
  }

  it('catches a store whose claim skips the create-if-absent check', { timeout: 60_000 }, async () => {
    const result = await runChaos(
      options('broken1', { broken: true, keys: 10, kills: 0, restartServer: false, budgetMs: 10_000 }),
    );
    const check = checkHistory({ ...result, toleranceMs: 0 });
    expect(check.ok).toBe(false);
    expect(check.violations.some((v) => v.rule === 'exclusion')).toBe(true);
  });

  it('catches, under pauses, a resource that does not check tokens', { timeout: 60_000 }, async () => {
    // long pauses (3×TTL) so another worker surely acts on the key before the paused one wakes
    const result = await runChaos(
      options('unfenced1', {
        keys: 10,
        kills: 0,
        restartServer: false,
        pauses: 6,
        pauseMs: 3_000,
        checkTokens: false,
        budgetMs: 30_000,
      }),
    );
    const check = checkHistory({ ...result, toleranceMs: 0, clientFencing: false });
    expect(result.pauses).toBeGreaterThanOrEqual(1);
    const stale = check.violations.filter((v) => v.rule === 'stale-effect');
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(stale[0]!.detail).toMatch(/under token \d+ applied at \d+, after .* under token \d+/);
  });
});
