// Processes racing on one forge directory: 5 child processes (forge-race-child.ts) each try to
// claim the same 20 keys, several passes, releasing each grant after a short hold. Exclusion is
// checked outside the store (an O_EXCL occupancy file per key), and the tokens of each key must
// be 1, 2, 3... in the order the grants happened.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ForgeClaimStore } from '../../src/adapters/claims/index.js';
import { encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import type { RaceChildConfig, RaceEvent } from './forge-race-child.js';

const root = await mkdtemp(join(tmpdir(), 'bzzz-forge-race-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const RACE_CHILD = fileURLToPath(new URL('./forge-race-child.ts', import.meta.url));

describe('forge claim store: processes racing on one directory', () => {
  it(
    'grants each key to one process at a time, with tokens 1, 2, 3... in grant order',
    { timeout: 90_000 },
    async () => {
      const runDir = join(root, 'race');
      await mkdir(runDir);
      const keys = Array.from({ length: 20 }, (_, i) => `local:race/app#${i + 1}`);
      const children = Array.from({ length: 5 }, (_, i) => {
        const config: RaceChildConfig = {
          dir: join(root, 'forge'),
          cluster: 'race',
          keys,
          holder: `p${i}`,
          passes: 4,
          runDir,
          logFile: join(runDir, `p${i}.jsonl`),
        };
        const child = spawn(process.execPath, ['--import', 'tsx', RACE_CHILD, JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        return { child, ready, exit };
      });
      try {
        await Promise.all(children.map((c) => c.ready));
        await writeFile(join(runDir, 'go'), '');
        expect(await Promise.all(children.map((c) => c.exit))).toEqual([0, 0, 0, 0, 0]);
      } finally {
        for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
      }

      const events: RaceEvent[] = [];
      for (const name of (await readdir(runDir)).filter((n) => n.endsWith('.jsonl'))) {
        for (const line of (await readFile(join(runDir, name), 'utf8')).split('\n')) {
          if (line !== '') events.push(JSON.parse(line) as RaceEvent);
        }
      }
      expect(events.filter((e) => e.type === 'overlap')).toEqual([]);
      expect(events.filter((e) => e.type === 'release' && !e.ok)).toEqual([]);
      const grants = events.filter((e) => e.type === 'grant');
      for (const key of keys) {
        const order = (await readFile(join(runDir, `${encodeClaimKey(key)}.order`), 'utf8'))
          .trim()
          .split('\n');
        const tokens = grants.filter((g) => g.key === key).map((g) => g.token);
        // one grant per token, tokens 1..n, and in the order the grants happened
        expect(order.map(Number)).toEqual(Array.from({ length: tokens.length }, (_, i) => i + 1));
        expect([...tokens].sort((x, y) => x - y)).toEqual(order.map(Number));
      }
      // the processes did race: each won some grants, and claims were refused
      const holders = ['p0', 'p1', 'p2', 'p3', 'p4'];
      for (const holder of holders) expect(grants.some((g) => g.holder === holder)).toBe(true);
      expect(events.filter((e) => e.type === 'busy').length).toBeGreaterThan(0);
      // afterwards: nothing held, no lock left, and the counters go on
      const store = new ForgeClaimStore(
        { dir: join(root, 'forge'), cluster: 'race' },
        { clock: new SimulatedClock(), logger: silentLogger() },
      );
      await store.start();
      expect(await store.list()).toEqual([]);
      expect((await readdir(store.tableDir)).filter((name) => name.endsWith('.lock'))).toEqual([]);
      const n = grants.filter((g) => g.key === keys[0]).length;
      expect((await store.claim(keys[0]!, 'after', 10_000))?.token).toBe(n + 1);
      await store.stop();
    },
  );
});
