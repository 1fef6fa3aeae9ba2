/**
 * The audit gossip actor on a simulated clock, with an announcer the test drives: a moving head
 * goes out at most once per interval (coalesced) and again every period; a head is taken only
 * from the node it names and only when its signature holds; a peer's lower head signed later
 * is a rollback, an older one a late message; and a head of this node sent back by a peer that
 * the chain does not hold is a fork of this node's history.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditGossip } from '../../src/actors/audit/gossip.js';
import { auditPaths, WitnessBook } from '../../src/adapters/audit/index.js';
import { flushMicrotasks, SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/index.js';
import {
  generateIdentity,
  signAuditHead,
  type AuditHeadMessage,
  type Identity,
  type SignedAuditHead,
} from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { appendMany, openLog, type OpenLog } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup() {
  const clock = new SimulatedClock();
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-audit-actor-'));
  const identity = generateIdentity();
  const opened: OpenLog = await openLog(dir, identity, { clock });
  let forks = 0;
  const book = new WitnessBook(auditPaths(dir).witnesses, identity.nodeId, {
    clock,
    logger: silentLogger(),
    metrics: {
      forked: () => {
        forks++;
      },
    },
  });
  await book.load();
  const sent: AuditHeadMessage[] = [];
  let handler: ((from: string, message: AuditHeadMessage) => void) | undefined;
  const gossip = new AuditGossip(
    { nodeId: identity.nodeId, minIntervalMs: 1_000, periodMs: 15_000 },
    {
      log: opened.log,
      witnesses: book,
      announcer: {
        publish: (message) => void sent.push(message),
        subscribe: (h) => {
          handler = h;
          return () => (handler = undefined);
        },
      },
      clock,
      logger: silentLogger(),
    },
  );
  await gossip.start();
  cleanup.push(async () => {
    await gossip.stop();
    await book.stop();
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  });
  const hear = async (from: string, message: AuditHeadMessage) => {
    handler!(from, message);
    await flushMicrotasks();
  };
  return { clock, identity, log: opened.log, book, sent, hear, forks: () => forks };
}

/** A head of `identity`'s chain at `seq`, signed `atMs`. */
function headOf(identity: Identity, seq: number, hash: string, atMs: number): SignedAuditHead {
  return signAuditHead(
    { at: new Date(atMs).toISOString(), hash, node: identity.nodeId, seq },
    identity.privateKey,
  );
}

describe('the audit gossip actor', () => {
  it('announces a moving head at most once per interval, and again every period', async () => {
    const { clock, log, sent } = await setup();
    await appendMany(log, 1);
    await clock.advance(0);
    expect(sent.map((m) => m.head?.seq)).toEqual([1]);
    await appendMany(log, 1, 1);
    await appendMany(log, 1, 2);
    await clock.advance(500);
    expect(sent).toHaveLength(1);
    await clock.advance(500);
    expect(sent.map((m) => m.head?.seq)).toEqual([1, 3]);
    await clock.advance(15_000);
    expect(sent.map((m) => m.head?.seq)).toEqual([1, 3, 3]);
  });

  it("takes a peer's head only from that peer and only when its signature holds", async () => {
    const { book, hear } = await setup();
    const peer = generateIdentity();
    const head = headOf(peer, 4, 'ab'.repeat(32), 1_000);
    await hear(generateIdentity().nodeId, { head, witnessed: [] });
    expect(book.latest(peer.nodeId)).toBeUndefined();
    await hear(peer.nodeId, { head: { ...head, hash: 'cd'.repeat(32) }, witnessed: [] });
    expect(book.latest(peer.nodeId)).toBeUndefined();
    await hear(peer.nodeId, { head, witnessed: [] });
    expect(book.latest(peer.nodeId)).toEqual(head);
    // relayed by a third node as a witnessed head, a newer one is taken too
    const newer = headOf(peer, 9, 'ef'.repeat(32), 2_000);
    await hear(generateIdentity().nodeId, { head: null, witnessed: [newer] });
    expect(book.latest(peer.nodeId)).toEqual(newer);
  });

  it('tells a fork (same seq, other hash; a rollback) from a late message', async () => {
    const { book, hear, forks, clock } = await setup();
    const peer = generateIdentity();
    await hear(peer.nodeId, { head: headOf(peer, 10, 'aa'.repeat(32), 5_000), witnessed: [] });
    await hear(peer.nodeId, { head: headOf(peer, 8, 'bb'.repeat(32), 4_000), witnessed: [] });
    expect(forks()).toBe(0);
    await hear(peer.nodeId, { head: headOf(peer, 10, 'cc'.repeat(32), 6_000), witnessed: [] });
    expect(forks()).toBe(1);
    await hear(peer.nodeId, { head: headOf(peer, 7, 'dd'.repeat(32), 7_000), witnessed: [] });
    expect(forks()).toBe(2);
    expect(book.forks(peer.nodeId).map((f) => f.reason)).toEqual([
      'two heads of seq 10 with different hashes',
      'seq 7 announced after seq 10: history rolled back',
    ]);
    expect(book.latest(peer.nodeId)?.hash).toBe('aa'.repeat(32));
    // the evidence is on disk once the book has written
    await clock.advance(1_000);
    await book.stop();
    const { readWitnessFile } = await import('../../src/adapters/audit/index.js');
    const file = await readWitnessFile(book.path);
    expect(file.forks).toHaveLength(2);
  });

  it('keeps what a peer witnessed of this node, and calls a head its chain does not hold a fork', async () => {
    const { identity, log, book, hear, forks } = await setup();
    await appendMany(log, 3);
    const own = log.head()!;
    const peer = generateIdentity().nodeId;
    await hear(peer, { head: null, witnessed: [own] });
    expect(book.selfHeads()).toEqual([own]);
    expect(forks()).toBe(0);
    const foreign = headOf(identity, 2, 'ee'.repeat(32), 1_000);
    await hear(peer, { head: null, witnessed: [foreign] });
    const beyond = headOf(identity, 5, 'ff'.repeat(32), 1_000);
    await hear(peer, { head: null, witnessed: [beyond] });
    // the chain is read from disk for each: wait for both
    await eventually(() => (forks() === 2 ? true : undefined), 20_000, 'two forks');
    expect(
      book
        .forks(identity.nodeId)
        .map((f) => f.reason)
        .sort(),
    ).toEqual([
      `${peer} witnessed seq 2 with hash ${'ee'.repeat(32)}; this node's entry 2 is ${(await log.hashAt(2))!}`,
      `${peer} witnessed seq 5 of this node, whose chain ends at seq 3`,
    ]);
  });

  it('keeps its book bounded against nodes a peer makes up', async () => {
    const { book } = await setup();
    const relay = generateIdentity().nodeId;
    const made = Array.from({ length: 1030 }, () => generateIdentity());
    const taken = made.map((id) => book.observe(headOf(id, 1, 'ab'.repeat(32), 1_000), relay));
    expect(taken.filter((o) => o === 'new')).toHaveLength(1024);
    // a node's own head still counts: it came from that node
    const direct = generateIdentity();
    expect(book.observe(headOf(direct, 1, 'ab'.repeat(32), 1_000), direct.nodeId)).toBe('new');
  });
});
