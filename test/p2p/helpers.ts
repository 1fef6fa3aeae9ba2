/** bzzz libp2p nodes for the P2P tests: a node, its bus, and what the bus counted. */
import { createLibp2pBus, P2PNode, type Libp2pBus, type P2PInit } from '../../src/adapters/p2p/index.js';
import type { Bus } from '../../src/adapters/bus/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateIdentity, type Identity, type RejectReason } from '../../src/protocol/index.js';

/** Generous deadline for anything crossing loopback (about 5x what it takes on a loaded CI box). */
export const DEADLINE_MS = 25_000;

export interface TestNode {
  identity: Identity;
  p2p: P2PNode;
  libp2p: Libp2pBus;
  bus: Bus;
  rejected: Map<RejectReason, number>;
  stop(): Promise<void>;
}

/** A started bzzz node on loopback with mDNS off, and a bus on it. */
export async function startNode(
  options: Partial<Omit<P2PInit, 'identity'>> & { identity?: Identity; cluster?: string } = {},
): Promise<TestNode> {
  const { identity = generateIdentity(), cluster = 'p2p', ...init } = options;
  const logger = silentLogger();
  const p2p = new P2PNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, ...init, identity }, { logger });
  await p2p.start();
  const rejected = new Map<RejectReason, number>();
  const libp2p = createLibp2pBus(
    { cluster, nodeId: identity.nodeId, privateKey: identity.privateKey },
    {
      clock: systemClock,
      logger,
      node: p2p,
      rejected: (reason) => rejected.set(reason, (rejected.get(reason) ?? 0) + 1),
    },
  );
  return {
    identity,
    p2p,
    libp2p,
    bus: libp2p.bus,
    rejected,
    stop: async () => {
      await libp2p.bus.close();
      await p2p.stop();
    },
  };
}

/** The total count of rejections of a node. */
export function rejections(node: TestNode): number {
  return [...node.rejected.values()].reduce((a, b) => a + b, 0);
}
