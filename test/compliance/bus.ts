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
  MAX_BATCH,
  MAX_PAYLOAD_DEPTH,
  sealEnvelope,
  signEnvelope,
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

    it('delivers a burst of broadcasts each as itself, in publish order across channels', async () => {
      const seen: string[] = [];
      const record = ({ envelope, channel }: Delivery): void => {
        const data = envelope.data as { load?: number; text?: string };
        seen.push(`${channel.kind}:${envelope.type}:${data.load ?? data.text ?? ''}`);
      };
      b.bus.subscribe({ kind: 'coordination' }, record);
      b.bus.subscribe({ kind: 'hmmm' }, record);
      await h.settle();
      const expected: string[] = [];
      // more than one batch's worth, with a message on another channel in the middle
      const burst = MAX_BATCH + 44;
      for (let i = 0; i < burst; i++) {
        a.bus.publish({ kind: 'coordination' }, availability(a, i));
        expected.push(`coordination:availability_broadcast:${i}`);
        if (i === 100) {
          a.bus.publish({ kind: 'hmmm' }, { type: 'meta_discussion', data: { thread: 't', text: 'mid' } });
          expected.push('hmmm:meta_discussion:mid');
        }
      }
      await eventually(() => seen.length === expected.length, 'the whole burst');
      expect(seen).toEqual(expected);
      expect(Object.fromEntries(b.rejected)).toEqual({});
    });

    it('sends a burst when it closes, and a payload as deep as allowed inside a batch', async () => {
      const got: unknown[] = [];
      b.bus.subscribe({ kind: 'hmmm' }, ({ envelope }) => got.push(envelope.data));
      await h.settle();
      let deep: unknown = 'bottom';
      for (let i = 1; i < MAX_PAYLOAD_DEPTH; i++) deep = [deep];
      const wrapped = (payload: unknown) => ({
        type: 'topic_message' as const,
        data: { type: 'note', payload: { deep: payload } as never },
      });
      a.bus.publish({ kind: 'hmmm' }, wrapped(deep));
      a.bus.publish({ kind: 'hmmm' }, wrapped(1));
      expect(() => a.bus.publish({ kind: 'hmmm' }, wrapped([deep]))).toThrow(
        expect.objectContaining({ name: 'InvalidMessageError' }) as Error,
      );
      await a.bus.close();
      await eventually(() => got.length === 2, 'both messages');
      expect(got).toEqual([wrapped(deep).data, wrapped(1).data]);
      expect(Object.fromEntries(b.rejected)).toEqual({});
    });

    it('rejects a hostile batch whole, once, delivering none of its messages', async () => {
      const got: Delivery[] = [];
      b.bus.subscribe({ kind: 'coordination' }, (d) => got.push(d));
      b.bus.subscribe({ kind: 'mailbox' }, (d) => got.push(d));
      await h.settle();
      const good = availability(a, 1);
      const batchOf = (messages: unknown[], extra: Record<string, unknown> = {}) =>
        ({
          ...createEnvelope({ type: 'message_batch', from: a.identity.nodeId, data: { messages: [good] } }),
          ...extra,
          data: { messages },
        }) as never;
      const signed = (envelope: never) => JSON.stringify(signEnvelope(envelope, a.identity.privateKey));
      const coordination = coordinationSubject(h.cluster);
      // broken data, a forbidden type, a batch in a batch, an empty one: bad_data
      await h.inject(coordination, signed(batchOf([good, { ...good, data: { ...good.data, load: -1 } }])));
      await h.inject(coordination, signed(batchOf([good, { type: 'dead_letter', data: {} }])));
      await h.inject(coordination, signed(batchOf([{ type: 'message_batch', data: { messages: [good] } }])));
      await h.inject(coordination, signed(batchOf([])));
      await h.inject(coordination, signed(batchOf([good], { corr: 'c-1' })));
      // one message speaking for another node: bad_sender
      await h.inject(coordination, signed(batchOf([good, availability(c, 2)])));
      // a batch on a mailbox: unknown_type
      const mailbox = { node: b.identity.nodeId, path: ['inbox'] };
      await h.inject(actorSubject(h.cluster, mailbox), signed(batchOf([good])));
      // the sentinel: everything before it has been classified
      a.bus.publish({ kind: 'coordination' }, availability(a, 99));
      await eventually(() => got.length === 1, 'the sentinel');
      expect((got[0]!.envelope.data as { load: number }).load).toBe(99);
      expect(Object.fromEntries(b.rejected)).toEqual({ bad_data: 5, bad_sender: 1, unknown_type: 1 });
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
