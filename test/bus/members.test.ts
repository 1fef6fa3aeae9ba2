/**
 * `BZZZ_CLUSTER_MEMBERS` (issue 14): with a member list, a bus delivers what members sign and
 * refuses, as `not_member`, a well-signed envelope (or batch) from any other node; on the
 * local hub and on libp2p alike, since the check is in the trust boundary every bus shares.
 * On libp2p the refusal is not charged to the peer that relayed it (a node told of a new member
 * before the others relays its messages in good faith). And the config key is validated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus, LocalHub, type Bus, type Delivery } from '../../src/adapters/bus/index.js';
import { createLibp2pBus, P2PNode } from '../../src/adapters/p2p/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { COORDINATION_TOPIC, generateIdentity, type Identity } from '../../src/protocol/index.js';
import { eventually } from '../compliance/bus.js';

const DEADLINE_MS = 25_000;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

interface Member {
  identity: Identity;
  bus: Bus;
  rejected: Map<string, number>;
}

type Make = (identity: Identity, members: string[]) => Promise<Member>;

function beat(identity: Identity, load: number) {
  return {
    type: 'availability_broadcast' as const,
    data: { node: identity.nodeId, status: 'ready' as const, load, maxTasks: 3, tasks: [] },
  };
}

function counter(rejected: Map<string, number>) {
  return (reason: string) => rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
}

/** A member and an outsider each send a beat and a batch of two to a node that lists members. */
async function hearsOnlyMembers(make: Make, connect: (nodes: Member[]) => Promise<void>) {
  const [a, b, x] = [generateIdentity(), generateIdentity(), generateIdentity()];
  const members = [a.nodeId, b.nodeId];
  const member = await make(a, members);
  const receiver = await make(b, members);
  const outsider = await make(x, []);
  const heard: Delivery[] = [];
  receiver.bus.subscribe({ kind: 'coordination' }, (d) => heard.push(d));
  await connect([member, receiver, outsider]);
  outsider.bus.publish({ kind: 'coordination' }, beat(x, 1));
  member.bus.publish({ kind: 'coordination' }, beat(a, 2));
  await new Promise((resolve) => setImmediate(resolve));
  // two in one turn leave as one message_batch
  outsider.bus.publish({ kind: 'coordination' }, beat(x, 3));
  outsider.bus.publish({ kind: 'coordination' }, beat(x, 4));
  member.bus.publish({ kind: 'coordination' }, beat(a, 5));
  member.bus.publish({ kind: 'coordination' }, beat(a, 6));
  await eventually(
    () => heard.length === 3 && receiver.rejected.get('not_member') === 2,
    "the member's three beats heard and the outsider's two envelopes refused",
    DEADLINE_MS,
  );
  expect(heard.map((d) => d.envelope.from)).toEqual([a.nodeId, a.nodeId, a.nodeId]);
  expect(heard.map((d) => (d.envelope.data as { load: number }).load).sort()).toEqual([2, 5, 6]);
  expect([...receiver.rejected.keys()]).toEqual(['not_member']);
  // the outsider, listing no members, hears the member
  return { member, receiver, outsider, x };
}

describe('cluster members on the local hub', () => {
  it('delivers what members sign and refuses the rest as not_member', async () => {
    const hub = new LocalHub();
    const make: Make = (identity, members) => {
      const rejected = new Map<string, number>();
      const bus = createLocalBus(
        hub,
        { cluster: 'm', nodeId: identity.nodeId, privateKey: identity.privateKey, members },
        { clock: systemClock, logger: silentLogger(), rejected: counter(rejected) },
      );
      cleanup.push(() => bus.close());
      return Promise.resolve({ identity, bus, rejected });
    };
    await hearsOnlyMembers(make, () => Promise.resolve());
  });
});

describe('cluster members on libp2p', () => {
  it('refuses an outsider as not_member without charging the peer that sent it', async () => {
    const nodes = new Map<string, P2PNode>();
    const make: Make = async (identity, members) => {
      const p2p = new P2PNode(
        { identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false },
        { logger: silentLogger() },
      );
      await p2p.start();
      const rejected = new Map<string, number>();
      const { bus } = createLibp2pBus(
        { cluster: 'm', nodeId: identity.nodeId, privateKey: identity.privateKey, members },
        { clock: systemClock, logger: silentLogger(), node: p2p, rejected: counter(rejected) },
      );
      cleanup.push(async () => {
        await bus.close();
        await p2p.stop();
      });
      nodes.set(identity.nodeId, p2p);
      return { identity, bus, rejected };
    };
    const connect = async ([member, receiver, outsider]: Member[]) => {
      const at = nodes.get(receiver!.identity.nodeId)!;
      for (const other of [member!, outsider!]) {
        const node = nodes.get(other.identity.nodeId)!;
        await node.dial(at.addresses()[0]!);
        other.bus.subscribe({ kind: 'coordination' }, () => undefined);
      }
      await eventually(
        () =>
          [member!, outsider!].every((o) =>
            nodes.get(o.identity.nodeId)!.topicPeers(COORDINATION_TOPIC).includes(receiver!.identity.nodeId),
          ),
        'the receiver on the coordination topic',
        DEADLINE_MS,
      );
    };
    const { receiver, x } = await hearsOnlyMembers(make, connect);
    const at = nodes.get(receiver.identity.nodeId)!;
    expect(at.invalidMessages(x.nodeId)).toBe(0);
    expect(at.peerScore(x.nodeId)).toBeGreaterThanOrEqual(0);
  });
});

describe('the cluster_members key', () => {
  it('takes node ids, comma-separated, and names itself on anything else', () => {
    const [a, b] = [generateIdentity().nodeId, generateIdentity().nodeId];
    expect(loadConfig({ env: { BZZZ_CLUSTER_MEMBERS: ` ${a}, ${b} ` } }).cluster_members).toEqual([a, b]);
    expect(loadConfig({ env: {} }).cluster_members).toEqual([]);
    expect(() => loadConfig({ env: { BZZZ_CLUSTER_MEMBERS: `${a},nope` } })).toThrow(
      /cluster_members \(BZZZ_CLUSTER_MEMBERS\): not a node id/,
    );
  });
});
