/**
 * The NATS bus against a real nats-server: the compliance suite, the micro service, a server
 * killed and restarted under running nodes (not connected, then connected again, with every
 * subscription exactly once), and 100,000 random and mutated envelopes into a live subscriber.
 */
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REJECT_REASONS,
  coordinationSubject,
  generateIdentity,
  type RejectReason,
} from '../../src/protocol/index.js';
import type { Delivery } from '../../src/adapters/bus/index.js';
import { busCompliance, eventually } from '../compliance/bus.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { natsHarness, startNatsNode, type NatsNode } from './harness.js';
import { mutatedEnvelopes } from './mutations.js';

let server: NatsServerHandle;
let cluster = 0;
const freshCluster = (): string => `t${++cluster}`;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

busCompliance('nats', () => natsHarness(server.url, freshCluster()));

describe('NATS connection actor', () => {
  it('registers the bzzz micro service with status, peers and tasks answered from callbacks', async () => {
    const name = freshCluster();
    const nodes: NatsNode[] = [];
    for (const n of ['one', 'two']) {
      nodes.push(
        await startNatsNode(server.url, name, {
          service: {
            name: n,
            version: '0.1.0',
            status: () => ({ node: n }),
            peers: () => [n],
            tasks: () => {
              throw new Error('no tasks here');
            },
          },
        }),
      );
    }
    const nc = await connect({ servers: server.url });
    try {
      const answers: unknown[] = [];
      for await (const msg of await nc.requestMany(`bzzz.${name}.status`, '', {
        strategy: 'count',
        maxMessages: 2,
        maxWait: 3000,
      }))
        answers.push(msg.json());
      expect(answers).toHaveLength(2);
      expect(answers).toEqual(expect.arrayContaining([{ node: 'one' }, { node: 'two' }]));
      expect((await nc.request(`bzzz.${name}.peers`, '', { timeout: 3000 })).json()).toHaveLength(1);
      const failed = await nc.request(`bzzz.${name}.tasks`, '', { timeout: 3000 });
      expect(failed.headers?.get('Nats-Service-Error-Code')).toBe('500');
      // `nats micro ls`: the discovery subject lists both instances
      const infos: { name: string; metadata: Record<string, string> }[] = [];
      for await (const msg of await nc.requestMany('$SRV.INFO.bzzz', '', {
        strategy: 'stall',
        maxWait: 3000,
        stall: 300,
      })) {
        const info = msg.json<{ name: string; metadata: Record<string, string> }>();
        if (info.metadata.cluster === name) infos.push(info);
      }
      expect(infos.map((i) => i.metadata.name).sort()).toEqual(['one', 'two']);
    } finally {
      await nc.close();
      for (const node of nodes) await node.running.stop();
    }
  });

  it('goes not connected when the server dies and back when it returns, subscriptions exactly once', async () => {
    const name = freshCluster();
    const a = await startNatsNode(server.url, name);
    const b = await startNatsNode(server.url, name);
    const statuses: string[] = [];
    b.bus.onStatus((s) => statuses.push(s));
    const loads: number[] = [];
    const record = ({ envelope }: Delivery): void =>
      void loads.push((envelope.data as { load: number }).load);
    b.bus.subscribe({ kind: 'coordination' }, record);
    b.bus.subscribe({ kind: 'coordination' }, record);
    b.bus.subscribe({ kind: 'hmmm' }, record);
    const beat = (load: number) => ({
      type: 'availability_broadcast' as const,
      data: { node: a.identity.nodeId, status: 'ready' as const, load, maxTasks: 3, tasks: [] },
    });
    try {
      expect(b.nats.liveSubscriptions()).toBe(2);
      await server.kill();
      await eventually(() => !a.bus.connected() && !b.bus.connected(), 'both nodes disconnected');
      expect(b.bus.status()).toBe('disconnected');
      await server.restart();
      await eventually(() => a.bus.connected() && b.bus.connected(), 'both nodes reconnected', 15_000);
      expect(statuses).toEqual(['disconnected', 'connected']);
      // the client restores subscriptions on its own: the same connection, nothing added
      expect(a.nats.connections).toBe(1);
      expect(b.nats.liveSubscriptions()).toBe(2);
      // interest may take a moment to propagate after the reconnect: beat until one lands
      let load = 0;
      await eventually(() => {
        a.bus.publish({ kind: 'coordination' }, beat(++load));
        return loads.length > 0;
      }, 'delivery after reconnect');
      for (let i = 0; i < 50; i++) a.bus.publish({ kind: 'coordination' }, beat(1000 + i));
      a.bus.publish({ kind: 'coordination' }, beat(9999));
      await eventually(() => loads.filter((l) => l === 9999).length === 2, 'fifty beats and a sentinel');
      // two handlers on coordination, each called exactly once per message: no duplicate subscription
      for (let i = 0; i < 50; i++)
        expect(
          loads.filter((l) => l === 1000 + i),
          `beat ${i}`,
        ).toHaveLength(2);
    } finally {
      await a.running.stop();
      await b.running.stop();
    }
    expect(b.bus.connected()).toBe(false);
    expect(b.nats.liveSubscriptions()).toBe(0);
  });

  it('starts while the server is down and connects once it is up', async () => {
    const down = await startNatsServer();
    const url = down.url;
    await down.kill();
    const identity = generateIdentity();
    const pending = startNatsNode(url, freshCluster(), { identity });
    let resolved = false;
    void pending.then(() => (resolved = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resolved).toBe(false);
    await down.restart();
    const node = await pending;
    expect(node.bus.connected()).toBe(true);
    await node.running.stop();
    await down.stop();
  });
});

describe('hostile input into a live NATS subscriber', () => {
  it('survives 100,000 random and mutated envelopes, counting every one by reason', async () => {
    const name = freshCluster();
    const sender = generateIdentity();
    const node = await startNatsNode(server.url, name);
    let delivered = 0;
    node.bus.subscribe({ kind: 'coordination' }, () => delivered++);
    const nc = await connect({ servers: server.url });
    const subject = coordinationSubject(name);
    const { inputs, genuine, batchExtra } = mutatedEnvelopes(100_000, sender, node.identity, 0x5eed);
    try {
      const total = (): number => delivered + [...node.rejected.values()].reduce((s, n) => s + n, 0);
      await node.nats.flush();
      for (let i = 0; i < inputs.length; i++) {
        nc.publish(subject, inputs[i]);
        // keep the subscriber within reach, so the server never drops it as a slow consumer
        if (i % 2000 === 1999)
          await eventually(() => total() >= i - 4000, 'the subscriber to catch up', 30_000);
      }
      await nc.flush();
      // every input is delivered or rejected once, except that a genuine batch delivers each of
      // its messages
      const outcomes = inputs.length + batchExtra;
      await eventually(() => total() >= outcomes, 'every input classified', 60_000);
      expect(total()).toBe(outcomes);
      expect(batchExtra).toBeGreaterThan(0);
      expect(delivered).toBe(genuine);
      for (const reason of node.rejected.keys()) expect(REJECT_REASONS).toContain(reason);
      const reasons = new Set<RejectReason>(node.rejected.keys());
      for (const r of [
        'bad_json',
        'schema',
        'too_deep',
        'too_large',
        'bad_signature',
        'replayed',
        'bad_data',
        'bad_sender',
      ] as const)
        expect(reasons, r).toContain(r);
      expect(node.bus.connected()).toBe(true);
    } finally {
      await nc.close();
      await node.running.stop();
    }
  });
});
