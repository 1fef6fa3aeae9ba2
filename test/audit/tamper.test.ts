/**
 * Every kind of tampering with a node's audit chain is caught by `verifyChain`, which names
 * the first bad entry (its seq, its hash, what is wrong): an entry's bytes changed (in the
 * journal or as a blob of the content store), an entry signed again by another key (a forged
 * signature) or by the node's own key (its successor still links to the old one), an entry
 * removed (in the middle or at the end), entries reordered, an entry inserted (forged, or
 * signed with the node's key), a head signed by another key, and a chain rewritten with the
 * node's own key that no longer holds a head a peer witnessed (the same length, or shorter).
 * A long chain goes through the worker threads, which catch the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditPaths, verifyChain, WitnessBook, type ChainReport } from '../../src/adapters/audit/index.js';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { generateIdentity, type Identity } from '../../src/protocol/index.js';
import { blobPath, flipByte } from '../compliance/cas.js';
import { eventually } from '../helpers/cli.js';
import { appendMany, b3, matching, openLog, readRecords, resign, rewrite, writeRecords } from './support.js';

const N = 10;
const node = generateIdentity();
const stranger = generateIdentity();
let dir: string;
let original: Buffer[];
let hashes: string[];
let store: ContentStore;

/** A fresh copy of the same 10-entry chain, its blobs in the store, before each test. */
let template: string;
beforeAll(async () => {
  template = await mkdtemp(join(tmpdir(), 'bzzz-audit-tamper-'));
  const o = await openLog(template, node);
  await appendMany(o.log, N);
  await eventually(() => (o.log.published === N ? true : undefined), 30_000, 'entries copied');
  await o.close();
  original = await readRecords(template);
  hashes = await Promise.all(original.map((r) => b3(r)));
});
afterAll(() => rm(template, { recursive: true, force: true }));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-audit-tamper-'));
  const { cp } = await import('node:fs/promises');
  await cp(template, dir, { recursive: true });
  store = createContentStore({ dataDir: dir }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  return async () => {
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  };
});

async function verify(options: { workers?: number; blobs?: boolean } = {}): Promise<ChainReport> {
  return verifyChain(dir, { nodeId: node.nodeId, store, ...options });
}

const at = (i: number) => original[i]!;

describe('verify names the first bad entry', () => {
  it('passes the untouched chain', async () => {
    expect(await verify()).toMatchObject({ ok: true, entries: N, problem: null, node: node.nodeId });
  });

  it('of an entry whose bytes changed in the journal', async () => {
    const edited = Buffer.from(at(3).toString().replace('"holder":"agent-1"', '"holder":"agent-X"'));
    await writeRecords(dir, [...original.slice(0, 3), edited, ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 4, hash: await b3(edited), reason: matching(/signature/) });
  });

  it('of an entry whose blob changed in the content store (reading every blob)', async () => {
    await flipByte(blobPath(dir, hashes[5]!), 20);
    const { problem } = await verify({ blobs: true });
    expect(problem).toMatchObject({ seq: 6, hash: hashes[5], reason: matching(/content store/) });
  });

  it('of an entry whose blob was removed from the content store', async () => {
    await store.delete(hashes[6]!);
    const { problem } = await verify();
    expect(problem).toMatchObject({
      seq: 7,
      hash: hashes[6],
      reason: 'its blob is not in the content store',
    });
  });

  it('of an entry signed again by another key (a forged signature)', async () => {
    const forged = resign(at(3), stranger, () => ({ data: { holder: 'someone-else' } }));
    await writeRecords(dir, [...original.slice(0, 3), forged, ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 4, hash: await b3(forged), reason: matching(/signature/) });
  });

  it("of an entry changed and signed again with the node's own key", async () => {
    const changed = resign(at(3), node, () => ({ data: { holder: 'someone-else' } }));
    await writeRecords(dir, [...original.slice(0, 3), changed, ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 4, hash: await b3(changed), reason: matching(/^changed/) });
  });

  it('of an entry removed from the middle', async () => {
    await writeRecords(dir, [...original.slice(0, 3), ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 4, hash: hashes[3], reason: matching(/^removed/) });
  });

  it('of entries removed from the end', async () => {
    await writeRecords(dir, original.slice(0, N - 2));
    const { problem } = await verify();
    expect(problem).toMatchObject({
      seq: N - 1,
      reason: matching(/^removed: the signed head covers seq 10/),
    });
  });

  it('of entries reordered', async () => {
    await writeRecords(dir, [...original.slice(0, 3), at(4), at(3), ...original.slice(5)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 5, hash: hashes[4], reason: matching(/^out of order/) });
  });

  it('of an entry inserted with a forged signature', async () => {
    const fake = resign(at(4), stranger, () => ({ data: { fake: true } }));
    await writeRecords(dir, [...original.slice(0, 4), fake, ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 5, hash: await b3(fake), reason: matching(/signature/) });
  });

  it("of an entry inserted with the node's own key", async () => {
    const fake = resign(at(4), node, () => ({ data: { fake: true } }));
    await writeRecords(dir, [...original.slice(0, 4), fake, ...original.slice(4)]);
    const { problem } = await verify();
    expect(problem).toMatchObject({ seq: 5, hash: await b3(fake), reason: matching(/^inserted/) });
  });

  it('of a head signed by another key', async () => {
    await writeRecords(dir, original, { identity: stranger });
    const { problem } = await verify();
    expect(problem).toMatchObject({
      seq: N,
      hash: hashes[N - 1],
      reason: matching(/head's signature is not/),
    });
  });

  describe('against the heads peers witnessed', () => {
    async function witnessedByPeer(head: Awaited<ReturnType<typeof headOf>>): Promise<void> {
      const book = new WitnessBook(auditPaths(dir).witnesses, node.nodeId, {
        clock: systemClock,
        logger: silentLogger(),
      });
      await book.load();
      expect(book.observeSelf(head, 'peer-1', undefined, head)).toBe('new');
      await book.stop();
    }

    it("a chain rewritten with the node's key forks from the witnessed head", async () => {
      await witnessedByPeer(await headOf(dir));
      const rewritten = await rewrite(original, node, 6, N);
      await writeRecords(dir, rewritten, { identity: node });
      // as the node would: the rewritten entries are blobs of its store too
      for (const record of rewritten) await store.put(record, { pin: true });
      const report = await verify();
      expect(report.problem).toMatchObject({
        seq: N,
        hash: await b3(rewritten[N - 1]!),
        reason: matching(/^forks from the head peer-1 witnessed at seq 10/),
      });
      expect(report.witnessed).toBe(1);
    });

    it('a chain cut back below the witnessed head', async () => {
      await witnessedByPeer(await headOf(dir));
      await writeRecords(dir, original.slice(0, 8), { identity: node });
      const { problem } = await verify();
      expect(problem).toMatchObject({ seq: 9, reason: matching(/^removed: peer-1 witnessed seq 10/) });
    });
  });
});

async function headOf(dataDir: string) {
  const { readHeadFile } = await import('../../src/adapters/audit/head-file.js');
  return (await readHeadFile(auditPaths(dataDir).head))!.head;
}

describe('a long chain, checked in worker threads', () => {
  let long: string;
  let records: Buffer[];
  const signer: Identity = generateIdentity();
  beforeAll(async () => {
    long = await mkdtemp(join(tmpdir(), 'bzzz-audit-long-'));
    const o = await openLog(long, signer);
    await appendMany(o.log, 3000);
    await o.close();
    records = await readRecords(long);
  });
  afterAll(() => rm(long, { recursive: true, force: true }));

  it('passes untouched and names a forged entry deep inside', async () => {
    expect(await verifyChain(long, { workers: 2 })).toMatchObject({ ok: true, entries: 3000 });
    const forged = resign(records[2499]!, stranger, () => ({ data: { forged: true } }));
    await writeRecords(long, [...records.slice(0, 2499), forged, ...records.slice(2500)]);
    const { problem } = await verifyChain(long, { workers: 2 });
    expect(problem).toMatchObject({ seq: 2500, hash: await b3(forged), reason: matching(/signature/) });
  });
});
