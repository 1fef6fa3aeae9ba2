/**
 * The audit log (issue 16) on a real `fs` content store: appends in call order, batched,
 * linked and signed; a restart continues the chain; every entry lands in the store, pinned;
 * `verifyChain` passes the untouched chain and `taskEntries` shows a task's entries with their
 * hashes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { taskEntries, verifyChain } from '../../src/adapters/audit/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { decodeAuditEntry, generateIdentity, verifyAuditHead } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { appendMany, b3, input, matching, openLog, type OpenLog, readRecords, TASK } from './support.js';

const dirs: string[] = [];
const opened: OpenLog[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fresh(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-audit-'));
  dirs.push(dir);
  return dir;
}

describe('the audit log', () => {
  it('appends in call order, links and signs each entry, and signs its head', async () => {
    const dir = await fresh();
    const identity = generateIdentity();
    const o = await openLog(dir, identity, { maxBatch: 4 });
    opened.push(o);
    const appended = await Promise.all(Array.from({ length: 10 }, (_, i) => o.log.append(input(i))));
    expect(appended.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const records = await readRecords(dir);
    expect(records).toHaveLength(10);
    for (const [i, record] of records.entries()) {
      const entry = decodeAuditEntry(record);
      expect(entry).toMatchObject({
        seq: i + 1,
        node: identity.nodeId,
        kind: input(i).kind,
        data: input(i).data,
      });
      expect(entry.prev).toBe(i === 0 ? null : appended[i - 1]!.hash);
      expect(await b3(record)).toBe(appended[i]!.hash);
    }
    const head = o.log.head()!;
    expect(head).toMatchObject({ seq: 10, hash: appended[9]!.hash, node: identity.nodeId });
    expect(verifyAuditHead(head)).toBe(true);
    // each entry is a pinned blob of the store once copied
    await eventually(() => (o.log.published === 10 ? true : undefined), 30_000, 'entries copied');
    for (const a of appended) expect((await o.store.stat(a.hash))?.pinned).toBe(true);
    expect(await verifyChain(dir, { store: o.store })).toMatchObject({
      ok: true,
      entries: 10,
      problem: null,
    });
  });

  it('continues the chain after a restart', async () => {
    const dir = await fresh();
    const identity = generateIdentity();
    const first = await openLog(dir, identity);
    await appendMany(first.log, 5);
    const before = first.log.head()!;
    await first.close();
    const second = await openLog(dir, identity);
    opened.push(second);
    expect(second.log.head()).toEqual(before);
    const next = await second.log.append(input(5));
    expect(next.seq).toBe(6);
    expect(decodeAuditEntry((await readRecords(dir))[5]!).prev).toBe(before.hash);
    expect(await second.log.hashAt(3)).toBe(await b3((await readRecords(dir))[2]!));
    expect((await verifyChain(dir)).ok).toBe(true);
  });

  it('refuses an entry it cannot encode alone; the rest of its batch goes in', async () => {
    const dir = await fresh();
    const o = await openLog(dir, generateIdentity(), { clock: new SimulatedClock() });
    opened.push(o);
    const results = await Promise.allSettled([
      o.log.append(input(0)),
      o.log.append({ ...input(1), data: { big: 'x'.repeat(64 * 1024) } }),
      o.log.append(input(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'InvalidAuditRecordError' });
    expect(o.log.head()?.seq).toBe(2);
    expect((await verifyChain(dir)).ok).toBe(true);
  });

  it("shows a task's entries with their hashes", async () => {
    const dir = await fresh();
    const o = await openLog(dir, generateIdentity());
    opened.push(o);
    await appendMany(o.log, 4);
    await o.log.append({ kind: 'outcome', task: 'local:demo/app#4', token: 2, data: { state: 'done' } });
    const { entries } = await taskEntries(dir, TASK);
    const records = await readRecords(dir);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    for (const e of entries) expect(e.hash).toBe(await b3(records[e.seq - 1]!));
    const other = await taskEntries(dir, 'local:demo/app#4');
    expect(other.entries.map((e) => [e.seq, e.kind])).toEqual([[5, 'outcome']]);
  });

  it('refuses appends when stopped, and when its files make no chain it can continue', async () => {
    const dir = await fresh();
    const identity = generateIdentity();
    const o = await openLog(dir, identity);
    await appendMany(o.log, 3);
    await o.close();
    await expect(o.log.append(input(3))).rejects.toMatchObject({ name: 'AuditClosedError' });
    // a second appender on the same data dir, in a live process, is refused
    const first = await openLog(dir, identity);
    const second = await openLog(dir, identity);
    expect(second.log.health()).toMatchObject({
      status: 'failed',
      detail: matching(/appends to this audit log already/),
    });
    await second.close();
    await first.close();
    // another node's key on this data dir: the head is not its own
    const other = await openLog(dir, generateIdentity());
    opened.push(other);
    expect(other.log.health()).toMatchObject({ status: 'failed', detail: matching(/not signed by/) });
    await expect(other.log.append(input(3))).rejects.toMatchObject({ name: 'AuditUnavailableError' });
  });
});
