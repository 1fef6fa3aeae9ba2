/**
 * Compliance suite of the bus port (SPEC §7): broadcasts on the coordination, HMMM and task
 * channels, actor mailboxes and request/reply, signed and unsigned modes, and the trust rules
 * on receipt (garbage, forgeries, replays, a node speaking for another) counted by reason. It
 * runs unchanged against the local hub and a real nats-server.
 *
 * "Not delivered" is proven without sleeping: the same sender publishes a sentinel after the
 * message in question, and delivery is in order per sender, so once the sentinel is in, the
 * earlier message would have been too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, Delivery } from '../../src/adapters/bus/index.js';
import {
  actorSubject,
  coordinationSubject,
  createEnvelope,
  formatAddress,
  sealEnvelope,
  type Identity,
  type RejectReason,
} from '../../src/protocol/index.js';

/** One node on the medium under test. */
export interface BusNode {
  bus: Bus & { readonly subscriptionCount: number };
  identity: Identity;
  /** Rejections counted by this node's bus, by reason. */
  rejected: Map<RejectReason, number>;
}

/** What a test file provides for one implementation. */
export interface BusHarness {
  readonly cluster: string;
  /** A new node with its own identity; `sign: false` is the unsigned mode. */
  node(options?: { sign?: boolean; identity?: Identity }): Promise<BusNode>;
  /** Publishes raw bytes on a subject, as a program outside bzzz could. */
  inject(subject: string, bytes: Uint8Array | string): Promise<void>;
  /** Resolves once every node's subscriptions are in force (NATS: a flush per connection). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Polls `check` until it holds (real time: messages cross a network). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function collect(bus: Bus, pattern: Parameters<Bus['subscribe']>[0]): Delivery[] {
  const got: Delivery[] = [];
  bus.subscribe(pattern, (d) => got.push(d));
  return got;
}

function availability(node: BusNode, load = 0) {
  return {
    type: 'availability_broadcast' as const,
    data: { node: node.identity.nodeId, status: 'ready' as const, load, maxTasks: 3, tasks: [] },
  };
}

function count(node: BusNode, reason: RejectReason): number {
  return node.rejected.get(reason) ?? 0;
}

export function busCompliance(name: string, factory: () => Promise<BusHarness>): void {
  describe(`bus compliance: ${name}`, () => {
    let h: BusHarness;
    let a: BusNode;
    let b: BusNode;
    let c: BusNode;

    beforeEach(async () => {
      h = await factory();
      [a, b, c] = [await h.node(), await h.node(), await h.node()];
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers a coordination broadcast, signed by its sender, to every other node', async () => {
      const atB = collect(b.bus, { kind: 'coordination' });
      const atC = collect(c.bus, { kind: 'coordination' });
      const atA = collect(a.bus, { kind: 'coordination' });
      await h.settle();
      expect(a.bus.publish({ kind: 'coordination' }, availability(a, 2))).toBe(true);
      await eventually(() => atB.length === 1 && atC.length === 1, 'both receivers');
      const { envelope, channel } = atB[0]!;
      expect(channel).toEqual({ kind: 'coordination' });
      expect(envelope.type).toBe('availability_broadcast');
      expect(envelope.from).toBe(a.identity.nodeId);
      expect(envelope.sig).not.toBe('');
      expect(envelope.data).toMatchObject({ load: 2 });
      // the sender does not hear itself: its own process delivers locally
      b.bus.publish({ kind: 'coordination' }, availability(b));
      await eventually(() => atA.length === 1, 'a sentinel from b');
      expect(atA.map((d) => d.envelope.from)).toEqual([b.identity.nodeId]);
    });

    it('keeps the HMMM channel and each task channel apart', async () => {
      const one = collect(b.bus, { kind: 'task', task: 'local:demo/app#1' });
      const all = collect(b.bus, { kind: 'tasks' });
      const hmmm = collect(b.bus, { kind: 'hmmm' });
      const post = (task: string, text: string) => ({
        type: 'meta_discussion' as const,
        data: { thread: 't1', task, text },
      });
      await h.settle();
      a.bus.publish({ kind: 'task', task: 'local:demo/app#2' }, post('local:demo/app#2', 'two'));
      a.bus.publish({ kind: 'task', task: 'local:demo/app#1' }, post('local:demo/app#1', 'one'));
      a.bus.publish({ kind: 'hmmm' }, post('local:demo/app#1', 'general'));
      await eventually(() => hmmm.length === 1 && all.length === 2, 'hmmm and task posts');
      expect(one.map((d) => (d.envelope.data as { text: string }).text)).toEqual(['one']);
      expect(all.map((d) => d.channel)).toEqual([
        { kind: 'task', task: 'local:demo/app#2' },
        { kind: 'task', task: 'local:demo/app#1' },
      ]);
      expect(b.bus.subscriptionCount).toBe(2); // the task channels share one subscription
    });

    it('carries actor mailbox traffic to the addressed node only, with request and reply', async () => {
      const target = { node: b.identity.nodeId, path: ['work', 'tasks', 'local:demo/app#3'] };
      const replyTo = { node: a.identity.nodeId, path: ['$ask', 'a1'] };
      const atB = collect(b.bus, { kind: 'mailbox' });
      const atC = collect(c.bus, { kind: 'mailbox' });
      const atA = collect(a.bus, { kind: 'mailbox' });
      b.bus.subscribe({ kind: 'mailbox' }, ({ envelope }) => {
        if (envelope.type !== 'actor_message' || envelope.data.replyTo === undefined) return;
        b.bus.publish(
          { kind: 'actor', address: replyTo },
          {
            type: 'actor_reply',
            to: envelope.data.replyTo,
            data: { corr: envelope.data.corr!, ok: true, payload: { answer: 42 } },
          },
        );
      });
      await h.settle();
      a.bus.publish(
        { kind: 'actor', address: target },
        {
          type: 'actor_message',
          to: formatAddress(target),
          data: {
            to: formatAddress(target),
            type: 'task.question',
            payload: { q: 'life' },
            replyTo: formatAddress(replyTo),
            corr: 'a1',
          },
        },
      );
      await eventually(() => atA.length === 1, 'the reply');
      expect(atB).toHaveLength(1);
      expect(atB[0]!.channel).toEqual({ kind: 'actor', address: target });
      expect(atA[0]!.envelope).toMatchObject({
        type: 'actor_reply',
        data: { corr: 'a1', ok: true, payload: { answer: 42 } },
      });
      const toC = { node: c.identity.nodeId, path: ['sentinel'] };
      a.bus.publish(
        { kind: 'actor', address: toC },
        {
          type: 'actor_message',
          to: formatAddress(toC),
          data: { to: formatAddress(toC), type: 'ping', payload: null },
        },
      );
      await eventually(() => atC.length === 1, 'sentinel at c');
      expect(atC.map((d) => (d.envelope.data as { type: string }).type)).toEqual(['ping']);
    });

    it('works unsigned between unsigned nodes, and a signing node refuses unsigned messages', async () => {
      const u1 = await h.node({ sign: false });
      const u2 = await h.node({ sign: false });
      const atU2 = collect(u2.bus, { kind: 'coordination' });
      const atB = collect(b.bus, { kind: 'coordination' });
      await h.settle();
      u1.bus.publish({ kind: 'coordination' }, availability(u1));
      await eventually(() => atU2.length === 1 && count(b, 'bad_signature') === 1, 'unsigned delivery');
      expect(atU2[0]!.envelope.sig).toBe('');
      expect(atB).toHaveLength(0);
    });

    it('drops garbage, forgeries, replays and impersonation, counting each by reason', async () => {
      const got = collect(b.bus, { kind: 'coordination' });
      const subject = coordinationSubject(h.cluster);
      await h.settle();
      await h.inject(subject, '{"v":1,');
      await h.inject(subject, '[1,2,3]');
      await h.inject(subject, JSON.stringify({ v: 9, id: 'x' }));
      await h.inject(subject, `{"v":1,"data":${'['.repeat(100)}${']'.repeat(100)}}`);
      // signed by a, claiming to be from c
      const forged = createEnvelope({ ...availability(c), from: c.identity.nodeId });
      await h.inject(subject, sealEnvelope(forged, a.identity.privateKey).bytes);
      // a genuine message, twice
      const genuine = sealEnvelope(
        createEnvelope({ ...availability(a), from: a.identity.nodeId }),
        a.identity.privateKey,
      );
      await h.inject(subject, genuine.bytes);
      await h.inject(subject, genuine.bytes);
      // a heartbeat of c sent by a
      const impersonation = createEnvelope({ ...availability(c), from: a.identity.nodeId });
      await h.inject(subject, sealEnvelope(impersonation, a.identity.privateKey).bytes);
      // claims to be from b itself
      const fromSelf = createEnvelope({ ...availability(b), from: b.identity.nodeId });
      await h.inject(subject, sealEnvelope(fromSelf, b.identity.privateKey).bytes);
      const sentinel = availability(a, 7);
      a.bus.publish({ kind: 'coordination' }, sentinel);
      await eventually(() => got.length === 2, 'the genuine message and the sentinel');
      expect(got.map((d) => (d.envelope.data as { load: number }).load)).toEqual([0, 7]);
      expect(Object.fromEntries(b.rejected)).toEqual({
        bad_json: 1,
        schema: 1,
        unsupported_version: 1,
        too_deep: 1,
        bad_signature: 1,
        replayed: 1,
        bad_sender: 1,
        from_self: 1,
      });
    });

    it('refuses mailbox types on broadcast channels and broadcasts on a mailbox', async () => {
      const mailbox = collect(b.bus, { kind: 'mailbox' });
      const broadcasts = collect(b.bus, { kind: 'coordination' });
      const address = { node: b.identity.nodeId, path: ['x'] };
      await h.settle();
      const { bytes } = sealEnvelope(
        createEnvelope({ ...availability(a), from: a.identity.nodeId }),
        a.identity.privateKey,
      );
      await h.inject(actorSubject(h.cluster, address), bytes);
      const reply = createEnvelope({
        type: 'actor_reply',
        from: a.identity.nodeId,
        to: formatAddress(address),
        data: { corr: 'c1', ok: true, payload: 1 },
      });
      await h.inject(coordinationSubject(h.cluster), sealEnvelope(reply, a.identity.privateKey).bytes);
      // for another node, delivered on b's subject
      const elsewhere = { node: c.identity.nodeId, path: ['x'] };
      const misrouted = createEnvelope({
        type: 'actor_message',
        from: a.identity.nodeId,
        data: { to: formatAddress(elsewhere), type: 'ping', payload: null },
      });
      await h.inject(actorSubject(h.cluster, address), sealEnvelope(misrouted, a.identity.privateKey).bytes);
      a.bus.publish(
        { kind: 'actor', address },
        {
          type: 'actor_message',
          data: { to: formatAddress(address), type: 'sentinel', payload: null },
        },
      );
      await eventually(() => mailbox.length === 1, 'sentinel');
      expect(Object.fromEntries(b.rejected)).toEqual({ unknown_type: 2, bad_data: 1 });
      expect(broadcasts).toHaveLength(0);
      expect(count(b, 'bad_data')).toBe(1);
    });

    it('isolates a failing handler and stops delivering after unsubscribe', async () => {
      const got: number[] = [];
      b.bus.subscribe({ kind: 'coordination' }, () => {
        throw new Error('handler bug');
      });
      const second = b.bus.subscribe({ kind: 'coordination' }, (d) =>
        got.push((d.envelope.data as { load: number }).load),
      );
      const third: number[] = [];
      b.bus.subscribe({ kind: 'coordination' }, (d) =>
        third.push((d.envelope.data as { load: number }).load),
      );
      await h.settle();
      a.bus.publish({ kind: 'coordination' }, availability(a, 1));
      await eventually(() => got.length === 1 && third.length === 1, 'first message');
      second.unsubscribe();
      second.unsubscribe();
      a.bus.publish({ kind: 'coordination' }, availability(a, 2));
      await eventually(() => third.length === 2, 'second message');
      expect(got).toEqual([1]);
      expect(b.bus.subscriptionCount).toBe(1);
    });

    it('refuses to send invalid data and sends nothing once closed', async () => {
      expect(() =>
        a.bus.publish(
          { kind: 'coordination' },
          {
            type: 'availability_broadcast',
            data: { node: a.identity.nodeId, status: 'asleep', load: -1, maxTasks: 3, tasks: [] } as never,
          },
        ),
      ).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }) as Error);
      await a.bus.close();
      await a.bus.close();
      expect(a.bus.connected()).toBe(false);
      expect(a.bus.status()).toBe('closed');
      expect(a.bus.publish({ kind: 'coordination' }, availability(a))).toBe(false);
    });
  });
}
