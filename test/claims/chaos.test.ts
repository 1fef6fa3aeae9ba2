// Jepsen-style proof of the JetStream claim store: 5 worker processes race for task keys on a
// real nats-server while a nemesis kills -9 and restarts workers and restarts the server once
// per run; the history checker must find no violation over 10 runs (9 runs of 20 keys, one of
// 200), and must find one when the store's create-if-absent check is removed.
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
    ...Array.from({ length: 9 }, (_, i) => ({ run: `chaos${i + 1}`, keys: 20, kills: 3 })),
    { run: 'chaos10', keys: 200, kills: 8 },
  ];
  for (const { run, keys, kills } of runs) {
    it(
      `${run}: ${keys} keys, ${kills} worker kills and a server restart: no violation`,
      { timeout: 120_000 },
      async () => {
        const result = await runChaos(options(run, { keys, kills, budgetMs: keys > 20 ? 90_000 : 40_000 }));
        const check = checkHistory({ ...result, toleranceMs: 0 });
        expect(check.violations.slice(0, 5)).toEqual([]);
        expect(check.stats.finished).toBe(keys);
        expect(result.kills).toBe(kills);
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
});
