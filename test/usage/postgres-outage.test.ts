/**
 * The usage store when its PostgreSQL server goes away (SIGKILL of the server and its
 * backends): writes are buffered (a bounded amount) and land once the server is back, reads
 * fail with a clear `UsageStoreUnavailableError` naming the server without its password, a
 * node starting while the server is down runs degraded and catches up, and nothing crashes.
 * The password appears in no error and no log line.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsageStore, type UsageStore, type UsageStoreInit } from '../../src/adapters/usage/index.js';
import { createLogger, systemClock } from '../../src/lib/index.js';
import { usageRecord } from '../compliance/usage.js';
import { eventually } from '../helpers/cli.js';
import { startPostgresServer, type PostgresServerHandle } from '../helpers/postgres-server.js';

let server: PostgresServerHandle;
const lines: string[] = [];
const logger = createLogger({
  level: 'trace',
  destination: new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
});

beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  await server?.stop();
  // whatever happened above, the password was never written down
  expect(lines.join('')).not.toContain(server.password);
});

type Options = Omit<Extract<UsageStoreInit, { backend: 'postgres' }>, 'backend' | 'url'>;
function store(url: string, options: Options = {}): UsageStore {
  return createUsageStore(
    { backend: 'postgres', url, retryBaseMs: 50, retryMaxMs: 400, connectTimeoutMs: 3_000, ...options },
    { logger, clock: systemClock },
  );
}

async function failure(promise: Promise<unknown>): Promise<Error & { target?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, the call succeeded');
}

function expectClear(error: Error & { target?: string }, database: string): void {
  expect(error.name).toBe('UsageStoreUnavailableError');
  expect(error.message).toContain(`usage store postgres://bzzz:***@127.0.0.1:${server.port}/${database}`);
  expect([error.message, error.stack, JSON.stringify(error)].join('\n')).not.toContain(server.password);
}

describe('usage store: postgres going away', () => {
  it('buffers writes while the server is down, fails reads clearly, and catches up after a restart', async () => {
    const database = await server.createDatabase();
    const s = store(server.url(database));
    await s.start();
    await s.record(usageRecord({ key: 'before', costUsd: 0.1 }));

    await server.kill();
    expectClear(await failure(s.summary()), database);
    await s.record(usageRecord({ key: 'during', costUsd: 0.2 }));
    await s.recordTask({
      key: 'local:demo/app#1',
      repo: 'demo/app',
      state: 'done',
      holder: 'a',
      node: 'n',
      rounds: 1,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      startedAt: 1,
      endedAt: 2,
      pr: null,
      reason: null,
    });
    const degraded = s.health();
    expect(degraded).toMatchObject({ status: 'degraded', pending: 2, dropped: 0 });
    expect(degraded.detail).toContain('database unreachable');
    expect(degraded.detail).not.toContain(server.password);

    await server.restart();
    await eventually(
      () => (s.health().status === 'ok' ? true : undefined),
      60_000,
      'the buffer flushed',
      () => JSON.stringify(s.health()),
    );
    expect(s.health()).toEqual({ status: 'ok', pending: 0, dropped: 0 });
    await s.record(usageRecord({ key: 'after', costUsd: 0.3 }));
    const summary = await s.summary('key');
    expect(summary.groups.map((g) => [g.group, g.cost_usd])).toEqual([
      ['after', 0.3],
      ['before', 0.1],
      ['during', 0.2],
    ]);
    expect((await s.tasks()).map((t) => t.key)).toEqual(['local:demo/app#1']);
    await s.stop();
  });

  it('keeps a bounded number of writes and counts those it had to drop', async () => {
    const database = await server.createDatabase();
    const s = store(server.url(database), { bufferCapacity: 3 });
    await s.start();
    await server.kill();
    for (let i = 1; i <= 5; i++) await s.record(usageRecord({ key: `k${i}`, costUsd: 0.01 }));
    expect(s.health()).toMatchObject({ status: 'degraded', pending: 3, dropped: 2 });
    await server.restart();
    await eventually(() => (s.health().pending === 0 ? true : undefined), 60_000, 'the buffer flushed');
    // three of the five landed, once each (which three depends on when a retry was under way)
    const landed = (await s.summary('key')).groups.map((g) => g.group);
    expect(landed).toHaveLength(3);
    for (const key of landed) expect(['k1', 'k2', 'k3', 'k4', 'k5']).toContain(key);
    expect((await s.summary()).requests).toBe(3);
    await s.stop();
  });

  it('a node starting while the server is down runs degraded, then migrates and writes once it is back', async () => {
    const database = await server.createDatabase();
    await server.kill();
    const strict = store(server.url(database));
    expectClear(await failure(strict.start()), database);

    const lenient = store(server.url(database), { startDegraded: true });
    await lenient.start();
    expect(lenient.health().status).toBe('degraded');
    await lenient.record(usageRecord({ key: 'early', costUsd: 0.5 }));
    await server.restart();
    await eventually(() => (lenient.health().status === 'ok' ? true : undefined), 60_000, 'store reachable');
    expect(await lenient.spent({ key: 'early' })).toBe(0.5);
    await lenient.stop();
  });

  it('stopping while the server is down ends promptly and counts what was lost', async () => {
    const database = await server.createDatabase();
    const s = store(server.url(database));
    await s.start();
    await server.kill();
    await s.record(usageRecord());
    await s.stop();
    expect(s.health()).toMatchObject({ pending: 0, dropped: 1 });
    await server.restart();
  });
});
