/**
 * Broadcast batching on the wire, seen through the in-process hub, which counts what crosses
 * it: a burst published in one turn to one channel is one `message_batch` envelope (per
 * MAX_BATCH messages, and split further when it would pass the size limit); a lone broadcast,
 * mailbox traffic and a bus with batching off send one envelope per message; signed batches
 * carry one signature the receiver checks.
 */
import { describe, expect, it } from 'vitest';
import { createLocalBus, LocalHub, type Bus, type Delivery } from '../../src/adapters/bus/index.js';
import { flushMicrotasks, SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  canonicalJson,
  coordinationSubject,
  decodeEnvelope,
  generateIdentity,
  MAX_BATCH,
  MAX_ENVELOPE_BYTES,
  MAX_TEXT,
  type Identity,
  type RejectReason,
} from '../../src/protocol/index.js';

interface Node {
  identity: Identity;
  bus: Bus;
  rejected: RejectReason[];
}

function setup(options: { sign?: boolean; batch?: boolean } = {}) {
  const hub = new LocalHub();
  const clock = new SimulatedClock();
  const wire: { subject: string; bytes: Uint8Array }[] = [];
  const node = (): Node => {
    const identity = generateIdentity();
    const rejected: RejectReason[] = [];
    const bus = createLocalBus(
      hub,
      {
        cluster: 'test',
        nodeId: identity.nodeId,
        privateKey: options.sign === false ? null : identity.privateKey,
        ...(options.batch === undefined ? {} : { batch: options.batch }),
      },
      { clock, logger: silentLogger(), rejected: (r) => void rejected.push(r) },
    );
    return { identity, bus, rejected };
  };
  const a = node();
  const b = node();
  // a third party on the hub that records the raw wire
  hub.add({
    tokens: ['bzzz', 'test', '>'],
    owner: undefined as never,
    onMessage: (subject, bytes) => void wire.push({ subject, bytes }),
  });
  return { hub, a, b, wire };
}

const beat = (node: Node, load: number) => ({
  type: 'availability_broadcast' as const,
  data: { node: node.identity.nodeId, status: 'ready' as const, load, maxTasks: 3, tasks: [] },
});

function collect(bus: Bus): Delivery[] {
  const got: Delivery[] = [];
  bus.subscribe({ kind: 'coordination' }, (d) => got.push(d));
  bus.subscribe({ kind: 'hmmm' }, (d) => got.push(d));
  return got;
}

const wireType = (bytes: Uint8Array): unknown =>
  (JSON.parse(Buffer.from(bytes).toString('utf8')) as { type: unknown }).type;

describe('broadcast batching', () => {
  it('sends a burst as one envelope per MAX_BATCH messages, a lone broadcast as itself', async () => {
    const { a, b, wire } = setup();
    const got = collect(b.bus);
    const burst = MAX_BATCH * 2 + 10;
    for (let i = 0; i < burst; i++) expect(a.bus.publish({ kind: 'coordination' }, beat(a, i))).toBe(true);
    await flushMicrotasks();
    expect(wire.map((w) => wireType(w.bytes))).toEqual(['message_batch', 'message_batch', 'message_batch']);
    expect(got.map((d) => (d.envelope.data as { load: number }).load)).toEqual(
      Array.from({ length: burst }, (_, i) => i),
    );
    // each delivered message is what it would have been alone
    expect(got[0]!.envelope).toMatchObject({ type: 'availability_broadcast', from: a.identity.nodeId });
    wire.length = 0;
    a.bus.publish({ kind: 'coordination' }, beat(a, 1));
    await flushMicrotasks();
    expect(wire.map((w) => wireType(w.bytes))).toEqual(['availability_broadcast']);
    expect(b.rejected).toEqual([]);
  });

  it('flushes what waits before a message to another channel, so the wire keeps publish order', async () => {
    const { a, b, wire } = setup();
    const got = collect(b.bus);
    a.bus.publish({ kind: 'coordination' }, beat(a, 1));
    a.bus.publish({ kind: 'coordination' }, beat(a, 2));
    a.bus.publish({ kind: 'hmmm' }, { type: 'meta_discussion', data: { thread: 't', text: 'x' } });
    a.bus.publish({ kind: 'coordination' }, beat(a, 3));
    await flushMicrotasks();
    expect(wire.map((w) => [w.subject.split('.').pop(), wireType(w.bytes)])).toEqual([
      ['coordination', 'message_batch'],
      ['hmmm', 'meta_discussion'],
      ['coordination', 'availability_broadcast'],
    ]);
    expect(got.map((d) => d.envelope.type)).toEqual([
      'availability_broadcast',
      'availability_broadcast',
      'meta_discussion',
      'availability_broadcast',
    ]);
  });

  it('splits a batch that would pass the size limit', async () => {
    const { a, b, wire } = setup();
    const got = collect(b.bus);
    const text = 'x'.repeat(MAX_TEXT);
    const count = Math.ceil((MAX_ENVELOPE_BYTES * 2) / MAX_TEXT);
    for (let i = 0; i < count; i++)
      a.bus.publish({ kind: 'hmmm' }, { type: 'meta_discussion', data: { thread: `t${i}`, text } });
    await flushMicrotasks();
    expect(wire.length).toBeGreaterThanOrEqual(3);
    for (const w of wire) expect(w.bytes.byteLength).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES);
    expect(got.map((d) => (d.envelope.data as { thread: string }).thread)).toEqual(
      Array.from({ length: count }, (_, i) => `t${i}`),
    );
    expect(b.rejected).toEqual([]);
  });

  it('maps a channel object the caller changes between publications to its new subject', async () => {
    const { a, wire } = setup();
    const channel = { kind: 'task' as const, task: 'local:demo/app#1' };
    const post = { type: 'meta_discussion' as const, data: { thread: 't', text: 'x' } };
    a.bus.publish(channel, post);
    (channel as { task: string }).task = 'local:demo/app#2';
    a.bus.publish(channel, post);
    await flushMicrotasks();
    expect(wire.map((w) => w.subject.split('.').pop())).toEqual([
      'local_3Ademo_2Fapp_231',
      'local_3Ademo_2Fapp_232',
    ]);
  });

  it('sends one envelope per message with batching off', async () => {
    const { a, b, wire } = setup({ batch: false });
    const got = collect(b.bus);
    for (let i = 0; i < 5; i++) a.bus.publish({ kind: 'coordination' }, beat(a, i));
    await flushMicrotasks();
    expect(wire.map((w) => wireType(w.bytes))).toEqual(Array(5).fill('availability_broadcast'));
    expect(got).toHaveLength(5);
  });

  it('signs a batch once, over all of it, and the receiver checks it', async () => {
    const { a, b, wire } = setup();
    const got = collect(b.bus);
    a.bus.publish({ kind: 'coordination' }, beat(a, 1));
    a.bus.publish({ kind: 'coordination' }, beat(a, 2));
    await flushMicrotasks();
    expect(got).toHaveLength(2);
    const bytes = Buffer.from(wire[0]!.bytes);
    // the sender's signature holds for the whole batch (a third node could check it too)
    expect(decodeEnvelope(bytes, { verify: true }).ok).toBe(true);
    // one changed message inside breaks it
    const forged = Buffer.from(bytes.toString('utf8').replace('"load":2', '"load":3'));
    expect(decodeEnvelope(forged, { verify: true })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('sends each message as it was when published, and a signed batch in canonical form', async () => {
    const { a, b, wire } = setup();
    const got = collect(b.bus);
    const first = beat(a, 1);
    a.bus.publish({ kind: 'coordination' }, first);
    first.data.load = 7; // changed before the turn ends: what left was the message as published
    a.bus.publish({ kind: 'coordination' }, beat(a, 2));
    await flushMicrotasks();
    expect(got.map((d) => (d.envelope.data as { load: number }).load)).toEqual([1, 2]);
    const text = Buffer.from(wire[0]!.bytes).toString('utf8');
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('writes plain JSON with signing off, which an unsigned receiver takes', async () => {
    const { a, b, wire } = setup({ sign: false });
    const got = collect(b.bus);
    a.bus.publish({ kind: 'coordination' }, beat(a, 1));
    a.bus.publish({ kind: 'coordination' }, beat(a, 2));
    await flushMicrotasks();
    expect(got).toHaveLength(2);
    const envelope = JSON.parse(Buffer.from(wire[0]!.bytes).toString('utf8')) as Record<string, unknown>;
    expect(envelope).toMatchObject({ type: 'message_batch', sig: '', v: 1, hop_count: 0 });
    expect(wire[0]!.subject).toBe(coordinationSubject('test'));
  });
});
