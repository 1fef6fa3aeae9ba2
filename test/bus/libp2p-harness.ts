/**
 * Harness of the bus compliance suite on libp2p: bzzz nodes on loopback (mDNS off), each
 * dialled to every other, and one raw libp2p node (a program outside bzzz) that injects bytes.
 * `inject` resolves once every node that listens where the bytes went has handed them to its
 * bus: the suite's sentinels then prove what was and was not delivered, as over NATS.
 */
import { createLibp2pBus, P2PNode, type Libp2pBus } from '../../src/adapters/p2p/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  COORDINATION_TOPIC,
  decodeTaskKeyToken,
  generateIdentity,
  HMMM_TOPIC,
  TASKS_TOPIC,
  type RejectReason,
} from '../../src/protocol/index.js';
import { eventually, type BusHarness, type BusNode } from '../compliance/bus.js';
import { framed, startRawNode, type RawNode } from '../p2p/raw-node.js';

/** One bzzz node of the harness. */
export interface Libp2pTestNode extends BusNode {
  p2p: P2PNode;
  libp2p: Libp2pBus;
}

const DEADLINE_MS = 25_000;

function counter(): { rejected: Map<RejectReason, number>; count: (reason: RejectReason) => void } {
  const rejected = new Map<RejectReason, number>();
  return { rejected, count: (reason) => rejected.set(reason, (rejected.get(reason) ?? 0) + 1) };
}

/** Where `inject` puts bytes for a subject: a topic (framed for tasks) or one node's stream. */
type Destination = { topic: string; data: Uint8Array } | { node: string; data: Uint8Array };

function destination(cluster: string, subject: string, bytes: Uint8Array): Destination {
  const rest = subject.slice(`bzzz.${cluster}.`.length);
  if (rest === 'coordination') return { topic: COORDINATION_TOPIC, data: bytes };
  if (rest === 'hmmm') return { topic: HMMM_TOPIC, data: bytes };
  if (rest.startsWith('hmmm.task.')) {
    const key = decodeTaskKeyToken(rest.slice('hmmm.task.'.length));
    return { topic: TASKS_TOPIC, data: framed(key, bytes) };
  }
  const [, node, ...path] = rest.split('.');
  return { node: node!, data: framed(path.join('.'), bytes) };
}

export async function libp2pHarness(
  cluster = 'test',
): Promise<BusHarness & { nodes: Libp2pTestNode[]; raw: RawNode }> {
  const raw = await startRawNode();
  const nodes: Libp2pTestNode[] = [];
  const node = async (options: { sign?: boolean; identity?: ReturnType<typeof generateIdentity> } = {}) => {
    const identity = options.identity ?? generateIdentity();
    const { rejected, count } = counter();
    const logger = silentLogger();
    const p2p = new P2PNode({ identity, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, { logger });
    await p2p.start();
    const libp2p = createLibp2pBus(
      { cluster, nodeId: identity.nodeId, privateKey: options.sign === false ? null : identity.privateKey },
      { clock: systemClock, logger, rejected: count, node: p2p },
    );
    for (const other of nodes) await p2p.dial(other.p2p.addresses()[0]!);
    await p2p.dial(raw.addresses()[0]!);
    const made: Libp2pTestNode = { bus: libp2p.bus, identity, rejected, p2p, libp2p };
    nodes.push(made);
    return made;
  };
  const live = () => nodes.filter((n) => n.p2p.running && n.bus.status() !== 'closed');
  return {
    cluster,
    nodes,
    raw,
    node,
    settle: async () => {
      // every node (and the raw one) knows every other node's topics: a publication reaches all
      await eventually(
        () =>
          live().every((n) =>
            n.libp2p.topics().every((topic) =>
              [
                ...live()
                  .filter((o) => o !== n)
                  .map((o) => o.p2p.topicPeers(topic)),
                raw.subscribers(topic),
              ].every((peers) => peers.includes(n.identity.nodeId)),
            ),
          ),
        'subscriptions known everywhere',
        DEADLINE_MS,
      );
    },
    inject: async (subject, input) => {
      const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
      const target = destination(cluster, subject, bytes);
      const listeners =
        'topic' in target
          ? live().filter((n) => n.libp2p.topics().includes(target.topic))
          : live().filter((n) => n.identity.nodeId === target.node);
      const before = listeners.map((n) => n.libp2p.received());
      if ('topic' in target) await raw.publish(target.topic, target.data);
      else await raw.sendActorStream(target.node, { frames: [target.data] });
      await eventually(
        () => listeners.every((n, i) => n.libp2p.received() > before[i]!),
        `injected bytes handed to ${listeners.length} bus(es)`,
        DEADLINE_MS,
      );
    },
    close: async () => {
      for (const n of nodes) await n.bus.close();
      for (const n of nodes) await n.p2p.stop();
      await raw.stop();
    },
  };
}
