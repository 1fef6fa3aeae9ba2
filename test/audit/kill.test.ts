/**
 * The audit log survives kill -9 at any point: a child process appends without end and is
 * SIGKILLed at varied moments (right after it starts, after a few commits, after many); each
 * time the data dir reopens with a head at least as far as the last append it acknowledged,
 * the chain verifies (the entries it had copied into the content store are there), and
 * appends continue it. No timing is asserted: the kills wait for
 * conditions (a number of acknowledged commits), so they land wherever the child is then.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { verifyChain } from '../../src/adapters/audit/index.js';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { eventually } from '../helpers/cli.js';
import { input, openLog } from './support.js';

vi.setConfig({ testTimeout: 600_000 });

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
let dir: string | undefined;
// a put the log's copier had begun may still leave a temp file as the store closes: retry
afterAll(() =>
  dir === undefined ? undefined : rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
);

/** Starts the child, waits for `commits` acknowledged commits (0: only its start), kills it. */
async function appendThenKill(dataDir: string, commits: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const acked = () => [...out.matchAll(/acked (\d+)/g)].map((m) => Number(m[1]));
  try {
    await eventually(
      () => (out.includes('ready') && acked().length >= commits ? true : undefined),
      120_000,
      `${commits} commits of the child`,
      () => `stdout ${out.slice(-200)} stderr ${err.slice(-500)}`,
    );
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return Math.max(0, ...acked());
}

it('recovers a chain that verifies after kill -9 at varied moments, and continues it', async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-audit-kill-'));
  const identity = await loadOrCreateIdentity(dir);
  let total = 0;
  for (const commits of [0, 1, 2, 5, 13, 40, 3, 80]) {
    const lastAcked = await appendThenKill(dir, commits);
    const { log, store, close } = await openLog(dir, identity);
    try {
      expect(log.health()).toEqual({ status: 'ok' });
      const seq = log.head()?.seq ?? 0;
      // every acknowledged append survived the kill
      expect(seq).toBeGreaterThanOrEqual(lastAcked);
      expect(seq).toBeGreaterThanOrEqual(total);
      const next = await log.append(input(seq));
      expect(next.seq).toBe(seq + 1);
      total = next.seq;
      // the blobs the log says it copied are in the store too
      const report = await verifyChain(dir, { nodeId: identity.nodeId, store });
      expect(report, JSON.stringify(report)).toMatchObject({ ok: true, entries: total });
    } finally {
      await close();
    }
  }
  expect(total).toBeGreaterThan(80);
});
