/**
 * The relay keeper on loopback: a node given a relay that is down still starts, reserves a
 * slot once the relay is up, and reserves again after the relay restarts. A node whose relay
 * list names itself skips that entry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { P2PNode } from '../../src/adapters/p2p/index.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateIdentity } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';

const DEADLINE_MS = 60_000;
const started: P2PNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop()));
});

function node(init: { listen: string[]; relay?: string[] }, identity = generateIdentity()): P2PNode {
  const p2p = new P2PNode({ identity, mdns: false, ...init }, { logger: silentLogger() });
  started.push(p2p);
  return p2p;
}

describe('the relay keeper', () => {
  it(
    'starts while its relay is down, reserves once it is up, and again after it restarts',
    { timeout: 180_000 },
    async () => {
      const relayIdentity = generateIdentity();
      // find a free port: the relay listens there, stops, and comes back on it later
      const probe = node({ listen: ['/ip4/127.0.0.1/tcp/0'] }, relayIdentity);
      await probe.start();
      const relayAddress = probe.addresses()[0]!;
      await probe.stop();
      const port = /\/tcp\/(\d+)\//.exec(relayAddress)![1]!;

      const client = node({ listen: ['/ip4/127.0.0.1/tcp/0'], relay: [relayAddress] });
      await client.start();
      expect(client.natStatus().relays).toEqual([]);

      const relay = node({ listen: [`/ip4/127.0.0.1/tcp/${port}`], relay: [relayAddress] }, relayIdentity);
      await relay.start();
      const reserved = async (): Promise<true | undefined> =>
        client.natStatus().relays.includes(relay.nodeId) ? true : undefined;
      await eventually(reserved, DEADLINE_MS, 'a reservation once the relay is up');
      expect(
        client.addresses().some((a) => a.includes(`/p2p/${relay.nodeId}/p2p-circuit/p2p/${client.nodeId}`)),
      ).toBe(true);
      // the relay finds itself in its list and reserves nowhere
      expect(relay.natStatus().relays).toEqual([]);

      await relay.stop();
      await eventually(
        async () => (client.natStatus().relays.length === 0 ? true : undefined),
        DEADLINE_MS,
        'the reservation is gone with the relay',
      );
      await relay.start();
      await eventually(reserved, DEADLINE_MS, 'a reservation again after the relay restarted');
    },
  );
});
