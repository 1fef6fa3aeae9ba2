/**
 * Task names over libp2p (issue 16), on loopback: a node connected when A publishes keeps A's
 * records in its table (the push); a node that joins later, after A is gone, and whose peers
 * serve the DHT only (no names), finds A as a provider of the task in the DHT and A's records
 * through the DHT walk.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskNames, type TaskNameQuery, type TaskNames } from '../../src/adapters/names/index.js';
import { DhtTaskNames, NameService, P2PNode } from '../../src/adapters/p2p/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { generateIdentity, NAME_PROTOCOL, type Identity } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { DEADLINE_MS } from '../p2p/helpers.js';
import { startRawDhtNode, type RawDhtNode } from '../p2p/raw-dht-node.js';

const HASH = (n: number) => n.toString(16).padStart(64, '0');
const query = (path: TaskNameQuery['path']): TaskNameQuery => ({
  agent: '*',
  role: '*',
  owner: 'demo',
  repo: 'calc',
  number: 4,
  path,
});

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

interface Node {
  identity: Identity;
  p2p: P2PNode;
  names: TaskNames;
  address: string;
}

async function start(name: string, bootstrap: string[]): Promise<Node> {
  const identity = generateIdentity();
  const logger = silentLogger();
  const p2p = new P2PNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrap }, { logger });
  const names = createTaskNames(
    {
      dataDir: mkdtempSync(join(tmpdir(), `bzzz-dht-${name}-`)),
      cluster: 'dht',
      nodeName: name,
      roles: ['shell'],
      lookupTimeoutMs: DEADLINE_MS,
    },
    { identity, clock: systemClock, logger },
  );
  const service = new NameService(
    { identity, peerTimeoutMs: 2_000 },
    { node: p2p, clock: systemClock, logger, learned: (record) => names.learn(record) },
  );
  const dht = new DhtTaskNames({}, { names: service, p2p, logger });
  names.attach(dht);
  const table = await names.open();
  await p2p.start();
  cleanup.push(async () => {
    dht.close();
    await service.close();
    await p2p.stop();
    await table.stop();
  });
  return { identity, p2p, names, address: p2p.addresses()[0]! };
}

async function raw(): Promise<RawDhtNode> {
  const made = await startRawDhtNode();
  cleanup.push(async () => {
    await made.stop();
  });
  return made;
}

describe('task names in the DHT', () => {
  it(
    'reach the connected peers, and a node that missed the push finds them after A is gone',
    { timeout: 120_000 },
    async () => {
      const a = await start('alpha', []);
      const r1 = await raw();
      const r2 = await raw();
      const b = await start('beta', [a.address]);
      for (const r of [r1, r2]) await r.dial(a.address);
      await eventually(
        () => (a.p2p.routingTableSize() >= 3 ? true : undefined),
        DEADLINE_MS,
        'b, r1 and r2 in the routing table of A',
      );

      // identify done: A knows B serves names (a push on a connection just made can fail)
      await eventually(
        async () =>
          (await a.p2p.peers()).find((p) => p.id === b.identity.nodeId)?.protocols.includes(NAME_PROTOCOL)
            ? true
            : undefined,
        DEADLINE_MS,
        'A knows B serves names',
      );
      const published = await a.names.publisher.publish({ key: 'local:demo/calc#4', agent: 'alpha' }, [
        { path: 'log', hash: HASH(4), size: 40 },
        { path: 'diff', hash: HASH(5), size: 50 },
      ]);
      expect(published.failed).toEqual([]);
      // B took the push: its table holds A's records, no lookup needed
      expect(b.names.table.records('demo~calc:4', 'log')).toHaveLength(1);

      await a.p2p.stop();
      // E never met A: its only peer is a node that serves the DHT but no names
      const e = await start('epsilon', []);
      await r1.dial(e.address);
      await eventually(
        () => (e.p2p.routingTableSize() >= 1 ? true : undefined),
        DEADLINE_MS,
        'a DHT peer for E',
      );
      expect(e.p2p.connectedTo(a.identity.nodeId)).toBe(false);
      expect(e.names.table.records('demo~calc:4', 'log')).toEqual([]);

      const [log] = await eventually(
        async () => {
          const found = await e.names.index.lookup(query('log'));
          return found.length > 0 ? found : undefined;
        },
        DEADLINE_MS * 2,
        'A found through the DHT',
      );
      expect(log).toMatchObject({
        node: a.identity.nodeId,
        nodeName: 'alpha',
        value: HASH(4),
        size: 40,
        roles: ['shell'],
      });
      expect(await e.names.index.lookup({ ...query('diff'), agent: 'alpha' })).toMatchObject([
        { value: HASH(5) },
      ]);
      expect(e.p2p.connectedTo(a.identity.nodeId)).toBe(false);
      // what E found is in its table now
      expect(e.names.table.records('demo~calc:4', 'log')).toHaveLength(1);
    },
  );
});
