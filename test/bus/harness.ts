/** Harnesses of the bus compliance suite: the local hub, and buses on a real nats-server. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ActorSystem } from '../../src/actors/system.js';
import { serviceSpec } from '../../src/actors/service.js';
import { createLocalBus, createNatsBus, LocalHub, type NatsBus } from '../../src/adapters/bus/index.js';
import {
  createNatsConnector,
  openMicroService,
  type NatsServiceHandlers,
} from '../../src/adapters/nats/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { generateIdentity, type Identity, type RejectReason } from '../../src/protocol/index.js';
import type { RunningChild } from '../../src/supervisor/child.js';
import { eventually, type BusHarness, type BusNode } from '../compliance/bus.js';

function counter(): { rejected: Map<RejectReason, number>; count: (reason: RejectReason) => void } {
  const rejected = new Map<RejectReason, number>();
  return { rejected, count: (reason) => rejected.set(reason, (rejected.get(reason) ?? 0) + 1) };
}

/** Several nodes on one in-memory hub. */
export function localHarness(cluster = 'test'): BusHarness & { hub: LocalHub } {
  const hub = new LocalHub();
  const buses: BusNode[] = [];
  return {
    cluster,
    hub,
    node: (options = {}) => {
      const identity = options.identity ?? generateIdentity();
      const { rejected, count } = counter();
      const bus = createLocalBus(
        hub,
        { cluster, nodeId: identity.nodeId, privateKey: options.sign === false ? null : identity.privateKey },
        { clock: systemClock, logger: silentLogger(), rejected: count },
      );
      const node = { bus, identity, rejected };
      buses.push(node);
      return Promise.resolve(node);
    },
    inject: (subject, bytes) => {
      hub.inject(subject, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
      return Promise.resolve();
    },
    settle: () => Promise.resolve(),
    close: async () => {
      for (const node of buses) await node.bus.close();
    },
  };
}

/** A NATS bus with its connection actor started outside a tree (as a supervisor would). */
export interface NatsNode extends BusNode {
  nats: NatsBus;
  running: RunningChild;
  system: ActorSystem;
}

export async function startNatsNode(
  url: string,
  cluster: string,
  options: {
    sign?: boolean;
    identity?: Identity;
    service?: NatsServiceHandlers;
  } = {},
): Promise<NatsNode> {
  const identity = options.identity ?? generateIdentity();
  const { rejected, count } = counter();
  const logger = silentLogger();
  const connector = createNatsConnector(
    { servers: url, reconnectTimeWaitMs: 100, maxConnectDelayMs: 200 },
    { clock: systemClock, logger },
  );
  const nats = createNatsBus(
    { cluster, nodeId: identity.nodeId, privateKey: options.sign === false ? null : identity.privateKey },
    { clock: systemClock, logger, rejected: count, connector },
  );
  const system = new ActorSystem({ nodeId: identity.nodeId });
  const ctx = { system, clock: systemClock, logger };
  const connection = await serviceSpec('nats', () => connector.open()).start({ ...ctx, path: 'nats' });
  const handlers = options.service;
  const micro =
    handlers === undefined
      ? undefined
      : await serviceSpec('micro', () =>
          openMicroService(connector, { cluster, nodeId: identity.nodeId }, handlers, logger),
        ).start({ ...ctx, path: 'micro' });
  // as a supervisor would: the later child (the micro service) stops first
  const running: RunningChild = {
    stop: async () => {
      await micro?.stop();
      await connection.stop();
    },
    kill: () => {
      micro?.kill();
      connection.kill();
    },
    onExit: (listener) => connection.onExit(listener),
  };
  await eventually(() => nats.bus.connected(), 'NATS connection');
  return { bus: nats.bus, identity, rejected, nats, running, system };
}

/** Several nodes on one nats-server, each with its own connection. */
export async function natsHarness(url: string, cluster: string): Promise<BusHarness> {
  const nodes: NatsNode[] = [];
  const raw: NatsConnection = await connect({ servers: url });
  return {
    cluster,
    node: async (options = {}) => {
      const node = await startNatsNode(url, cluster, options);
      nodes.push(node);
      return node;
    },
    inject: async (subject, bytes) => {
      raw.publish(subject, bytes);
      await raw.flush();
    },
    settle: async () => {
      for (const node of nodes) await node.nats.flush();
    },
    close: async () => {
      for (const node of nodes) {
        await node.running.stop();
        await node.bus.close();
      }
      await raw.close();
    },
  };
}
