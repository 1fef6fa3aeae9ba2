// The election machine and its binding on a simulated clock: one leader, heartbeats with the
// term, followers that know the leader, takeover after a crash, stepping down at once when a
// renewal fails, and a graceful hand-over within one poll.
import { describe, expect, it } from 'vitest';
import {
  createElector,
  type ElectionHeartbeat,
  type Elector,
  type LeaderInfo,
} from '../../src/actors/election.js';
import { SimulatedClock } from '../../src/lib/index.js';
import { FlakyStore } from './flaky-store.js';

const TTL = 1_000;
const POLL = 150;
const SKEW = 250;

interface Node {
  name: string;
  elector: Elector;
  heartbeats: ElectionHeartbeat[];
  changes: { leader: LeaderInfo | null; at: number }[];
}

function cluster(count: number, options: { shareHeartbeats?: boolean } = {}) {
  const clock = new SimulatedClock();
  const store = new FlakyStore(clock);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const node: Node = {
      name: `node-${i}`,
      heartbeats: [],
      changes: [],
      elector: undefined as unknown as Elector,
    };
    node.elector = createElector({
      store,
      node: node.name,
      clock,
      skewMs: SKEW,
      publish: (hb) => {
        node.heartbeats.push(hb);
        if (options.shareHeartbeats === true) {
          for (const other of nodes) if (other !== node) other.elector.heartbeat(hb);
        }
      },
      onLeaderChange: (leader) => node.changes.push({ leader, at: clock.now() }),
    });
    nodes.push(node);
  }
  const leaders = () => nodes.filter((n) => n.elector.isLeader);
  return { clock, store, nodes, leaders };
}

describe('election machine', () => {
  it('makes a lone node leader at once, its term the lease token, heartbeating each renewal', async () => {
    const { clock, store, nodes } = cluster(1);
    const [a] = nodes as [Node];
    a.elector.start();
    await clock.tick();
    expect(a.elector.isLeader).toBe(true);
    const info = await store.read('leader');
    expect(a.elector.leader).toEqual({ node: 'node-0', term: info!.token });
    expect(a.heartbeats).toEqual([{ node: 'node-0', term: info!.token }]);
    await clock.advance(3_000);
    expect(a.heartbeats).toHaveLength(11);
    expect(new Set(a.heartbeats.map((h) => h.term))).toEqual(new Set([info!.token]));
    expect(a.changes.map((c) => c.leader)).toEqual([{ node: 'node-0', term: info!.token }]);
  });

  it('elects exactly one of three and lets every node know the leader and term', async () => {
    const { clock, nodes, leaders } = cluster(3);
    for (const n of nodes) n.elector.start();
    for (let step = 0; step < 40; step++) {
      await clock.advance(50);
      expect(leaders().length).toBeLessThanOrEqual(1);
    }
    const [leader] = leaders();
    expect(leader).toBeDefined();
    for (const n of nodes) expect(n.elector.leader).toEqual(leader!.elector.leader);
  });

  it('replaces a crashed leader after its lease runs out, with a higher term', async () => {
    const { clock, store, nodes, leaders } = cluster(3, { shareHeartbeats: true });
    for (const n of nodes) n.elector.start();
    await clock.advance(1_000);
    const old = leaders()[0]!;
    const oldTerm = old.elector.leader!.term;
    const lease = await store.read('leader');
    old.elector.kill();
    const killedAt = clock.now();
    let newLeaderAt: number | undefined;
    for (let step = 0; step < 100 && newLeaderAt === undefined; step++) {
      await clock.advance(10);
      expect(leaders().length).toBeLessThanOrEqual(1);
      if (leaders().length === 1) newLeaderAt = clock.now();
    }
    expect(newLeaderAt).toBeDefined();
    // Not before the crashed leader's lease ended; within one poll after.
    expect(newLeaderAt!).toBeGreaterThanOrEqual(lease!.expiresAt);
    expect(newLeaderAt! - killedAt).toBeLessThanOrEqual(TTL + POLL + 10);
    const next = leaders()[0]!;
    expect(next.elector.leader!.term).toBeGreaterThan(oldTerm);
    for (const n of nodes.filter((x) => x !== old)) expect(n.elector.leader).toEqual(next.elector.leader);
  });

  it('steps down at the first failed renewal, without waiting for the deadline', async () => {
    const { clock, store, nodes } = cluster(1);
    const [a] = nodes as [Node];
    a.elector.start();
    await clock.advance(100);
    store.mode = 'unavailable';
    const failedAt = clock.now() + 200; // the next renewal, 300 ms after winning
    await clock.advance(200);
    expect(a.elector.isLeader).toBe(false);
    expect(a.changes.at(-1)).toEqual({ leader: null, at: failedAt });
  });

  it('steps down `skew` before the lease ends when a renewal hangs', async () => {
    const { clock, store, nodes } = cluster(1);
    const [a] = nodes as [Node];
    a.elector.start();
    await clock.tick();
    const startedAt = clock.now();
    store.mode = 'hang';
    await clock.advance(2_000);
    expect(a.elector.isLeader).toBe(false);
    // The renewal at 300 ms never answers: the lease won at 0 runs to 1000 ms.
    expect(a.changes.at(-1)).toEqual({ leader: null, at: startedAt + TTL - SKEW });
  });

  it('hands over within one poll when the leader stops gracefully', async () => {
    const { clock, store, nodes, leaders } = cluster(3, { shareHeartbeats: true });
    for (const n of nodes) n.elector.start();
    await clock.advance(1_000);
    const old = leaders()[0]!;
    const stopping = old.elector.stop();
    await clock.tick();
    await stopping;
    expect(old.elector.isLeader).toBe(false);
    const stoppedAt = clock.now();
    await clock.advance(POLL);
    expect(leaders()).toHaveLength(1);
    expect(leaders()[0]).not.toBe(old);
    expect(clock.now() - stoppedAt).toBeLessThan(300);
    expect((await store.read('leader'))?.holder).toBe(leaders()[0]!.name);
  });

  it('lets followers track the leader from heartbeats, ignoring older terms', async () => {
    const { clock, nodes } = cluster(2);
    const [a, b] = nodes as [Node, Node];
    a.elector.start();
    await clock.tick();
    b.elector.start();
    await clock.tick();
    const term = a.elector.leader!.term;
    expect(b.elector.leader).toEqual({ node: 'node-0', term });
    b.elector.heartbeat({ node: 'node-9', term: term + 5 });
    expect(b.elector.leader).toEqual({ node: 'node-9', term: term + 5 });
    b.elector.heartbeat({ node: 'node-0', term });
    expect(b.elector.leader).toEqual({ node: 'node-9', term: term + 5 });
  });
});
