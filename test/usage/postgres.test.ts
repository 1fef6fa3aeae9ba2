/**
 * The usage store in a real PostgreSQL server started by this file: the compliance suites of
 * the usage store and of the proxy's usage sink (a fresh database per test), migrations applied once and recorded, five stores starting at
 * once on a fresh database, a database already migrated by a newer node, and a wrong password
 * refused without the password showing anywhere.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsageStore, SCHEMA_VERSION, type UsageStore } from '../../src/adapters/usage/index.js';
import { createLogger, silentLogger, systemClock } from '../../src/lib/index.js';
import { usageRecord, usageStoreCompliance } from '../compliance/usage.js';
import { usageSinkCompliance } from '../compliance/usage-sink.js';
import { startPostgresServer, type PostgresServerHandle } from '../helpers/postgres-server.js';

let server: PostgresServerHandle;
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  await server?.stop();
});

const components = { logger: silentLogger(), clock: systemClock };

async function open(url: string, logger = components.logger): Promise<UsageStore> {
  const store = createUsageStore({ backend: 'postgres', url }, { ...components, logger });
  await store.start();
  return store;
}

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

usageStoreCompliance('postgres', async () => {
  const url = server.url(await server.createDatabase());
  const store = await open(url);
  return { store, reopen: () => open(url), close: () => store.stop() };
});

// the proxy's sink suite too: the same summaries (and group names) as its own sinks
const sinkUrls = new Map<UsageStore, string>();
usageSinkCompliance('postgres', {
  open: async () => {
    const url = server.url(await server.createDatabase());
    const store = await open(url);
    sinkUrls.set(store, url);
    return store;
  },
  close: (sink) => (sink as UsageStore).stop(),
  reopen: async (sink) => {
    const store = sink as UsageStore;
    await store.stop();
    const again = await open(sinkUrls.get(store)!);
    sinkUrls.set(again, sinkUrls.get(store)!);
    return again;
  },
});

describe('usage store: postgres migrations', () => {
  it('applies each migration once and records it; a second start applies nothing', async () => {
    const url = server.url(await server.createDatabase());
    const first = await open(url);
    await first.stop();
    const before = await query<{ version: number; name: string; applied_at: Date }>(
      url,
      'SELECT version, name, applied_at FROM bzzz_schema_migrations ORDER BY version',
    );
    expect(before.map((r) => [r.version, r.name])).toEqual([
      [1, 'usage records'],
      [2, 'task history'],
    ]);
    const second = await open(url);
    await second.record(usageRecord());
    await second.stop();
    const after = await query<{ version: number; applied_at: Date }>(
      url,
      'SELECT version, applied_at FROM bzzz_schema_migrations ORDER BY version',
    );
    expect(after).toEqual(before.map(({ version, applied_at }) => ({ version, applied_at })));
  });

  it('five stores starting at once on a fresh database all start, at the right version', async () => {
    const url = server.url(await server.createDatabase());
    const stores = await Promise.all(Array.from({ length: 5 }, () => open(url)));
    await Promise.all(stores.map((s, i) => s.record(usageRecord({ key: `node-${i}` }))));
    expect((await stores[0]!.summary('key')).groups).toHaveLength(5);
    await Promise.all(stores.map((s) => s.stop()));
    const rows = await query<{ version: number }>(
      url,
      'SELECT version FROM bzzz_schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(SCHEMA_VERSION).toBe(2);
  });

  it('uses a database a newer node migrated further, and says so', async () => {
    const url = server.url(await server.createDatabase());
    await (await open(url)).stop();
    await query(url, "INSERT INTO bzzz_schema_migrations (version, name) VALUES (99, 'from the future')");
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()),
      }),
    });
    const store = await open(url, logger);
    await store.record(usageRecord({ costUsd: 0.5 }));
    expect(await store.spent({})).toBe(0.5);
    await store.stop();
    expect(lines.join('')).toContain('usage store schema is newer than this node knows');
  });
});

describe('usage store: postgres credentials', () => {
  it('a wrong password is refused with a clear error that shows neither password', async () => {
    const database = await server.createDatabase();
    const wrong = 'Wr0ng-pa55word-XYZ';
    const lines: string[] = [];
    const logger = createLogger({
      level: 'trace',
      destination: new Writable({
        write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()),
      }),
    });
    const store = createUsageStore(
      { backend: 'postgres', url: server.url(database, wrong) },
      { logger, clock: systemClock },
    );
    const error = (await store.start().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { target: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UsageSchemaError');
    expect(error.message).toContain('password authentication failed');
    expect(error.message).toContain(`postgres://bzzz:***@127.0.0.1:${server.port}/${database}`);
    const everything = [error.message, error.stack, JSON.stringify(error), error.target, ...lines].join('\n');
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(server.password);
    expect(store.target).not.toContain(wrong);
  });
});
