// Three electors, each with its own JetStream claim store and connection, on a real
// nats-server with the default timings (TTL 1 s, renew every 300 ms, skew 250 ms): one leader,
// a crashed leader replaced only after its lease ran out, a graceful stop handed over before
// the lease would have run out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElector, type Elector, type ElectionHeartbeat } from '../../src/actors/election.js';
import { JetStreamClaimStore, type LeaseInfo } from '../../src/adapters/claims/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';

let nats: NatsServerHandle;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats.stop();
});

interface Node {
  name: string;
  store: JetStreamClaimStore;
  elector: Elector;
  becameLeaderAt: number[];
}

async function cluster(name: string): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < 3; i++) {
    const store = new JetStreamClaimStore(
      { cluster: name, servers: nats.url },
      { clock: systemClock, logger: silentLogger() },
    );
    await store.start();
    const node: Node = {
      name: `node-${i}`,
      store,
      becameLeaderAt: [],
      elector: undefined as unknown as Elector,
    };
    node.elector = createElector({
      store,
      node: node.name,
      clock: systemClock,
      publish: (hb: ElectionHeartbeat) => {
        for (const other of nodes) if (other !== node) other.elector.heartbeat(hb);
      },
      onLeaderChange: (leader) => {
        if (leader?.node === node.name) node.becameLeaderAt.push(Date.now());
      },
    });
    nodes.push(node);
  }
  for (const node of nodes) node.elector.start();
  return nodes;
}

async function until<T>(probe: () => T | undefined, what: string, limitMs = 10_000): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await systemClock.sleep(10);
  }
}

async function shutdown(nodes: Node[]): Promise<void> {
  for (const node of nodes) {
    await node.elector.stop();
    await node.store.stop();
  }
}

const leaders = (nodes: Node[]) => nodes.filter((n) => n.elector.isLeader);

describe('election on a real nats-server', () => {
  it('elects exactly one leader that every node knows, and replaces it after a crash', async () => {
    const nodes = await cluster('elect');
    try {
      const first = await until(() => leaders(nodes)[0], 'a leader');
      const term = first.elector.leader!.term;
      await until(
        () => (nodes.every((n) => n.elector.leader?.term === term) ? true : undefined),
        'agreement',
      );
      for (let i = 0; i < 20; i++) {
        expect(leaders(nodes)).toHaveLength(1);
        await systemClock.sleep(50);
      }
      for (const n of nodes) expect(n.elector.leader).toEqual({ node: first.name, term });

      // Crash: no release; the store's connection goes away with the process.
      const lease = (await nodes.find((n) => n !== first)!.store.read('leader')) as LeaseInfo;
      first.elector.kill();
      await first.store.stop();
      const rest = nodes.filter((n) => n !== first);
      const next = await until(() => leaders(rest)[0], 'a new leader');
      expect(next.becameLeaderAt.at(-1)!).toBeGreaterThanOrEqual(lease.expiresAt);
      expect(next.elector.leader!.term).toBeGreaterThan(term);
      await until(
        () => (rest.every((n) => n.elector.leader?.node === next.name) ? true : undefined),
        'agreement',
      );
      await shutdown(rest);
    } catch (error) {
      await shutdown(nodes).catch(() => undefined);
      throw error;
    }
  });

  it('hands over on a graceful stop before the old lease would have run out', async () => {
    const nodes = await cluster('handover');
    try {
      const first = await until(() => leaders(nodes)[0], 'a leader');
      await systemClock.sleep(400);
      const lease = (await first.store.read('leader')) as LeaseInfo;
      await first.elector.stop();
      const rest = nodes.filter((n) => n !== first);
      const next = await until(() => leaders(rest)[0], 'a new leader');
      // Released, not waited out: the new leader won while the old lease would still have run.
      expect(next.becameLeaderAt.at(-1)!).toBeLessThan(lease.expiresAt);
      expect(next.elector.leader!.term).toBeGreaterThan(lease.token);
      await first.store.stop();
      await shutdown(rest);
    } catch (error) {
      await shutdown(nodes).catch(() => undefined);
      throw error;
    }
  });
});
