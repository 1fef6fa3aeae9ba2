/**
 * The libp2p node as bzzz uses it, on loopback with mDNS off: its peer id is the node id, it
 * starts and stops twice safely and starts again, a private network keeps out whoever lacks
 * the swarm key, bootstrap and the DHT find peers (loopback peers kept), and hostile input
 * (garbage on the actor protocol, a flood of invalid envelopes) neither crashes a node nor
 * stops honest traffic: the flooding peer is graylisted by gossipsub's score.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/adapters/bus/index.js';
import { generateSwarmKey, P2PNode } from '../../src/adapters/p2p/index.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  ACTOR_PROTOCOL,
  COORDINATION_TOPIC,
  TASKS_TOPIC,
  createEnvelope,
  formatAddress,
  sealEnvelope,
  generateIdentity,
} from '../../src/protocol/index.js';
import { eventually } from '../compliance/bus.js';
import { mutatedEnvelopes } from '../bus/mutations.js';
import { DEADLINE_MS, rejections, startNode, type TestNode } from './helpers.js';
import { framed, startRawNode, type RawNode } from './raw-node.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function node(options: Parameters<typeof startNode>[0] = {}): Promise<TestNode> {
  const made = await startNode(options);
  cleanup.push(() => made.stop());
  return made;
}

async function raw(options: { psk?: string } = {}): Promise<RawNode> {
  const made = await startRawNode(options);
  cleanup.push(async () => {
    await made.stop();
  });
  return made;
}

const address = (n: TestNode): string => n.p2p.addresses()[0]!;

function beat(n: TestNode, load = 0) {
  return {
    type: 'availability_broadcast' as const,
    data: { node: n.identity.nodeId, status: 'ready' as const, load, maxTasks: 3, tasks: [] },
  };
}

function collect(n: TestNode, kind: 'coordination' | 'mailbox'): Delivery[] {
  const got: Delivery[] = [];
  n.bus.subscribe({ kind }, (d) => got.push(d));
  return got;
}

describe('P2PNode', () => {
  it('has the node id as its libp2p peer id, and tells its peers with addresses and protocols', async () => {
    const a = await node();
    const b = await node();
    collect(a, 'mailbox');
    for (const listen of a.p2p.addresses()) expect(listen).toMatch(new RegExp(`/p2p/${a.identity.nodeId}$`));
    await b.p2p.dial(address(a));
    await eventually(
      () => b.p2p.peerCount() === 1 && a.p2p.peerCount() === 1,
      'one connection each way',
      DEADLINE_MS,
    );
    let peers: Awaited<ReturnType<typeof b.p2p.peers>> = [];
    await eventually(
      () => {
        void b.p2p.peers().then((p) => (peers = p));
        return peers[0]?.protocols.includes(ACTOR_PROTOCOL) === true;
      },
      'identify told b the protocols of a',
      DEADLINE_MS,
    );
    expect(peers).toHaveLength(1);
    expect(peers[0]!.id).toBe(a.identity.nodeId);
    expect(peers[0]!.addresses.some((m) => m.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true);
    expect(peers[0]!.protocols).toEqual(expect.arrayContaining(['/ipfs/ping/1.0.0', '/meshsub/1.1.0']));
    expect(await b.p2p.ping(a.identity.nodeId)).toBeGreaterThanOrEqual(0);
  });

  it('starts and stops safely twice, and a stopped node starts again with its bus following', async () => {
    const a = await node();
    const b = await node();
    const atB = collect(b, 'coordination');
    const statuses: string[] = [];
    a.bus.onStatus((status) => statuses.push(status));
    await Promise.all([a.p2p.start(), a.p2p.start()]);
    expect(a.bus.connected()).toBe(true);
    await Promise.all([a.p2p.stop(), a.p2p.stop()]);
    expect(a.p2p.running).toBe(false);
    expect(a.bus.connected()).toBe(false);
    expect(a.p2p.addresses()).toEqual([]);
    expect(a.bus.publish({ kind: 'coordination' }, beat(a))).toBe(false);
    await a.p2p.start();
    expect(a.bus.connected()).toBe(true);
    await a.p2p.dial(address(b));
    await eventually(
      () => a.p2p.topicPeers(COORDINATION_TOPIC).includes(b.identity.nodeId),
      'a sees b on the coordination topic after the restart',
      DEADLINE_MS,
    );
    a.bus.publish({ kind: 'coordination' }, beat(a, 5));
    await eventually(() => atB.length === 1, 'the beat after the restart', DEADLINE_MS);
    expect((atB[0]!.envelope.data as { load: number }).load).toBe(5);
    await a.bus.close();
    expect(a.p2p.running).toBe(true); // the bus ends, the node it rode on does not
    expect(statuses).toEqual(['connecting', 'connected', 'closed']);
  });

  it('fails to start, not retryably, on a listen address in use, leaves nothing running, and starts once it is free', async () => {
    const a = await node();
    const port = address(a).split('/')[4]!;
    const clash = new P2PNode(
      { identity: generateIdentity(), listen: [`/ip4/127.0.0.1/tcp/${port}`], mdns: false },
      { logger: silentLogger() },
    );
    await expect(clash.start()).rejects.toThrow(
      expect.objectContaining({ name: 'P2PStartError', retryable: false }) as Error,
    );
    expect(clash.running).toBe(false);
    // once the address is free, the same node starts (a supervisor retries without a stop)
    await a.stop();
    await clash.start();
    expect(clash.addresses()[0]).toContain(`/tcp/${port}/`);
    await clash.stop();
  });

  it('drops the mailbox line to a peer that left, and opens a new one when it is back', async () => {
    const a = await node();
    const b = await node();
    const mail = collect(b, 'mailbox');
    await a.p2p.dial(address(b));
    const to = { node: b.identity.nodeId, path: ['inbox'] };
    const send = (type: string): boolean =>
      a.bus.publish(
        { kind: 'actor', address: to },
        { type: 'actor_message', data: { to: formatAddress(to), type, payload: null } },
      );
    expect(send('first')).toBe(true);
    await eventually(() => mail.length === 1, 'the first message', DEADLINE_MS);
    expect(a.libp2p.actorLines()).toBe(1);
    await b.p2p.stop();
    await eventually(() => a.libp2p.actorLines() === 0, 'the line to b dropped', DEADLINE_MS);
    await b.p2p.start();
    await a.p2p.dial(address(b));
    expect(send('second')).toBe(true);
    await eventually(() => mail.length === 2, 'a message over a new stream', DEADLINE_MS);
    expect(mail.map((d) => (d.envelope.data as { type: string }).type)).toEqual(['first', 'second']);
  });

  it('connects nodes holding one swarm key and refuses whoever holds none or another', async () => {
    const key = generateSwarmKey();
    const a = await node({ psk: key });
    const b = await node({ psk: key });
    const atA = collect(a, 'coordination');
    await b.p2p.dial(address(a));
    expect(b.p2p.connectedTo(a.identity.nodeId)).toBe(true);
    await eventually(
      () => b.p2p.topicPeers(COORDINATION_TOPIC).includes(a.identity.nodeId),
      'a',
      DEADLINE_MS,
    );
    b.bus.publish({ kind: 'coordination' }, beat(b, 1));
    await eventually(() => atA.length === 1, 'a broadcast inside the private network', DEADLINE_MS);

    const open = await node();
    const stranger = await node({ psk: generateSwarmKey() });
    const outsider = await raw();
    await expect(open.p2p.dial(address(a))).rejects.toThrow();
    await expect(stranger.p2p.dial(address(a))).rejects.toThrow();
    await expect(outsider.dial(address(a))).rejects.toThrow();
    await expect(a.p2p.dial(address(open))).rejects.toThrow();
    expect(open.p2p.peerCount()).toBe(0);
    expect(stranger.p2p.peerCount()).toBe(0);
    expect(a.p2p.connectedTo(open.identity.nodeId)).toBe(false);
    expect(a.p2p.connectedTo(outsider.id)).toBe(false);
    // a program that holds the key is let in
    const insider = await raw({ psk: key });
    await insider.dial(address(a));
    await eventually(() => a.p2p.connectedTo(insider.id), 'the insider connected', DEADLINE_MS);
  });

  it('finds peers through a bootstrap node and the DHT (loopback peers kept), connects to them, and carries broadcasts and mailboxes', async () => {
    const hub = await node();
    const b = await node({ bootstrap: [address(hub)] });
    const c = await node({ bootstrap: [address(hub)] });
    for (const n of [hub, b, c]) collect(n, 'coordination');
    const atC = collect(c, 'coordination');
    const mailC = collect(c, 'mailbox');
    await eventually(
      () => hub.p2p.connectedTo(b.identity.nodeId) && hub.p2p.connectedTo(c.identity.nodeId),
      'both nodes dialled the bootstrap node',
      DEADLINE_MS,
    );
    await eventually(
      () => hub.p2p.routingTableSize() >= 2 && b.p2p.routingTableSize() >= 1 && c.p2p.routingTableSize() >= 1,
      'loopback peers in every routing table',
      DEADLINE_MS,
    );
    // b and c learn of each other through the hub's DHT and connect directly
    await eventually(
      () => b.p2p.connectedTo(c.identity.nodeId) && c.p2p.routingTableSize() >= 2,
      'b and c connected to each other',
      DEADLINE_MS,
    );
    let load = 0;
    await eventually(
      () => {
        b.bus.publish({ kind: 'coordination' }, beat(b, ++load));
        return atC.length > 0;
      },
      'a broadcast from b at c',
      DEADLINE_MS,
    );
    const target = { node: c.identity.nodeId, path: ['inbox'] };
    await eventually(
      () => {
        b.bus.publish(
          { kind: 'actor', address: target },
          { type: 'actor_message', data: { to: formatAddress(target), type: 'hello', payload: null } },
        );
        return mailC.length > 0;
      },
      'a mailbox message from b at c',
      DEADLINE_MS,
    );
    expect(mailC[0]!.envelope.from).toBe(b.identity.nodeId);
  });

  it('survives garbage on /bzzz/actor/1.0.0, counting it, and still takes mailbox messages', async () => {
    const a = await node();
    const b = await node();
    const mail = collect(b, 'mailbox');
    const intruder = await raw();
    await intruder.dial(address(b));
    await a.p2p.dial(address(b));
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    const self = b.identity.nodeId;
    await intruder.sendActorStream(self, {
      frames: [text('no separator'), framed('inbox', text('{"v":1,')), framed('a.b*c', text('{}'))],
    });
    await eventually(
      () => b.rejected.get('schema') === 2 && b.rejected.get('bad_json') === 1,
      'three bad frames counted',
      DEADLINE_MS,
    );
    // a length prefix far past the cap, then a prefix that never ends: each ends its stream
    await intruder.sendActorStream(self, { raw: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]) });
    await intruder.sendActorStream(self, { raw: new Uint8Array(2 * b.p2p.maxMessageBytes + 64).fill(0x80) });
    await eventually(() => b.rejected.get('too_large') === 2, 'two broken streams counted', DEADLINE_MS);
    // well-framed envelopes are judged by the envelope layer, as over NATS
    const forged = createEnvelope({ ...beat(a), from: generateIdentity().nodeId });
    const broadcast = createEnvelope({ ...beat(a), from: a.identity.nodeId });
    await intruder.sendActorStream(self, {
      frames: [
        framed('inbox', sealEnvelope(forged, a.identity.privateKey).bytes),
        framed('inbox', sealEnvelope(broadcast, a.identity.privateKey).bytes),
      ],
    });
    await eventually(
      () => b.rejected.get('bad_signature') === 1 && b.rejected.get('unknown_type') === 1,
      'a forgery and a broadcast type on a mailbox',
      DEADLINE_MS,
    );
    expect(b.p2p.running).toBe(true);
    const to = { node: self, path: ['inbox'] };
    a.bus.publish(
      { kind: 'actor', address: to },
      { type: 'actor_message', data: { to: formatAddress(to), type: 'still-alive', payload: 1 } },
    );
    await eventually(() => mail.length === 1, 'a mailbox message after the garbage', DEADLINE_MS);
    expect((mail[0]!.envelope.data as { type: string }).type).toBe('still-alive');
  });

  it('graylists a peer that floods invalid envelopes while valid traffic from others still arrives', async () => {
    const a = await node();
    const b = await node();
    const atB = collect(b, 'coordination');
    collect(a, 'coordination');
    const flooder = await raw();
    await flooder.dial(address(b));
    await a.p2p.dial(address(b));
    await eventually(
      () =>
        flooder.subscribers(COORDINATION_TOPIC).includes(b.identity.nodeId) &&
        a.p2p.topicPeers(COORDINATION_TOPIC).includes(b.identity.nodeId),
      'b on the coordination topic',
      DEADLINE_MS,
    );
    const text = (value: string): Uint8Array => new TextEncoder().encode(value);
    // what an honest relay can send is refused but not punished: replays, a newer version
    const genuine = sealEnvelope(
      createEnvelope({ ...beat(a), from: a.identity.nodeId }),
      a.identity.privateKey,
    );
    const newer = JSON.stringify({ ...createEnvelope({ ...beat(a), from: a.identity.nodeId }), v: 2 });
    for (let i = 0; i < 30; i++) {
      await flooder.publish(COORDINATION_TOPIC, genuine.bytes);
      await flooder.publish(COORDINATION_TOPIC, text(newer));
    }
    await eventually(
      () => b.rejected.get('replayed') === 29 && b.rejected.get('unsupported_version') === 30,
      'replays and newer envelopes refused',
      DEADLINE_MS,
    );
    expect(b.p2p.invalidMessages(flooder.id)).toBe(0);
    // what no honest node sends: broken JSON, a broken schema, forged signatures
    const garbage = ['{"v":1,', '[1,2,3]', '{"v":1,"id":"x"}'];
    const forge = () =>
      sealEnvelope(createEnvelope({ ...beat(a), from: a.identity.nodeId }), generateIdentity().privateKey)
        .bytes;
    for (let i = 0; i < 300; i++) {
      await flooder.publish(COORDINATION_TOPIC, i % 4 === 3 ? forge() : text(garbage[i % 3]!));
    }
    await eventually(() => b.p2p.graylisted(flooder.id), 'the flooder graylisted by b', DEADLINE_MS);
    expect(b.p2p.peerScore(flooder.id)).toBeLessThan(0);
    expect(b.p2p.invalidMessages(flooder.id)).toBeGreaterThan(9);
    expect(b.p2p.invalidMessages(a.identity.nodeId)).toBe(0);
    expect(b.rejected.get('bad_signature') ?? 0).toBeGreaterThan(0);
    expect(b.p2p.peerScore(a.identity.nodeId)).toBeGreaterThanOrEqual(0);
    a.bus.publish({ kind: 'coordination' }, beat(a, 42));
    await eventually(() => atB.length === 2, 'a valid beat from a at b', DEADLINE_MS);
    expect(atB.map((d) => (d.envelope.data as { load: number }).load)).toEqual([0, 42]);
    expect(b.p2p.running).toBe(true);
  });
});

describe('the tasks topic under hostile input', () => {
  it('refuses and charges a frame without a task key, and delivers a framed one', async () => {
    const b = await node();
    const got: Delivery[] = [];
    b.bus.subscribe({ kind: 'tasks' }, (d) => got.push(d));
    const sender = await raw();
    await sender.dial(address(b));
    await eventually(
      () => sender.subscribers(TASKS_TOPIC).includes(b.identity.nodeId),
      'b on tasks',
      DEADLINE_MS,
    );
    const author = generateIdentity();
    const post = (text: string) =>
      sealEnvelope(
        createEnvelope({
          type: 'meta_discussion',
          from: author.nodeId,
          data: { thread: 't', task: 'local:demo/app#7', text },
        }),
        author.privateKey,
      ).bytes;
    await sender.publish(TASKS_TOPIC, post('no frame'));
    await sender.publish(TASKS_TOPIC, framed('not a task key', post('bad key')));
    await sender.publish(TASKS_TOPIC, framed('local:demo/app#7', post('framed')));
    await eventually(() => got.length === 1, 'the framed post', DEADLINE_MS);
    expect(got[0]!.channel).toEqual({ kind: 'task', task: 'local:demo/app#7' });
    expect((got[0]!.envelope.data as { text: string }).text).toBe('framed');
    expect(b.rejected.get('schema')).toBe(2);
    expect(b.p2p.invalidMessages(sender.id)).toBeGreaterThan(1);
  });
});

describe('the actor protocol under hostile input', () => {
  it('classifies every one of 5,000 mutated envelopes once, and keeps serving', async () => {
    const b = await node();
    const delivered = collect(b, 'mailbox');
    const intruder = await raw();
    await intruder.dial(address(b));
    const sender = generateIdentity();
    const { inputs } = mutatedEnvelopes(5000, sender, b.identity, 0x5eed);
    // an oversized frame ends its stream (nothing after it can be found): it goes on a stream
    // of its own, the others in streams of 500
    let group: Uint8Array[] = [];
    const flush = async (): Promise<void> => {
      if (group.length > 0) await intruder.sendActorStream(b.identity.nodeId, { frames: group });
      group = [];
    };
    for (const bytes of inputs) {
      const frame = framed('inbox', bytes);
      if (frame.length > b.p2p.maxMessageBytes) {
        await flush();
        await intruder.sendActorStream(b.identity.nodeId, { frames: [frame] });
      } else {
        group.push(frame);
        if (group.length === 500) await flush();
      }
    }
    await flush();
    // on a mailbox every input is one verdict: broadcasts and batches are refused there whole
    await eventually(
      () => delivered.length + rejections(b) === inputs.length,
      `every input classified (${delivered.length} + ${JSON.stringify(Object.fromEntries(b.rejected))} of ${inputs.length})`,
      DEADLINE_MS * 2,
    );
    expect(delivered).toHaveLength(0);
    expect(b.rejected.get('too_large')).toBeGreaterThan(0);
    expect(b.rejected.get('unknown_type')).toBeGreaterThan(0);
    expect(b.rejected.get('bad_signature')).toBeGreaterThan(0);
    expect(b.p2p.running).toBe(true);
  });
});
