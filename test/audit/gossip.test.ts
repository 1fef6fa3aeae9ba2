/**
 * Audit heads gossiped between two nodes over a real nats-server, each with its own NATS bus
 * (signed envelopes), audit log, witness book and gossip actor: each witnesses the other's
 * head and sends back what it saw, so each data dir holds the heads peers witnessed of it.
 * A node that rewrites its chain (with its own key) and announces it again is flagged by its
 * peer (a fork, counted, both heads kept) and, hearing its old head back, by itself: its own
 * `verifyChain` fails, and so does the peer's `verifyNodeChain` of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditGossip } from '../../src/actors/audit/gossip.js';
import { auditPaths, verifyChain, verifyNodeChain, WitnessBook } from '../../src/adapters/audit/index.js';
import { createNatsBus, type Bus } from '../../src/adapters/bus/index.js';
import { createNatsConnector } from '../../src/adapters/nats/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import type { Resource } from '../../src/lib/resource.js';
import { generateIdentity, type Identity } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import {
  appendMany,
  matching,
  openLog,
  type OpenLog,
  readRecords,
  rewrite,
  writeRecords,
} from './support.js';

let nats: NatsServerHandle;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(() => nats.stop());

interface Peer {
  identity: Identity;
  dir: string;
  opened: OpenLog;
  book: WitnessBook;
  forks: number;
  stop(): Promise<void>;
}

const peers: Peer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) {
    await peer.stop();
    await rm(peer.dir, { recursive: true, force: true });
  }
});

/** Opens a connection and bus for `identity` (once per peer). */
async function connect(identity: Identity): Promise<{ bus: Bus; connection: Resource }> {
  const logger = silentLogger();
  const connector = createNatsConnector({ servers: nats.url }, { clock: systemClock, logger });
  const { bus } = createNatsBus(
    { cluster: 'audit', nodeId: identity.nodeId, privateKey: identity.privateKey },
    { clock: systemClock, logger, rejected: () => undefined, connector },
  );
  const connection = await connector.open();
  await eventually(() => (bus.connected() ? true : undefined), 20_000, 'NATS connection');
  return { bus, connection };
}

/** A node's log, book and gossip on `dir` (made when absent), on its own bus. */
async function peer(identity = generateIdentity(), dir?: string): Promise<Peer> {
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'bzzz-audit-gossip-')));
  const opened = await openLog(dataDir, identity);
  const self: Peer = {
    identity,
    dir: dataDir,
    opened,
    book: undefined!,
    forks: 0,
    stop: async () => undefined,
  };
  const book = new WitnessBook(auditPaths(dataDir).witnesses, identity.nodeId, {
    clock: systemClock,
    logger: silentLogger(),
    metrics: {
      forked: () => {
        self.forks++;
      },
    },
  });
  await book.load();
  const { bus, connection } = await connect(identity);
  const gossip = new AuditGossip(
    { nodeId: identity.nodeId, minIntervalMs: 50, periodMs: 300 },
    {
      log: opened.log,
      witnesses: book,
      announcer: {
        publish: (message) =>
          void bus.publish({ kind: 'coordination' }, { type: 'audit_head', data: message }),
        subscribe: (handler) => {
          const s = bus.subscribe({ kind: 'coordination' }, ({ envelope }) => {
            if (envelope.type === 'audit_head') handler(envelope.from, envelope.data);
          });
          return () => s.unsubscribe();
        },
      },
      clock: systemClock,
      logger: silentLogger(),
    },
  );
  await gossip.start();
  self.book = book;
  self.stop = async () => {
    await gossip.stop();
    await bus.close();
    await connection.stop();
    await book.stop();
    await opened.close();
  };
  peers.push(self);
  return self;
}

const seqOf = (p: Peer, node: string) => p.book.latest(node)?.seq;

describe('audit_head gossip', () => {
  it("witnesses each other's heads and sends back what it saw", async () => {
    const a = await peer();
    const b = await peer();
    await appendMany(a.opened.log, 3);
    await appendMany(b.opened.log, 5);
    await eventually(() => (seqOf(a, b.identity.nodeId) === 5 ? true : undefined), 30_000, 'a witnesses b');
    await eventually(() => (seqOf(b, a.identity.nodeId) === 3 ? true : undefined), 30_000, 'b witnesses a');
    expect(a.book.latest(b.identity.nodeId)).toEqual(b.opened.log.head());
    // each learns from the other what the other witnessed of it
    await eventually(
      () => (a.book.selfHeads().some((h) => h.seq === 3) ? true : undefined),
      30_000,
      'a hears back',
    );
    await eventually(
      () => (b.book.selfHeads().some((h) => h.seq === 5) ? true : undefined),
      30_000,
      'b hears back',
    );
    await appendMany(b.opened.log, 2, 5);
    await eventually(() => (seqOf(a, b.identity.nodeId) === 7 ? true : undefined), 30_000, 'a sees b move');
    expect(a.forks + b.forks).toBe(0);
    await a.book.stop();
    const report = await verifyChain(a.dir, { nodeId: a.identity.nodeId });
    expect(report).toMatchObject({ ok: true, entries: 3 });
    expect(report.witnessed).toBeGreaterThanOrEqual(1);
  });

  it('flags a node that rewrote its chain, and the node learns it too', async () => {
    const a = await peer();
    const b = await peer();
    await appendMany(b.opened.log, 6);
    await eventually(() => (seqOf(a, b.identity.nodeId) === 6 ? true : undefined), 30_000, 'a witnesses b');
    await eventually(() => (b.book.selfHeads().length > 0 ? true : undefined), 30_000, 'b hears back');
    // b stops, rewrites its history from seq 3 with its own key (same length), starts again
    const { identity, dir } = b;
    peers.splice(peers.indexOf(b), 1);
    await b.stop();
    const before = await readRecords(dir);
    const rewritten = await rewrite(before, identity, 3, 6);
    await writeRecords(dir, rewritten, { identity });
    const b2 = await peer(identity, dir);
    await eventually(() => (a.forks > 0 ? true : undefined), 30_000, 'a flags the fork');
    const [evidence] = a.book.forks(identity.nodeId);
    expect(evidence).toMatchObject({ node: identity.nodeId, seq: 6, by: identity.nodeId });
    expect(evidence!.witnessed.hash).not.toBe(evidence!.conflicting.hash);
    // a keeps the head it witnessed first
    expect(a.book.latest(identity.nodeId)).toEqual(evidence!.witnessed);
    // a sends b's old head back: b's own chain does not hold it
    await eventually(
      () => (b2.book.forks(identity.nodeId).length > 0 ? true : undefined),
      30_000,
      'b learns it',
    );
    await b2.book.stop();
    const own = await verifyChain(dir, { nodeId: identity.nodeId });
    expect(own.problem).toMatchObject({ seq: 6, reason: matching(/^forks from the head/) });
    // a, with both of b's histories replicated to it, finds the same from its side
    for (const record of [...before, ...rewritten]) await a.opened.store.put(record, { pin: true });
    await a.book.stop();
    const remote = await verifyNodeChain(a.dir, identity.nodeId, a.opened.store);
    expect(remote.ok).toBe(false);
    expect(remote.problem).toMatchObject({ seq: 6, reason: matching(/fork evidence/) });
  });
});
