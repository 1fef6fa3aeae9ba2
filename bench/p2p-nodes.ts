/**
 * Nodes of the p2p benchmarks: three actor systems on the libp2p bus (a `P2PNode` each, on
 * loopback, mDNS off, one swarm key, joined by bootstrap), or three on the NATS bus of one
 * nats-server, built the same way (the envelope bus, `bindRemote`, the same cluster name and
 * signing). Every piece with a lifetime is stopped by `close()`, which the benchmarks call in
 * `finally`.
 */
import { bindRemote } from '../src/actors/remote.js';
import { serviceSpec } from '../src/actors/service.js';
import { ActorSystem } from '../src/actors/system.js';
import { createNatsBus, type Bus } from '../src/adapters/bus/index.js';
import { createNatsConnector } from '../src/adapters/nats/index.js';
import { createLibp2pBus, generateSwarmKey, P2PNode } from '../src/adapters/p2p/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { COORDINATION_TOPIC, generateIdentity, type Identity } from '../src/protocol/index.js';

/** Far above what joining three nodes on loopback takes, even on a loaded host. */
const JOIN_DEADLINE_MS = 30_000;

export interface BenchNode {
  readonly nodeId: string;
  readonly system: ActorSystem;
  readonly bus: Bus;
}

export interface Trio {
  readonly nodes: readonly BenchNode[];
  close(): Promise<void>;
}

/** Waits for `check` to hold, polling; throws `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = JOIN_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An actor system on `bus`, remote routing bound; its closer unbinds and closes the bus. */
function systemOn(identity: Identity, bus: Bus): { node: BenchNode; unbind: () => Promise<void> } {
  const logger = silentLogger();
  const system = new ActorSystem({ nodeId: identity.nodeId, mailboxCapacity: 100_000 }, { logger });
  const binding = bindRemote(system, bus, { logger });
  return {
    node: { nodeId: identity.nodeId, system, bus },
    unbind: async () => {
      binding.close();
      system.close();
      await bus.close();
    },
  };
}

/** Runs the closers one after another, all of them even when one fails; rethrows the first. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of [...closers].reverse()) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'closing benchmark nodes failed');
}

/** Three nodes on the libp2p bus, each connected to the two others and seeing them on the coordination topic. */
export async function startP2PTrio(signed: boolean): Promise<Trio> {
  const psk = generateSwarmKey();
  const logger = silentLogger();
  const closers: (() => Promise<void>)[] = [];
  const nodes: BenchNode[] = [];
  const p2ps: P2PNode[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const identity = generateIdentity();
      const p2p = new P2PNode(
        {
          identity,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          bootstrap: p2ps.map((earlier) => earlier.addresses()[0]!),
          mdns: false,
          psk,
        },
        { logger },
      );
      const running = await serviceSpec('p2p', () => p2p.open()).start({
        path: 'p2p',
        system: new ActorSystem({ nodeId: identity.nodeId }, { logger }),
        clock: systemClock,
        logger,
      });
      closers.push(() => running.stop());
      p2ps.push(p2p);
      const bus = createLibp2pBus(
        { cluster: 'bench', nodeId: identity.nodeId, privateKey: signed ? identity.privateKey : null },
        { clock: systemClock, logger, node: p2p },
      ).bus;
      const { node, unbind } = systemOn(identity, bus);
      closers.push(unbind);
      nodes.push(node);
    }
    // bindRemote joined the coordination topic; each must know the others joined it too
    await until('three libp2p nodes connected and on the coordination topic', () =>
      p2ps.every((p) =>
        p2ps.every(
          (q) => p === q || (p.connectedTo(q.nodeId) && p.topicPeers(COORDINATION_TOPIC).includes(q.nodeId)),
        ),
      ),
    );
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
  return { nodes, close: () => closeAll(closers) };
}

/** Three nodes on the NATS bus of the nats-server at `url`. */
export async function startNatsTrio(url: string, signed: boolean): Promise<Trio> {
  const logger = silentLogger();
  const closers: (() => Promise<void>)[] = [];
  const nodes: BenchNode[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const identity = generateIdentity();
      const connector = createNatsConnector({ servers: url }, { clock: systemClock, logger });
      const nats = createNatsBus(
        { cluster: 'bench', nodeId: identity.nodeId, privateKey: signed ? identity.privateKey : null },
        { clock: systemClock, logger, connector },
      );
      const running = await serviceSpec('nats', () => connector.open()).start({
        path: 'nats',
        system: new ActorSystem({ nodeId: identity.nodeId }, { logger }),
        clock: systemClock,
        logger,
      });
      closers.push(() => running.stop());
      await until('the NATS bus connected', () => nats.bus.connected());
      const { node, unbind } = systemOn(identity, nats.bus);
      closers.push(unbind);
      await nats.flush();
      nodes.push(node);
    }
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
  return { nodes, close: () => closeAll(closers) };
}
