/**
 * The fs store's care of its blobs: corruption found on read and by verify, repaired from a
 * second store acting as the replica through the repair hook; references, pins and gc with
 * its grace period on a simulated clock; the periodic collector.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptBlobError, GarbageCollector, type CasEvent } from '../../src/adapters/cas/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { blobPath, flipByte } from '../compliance/cas.js';
import { eventually } from '../helpers/cli.js';
import { openStore, type OpenedStore } from './support.js';

const opened: OpenedStore[] = [];
async function open(...args: Parameters<typeof openStore>): Promise<OpenedStore> {
  const s = await openStore(...args);
  opened.push(s);
  return s;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('corruption and repair', () => {
  it('a flipped byte: get repairs from the replica, counts it, quarantines the bad copy', async () => {
    const replica = await open();
    const counts = { corrupt: 0, repaired: 0 };
    const events: CasEvent[] = [];
    const local = await open(
      {},
      {
        repair: async (hash) => ((await replica.store.has(hash)) ? replica.store.read(hash) : undefined),
        metrics: { corrupt: () => counts.corrupt++, repaired: () => counts.repaired++ },
      },
    );
    local.store.subscribe((e) => events.push(e));
    const bytes = randomBytes(500_000);
    const { hash } = await local.store.put(bytes);
    await replica.store.put(bytes);
    await flipByte(blobPath(local.dataDir, hash), 99);
    expect(Buffer.from(await local.store.get(hash)).equals(bytes)).toBe(true);
    expect(counts).toEqual({ corrupt: 1, repaired: 1 });
    expect(events.map((e) => e.type)).toEqual([
      'blob.stored',
      'blob.corrupt',
      'blob.stored',
      'blob.repaired',
    ]);
    expect(await readdir(join(local.dataDir, 'blobs', 'quarantine'))).toHaveLength(1);
    expect((await local.store.verify()).corrupt).toEqual([]);
  });

  it('verify reports a corrupt blob; verify --repair restores it from the replica', async () => {
    const replica = await open();
    let withRepair = false;
    const local = await open(
      {},
      { repair: async (hash) => (withRepair ? replica.store.read(hash) : undefined) },
    );
    const good = await local.store.put(randomBytes(10_000));
    const text = Buffer.from('a compressible transcript line\n'.repeat(10_000));
    const bad = await local.store.put(text);
    await replica.store.put(text);
    await flipByte(blobPath(local.dataDir, bad.hash), 40);
    const first = await local.store.verify({ repair: true });
    expect(first).toMatchObject({ checked: 2, corrupt: [bad.hash], repaired: [] });
    await expect(local.store.get(bad.hash)).rejects.toBeInstanceOf(CorruptBlobError);
    withRepair = true;
    const second = await local.store.verify({ repair: true });
    expect(second).toMatchObject({ missing: [bad.hash], repaired: [bad.hash] });
    expect(Buffer.from(await local.store.get(bad.hash)).equals(text)).toBe(true);
    expect(await local.store.has(good.hash)).toBe(true);
  });

  it('a replica that sends the wrong bytes does not repair anything', async () => {
    const local = await open({}, { repair: () => Promise.resolve(Buffer.from('forged')) });
    const { hash } = await local.store.put(randomBytes(5_000));
    await flipByte(blobPath(local.dataDir, hash));
    await expect(local.store.get(hash)).rejects.toBeInstanceOf(CorruptBlobError);
    expect(await local.store.has(hash)).toBe(false);
  });
});

describe('references and gc', () => {
  it('keeps what a pin or a record reaches (through blob references), removes the rest after the grace', async () => {
    const clock = new SimulatedClock();
    const { store } = await open({ gcGraceMs: 60_000 }, { clock, logger: silentLogger() });
    const put = async (s: string): Promise<string> => (await store.put(Buffer.from(s))).hash;
    const [root, child, grandchild, recorded, loose] = await Promise.all(
      ['root', 'child', 'grandchild', 'recorded', 'loose'].map(put),
    );
    await store.pin(root!);
    await store.addRef(`blob:${root}`, child!);
    await store.addRef(`blob:${child}`, grandchild!);
    await store.addRef('task:acme~app:1/log', recorded!);
    expect((await store.gc()).removed).toEqual([]);
    await clock.advance(61_000);
    expect((await store.gc()).removed).toEqual([loose]);
    await store.unpin(root!);
    await store.removeRef('task:acme~app:1/log', recorded!);
    expect((await store.gc()).removed).toEqual([]);
    await clock.advance(61_000);
    const report = await store.gc();
    expect([...report.removed].sort()).toEqual([root, child, grandchild, recorded].sort());
    expect(await store.stats()).toEqual({ blobs: 0, bytes: 0, storedBytes: 0 });
  });

  it('a blob put again during the grace is kept', async () => {
    const clock = new SimulatedClock();
    const { store } = await open({ gcGraceMs: 1_000 }, { clock });
    const { hash } = await store.put(Buffer.from('again'));
    await clock.advance(900);
    await store.put(Buffer.from('again'));
    await clock.advance(900);
    expect((await store.gc()).removed).toEqual([]);
    await clock.advance(200);
    expect((await store.gc()).removed).toEqual([hash]);
  });

  it('the periodic collector runs on the injected clock and stops', async () => {
    const clock = new SimulatedClock();
    const { store } = await open({ gcGraceMs: 0 }, { clock });
    const runs: number[] = [];
    const collector = new GarbageCollector(
      store,
      { intervalMs: 10_000 },
      {
        clock,
        logger: silentLogger(),
        onRun: (r) => runs.push(r.removed.length),
      },
    );
    collector.start();
    await store.put(Buffer.from('garbage'));
    await clock.advance(1);
    await clock.advance(10_000);
    await eventually(() => (runs.length === 1 ? true : undefined), 20_000, 'the first run');
    expect(runs).toEqual([1]);
    await clock.advance(10_000);
    await eventually(() => (runs.length === 2 ? true : undefined), 20_000, 'the second run');
    expect(runs).toEqual([1, 0]);
    await collector.stop();
    await clock.advance(30_000);
    expect(runs).toEqual([1, 0]);
    expect(clock.pending).toBe(0);
  });
});
