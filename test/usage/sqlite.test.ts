/**
 * The usage store in the embedded database (`<data_dir>/history.db`): the compliance suite,
 * migrations applied once when several stores open one fresh file at once, and a file that
 * is no database refused with a clear error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createUsageStore, SCHEMA_VERSION, type UsageStore } from '../../src/adapters/usage/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { usageStoreCompliance } from '../compliance/usage.js';

const components = { logger: silentLogger(), clock: systemClock };
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-usage-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<UsageStore> {
  const store = createUsageStore({ backend: 'sqlite', path }, components);
  await store.start();
  return store;
}

usageStoreCompliance('sqlite', async () => {
  const path = join(freshDir(), 'data', 'history.db');
  const store = await open(path);
  return { store, reopen: () => open(path), close: () => store.stop() };
});

describe('usage store: sqlite', () => {
  it('applies each migration once when five stores open a fresh file at once', async () => {
    const path = join(freshDir(), 'history.db');
    const stores = await Promise.all(Array.from({ length: 5 }, () => open(path)));
    await Promise.all(stores.map((s) => s.stop()));
    const again = await open(path);
    await again.stop();
    const db = new DatabaseSync(path);
    const rows = db.prepare('SELECT version, name FROM bzzz_schema_migrations ORDER BY version').all();
    db.close();
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(SCHEMA_VERSION).toBe(2);
  });

  it('refuses a file that is no database, naming it', async () => {
    const path = join(freshDir(), 'history.db');
    writeFileSync(path, 'this is not a database, just text '.repeat(200));
    const store = createUsageStore({ backend: 'sqlite', path }, components);
    const error = await store.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('UsageSchemaError');
    expect(error?.message).toContain(`usage store ${path}: schema migration failed: file is not a database`);
  });
});
