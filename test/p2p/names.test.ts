/**
 * Signed bzzz:// names on libp2p nodes on loopback (mDNS off, joined by bootstrap): a name
 * published on one node resolves on another through its connected peers, and through the DHT
 * walk on a node none of whose peers serves names, after the owner is gone; a newer
 * publication replaces the older; forged records (signed by another node for the owner's name)
 * put into the DHT, pushed, or answered by a hostile peer are refused and counted, never
 * trusted, never a crash; an unknown name is a named not-found error.
 */
import { sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NameNotFoundError, NameService, P2PNode, type P2PInit } from '../../src/adapters/p2p/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import {
  canonicalBytes,
  encodeNameRecord,
  formatName,
  generateIdentity,
  InvalidAddressError,
  NAME_RECORD_DOMAIN,
  signNameRecord,
  type Identity,
  type NameRecord,
  type NameRef,
} from '../../src/protocol/index.js';
import { eventually } from '../compliance/bus.js';
import { DEADLINE_MS } from './helpers.js';
import { startRawDhtNode, type RawDhtNode } from './raw-dht-node.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

interface NamesNode {
  identity: Identity;
  p2p: P2PNode;
  /** Absent on a node that serves the DHT but not names. */
  names: NameService | undefined;
  address: string;
}

async function start(
  options: { names?: boolean; bootstrap?: NamesNode[]; identity?: Identity } = {},
): Promise<NamesNode> {
  const identity = options.identity ?? generateIdentity();
  const logger = silentLogger();
  const init: P2PInit = {
    identity,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    bootstrap: (options.bootstrap ?? []).map((n) => n.address),
  };
  const p2p = new P2PNode(init, { logger });
  const names =
    options.names === false
      ? undefined
      : new NameService({ identity, peerTimeoutMs: 5_000 }, { node: p2p, clock: systemClock, logger });
  await p2p.start();
  cleanup.push(async () => {
    await names?.close();
    await p2p.stop();
  });
  return { identity, p2p, names, address: p2p.addresses()[0]! };
}

async function raw(): Promise<RawDhtNode> {
  const made = await startRawDhtNode();
  cleanup.push(async () => {
    await made.stop();
  });
  return made;
}

/** A record for `name` signed by `signer`, whoever `name.node` is: what a forger writes. */
function forge(name: NameRef, value: string, seq: number, signer: Identity): NameRecord {
  const unsigned = { v: 1 as const, node: name.node, path: name.path.join('/'), value, seq };
  const bytes = Buffer.concat([Buffer.from(NAME_RECORD_DOMAIN, 'utf8'), canonicalBytes(unsigned)]);
  return { ...unsigned, sig: sign(null, bytes, signer.privateKey).toString('base64') };
}

const blob = (n: number): string => `bzzz://blob/${n.toString(16).padStart(64, '0')}`;
const dhtKey = (name: NameRef): string => `/bzzz/${name.node}/${name.path.join('/')}`;

async function notFound(names: NameService, name: NameRef): Promise<NameNotFoundError> {
  try {
    const found = await names.resolve(name);
    throw new Error(`resolved ${found.value}`);
  } catch (error) {
    expect(error).toBeInstanceOf(NameNotFoundError);
    return error as NameNotFoundError;
  }
}

describe('NameService', () => {
  it('resolves a name of A on the other nodes through their connected peers, and a newer publication replaces it', async () => {
    const a = await start();
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await start({ bootstrap: [a] }));
    const all = [a, ...others];
    await eventually(
      () => all.every((n) => all.every((m) => n === m || n.p2p.connectedTo(m.identity.nodeId))),
      'five nodes connected to each other',
      DEADLINE_MS,
    );
    await eventually(
      () => a.p2p.routingTableSize() >= 4,
      'every node in the routing table of A',
      DEADLINE_MS,
    );
    const path = ['demo~calc:1', 'log'];
    const name = { node: a.identity.nodeId, path };

    const first = await a.names!.publish(path, blob(1));
    expect(first.name).toBe(formatName(name));
    expect(first.peers).toBe(4);
    expect(first.dhtPeers).toBeGreaterThanOrEqual(1);
    expect(await a.names!.resolve(name)).toMatchObject({ value: blob(1), source: 'local' });
    const c = others[1]!;
    const atC = await c.names!.resolve(formatName(name));
    expect(atC).toMatchObject({ value: blob(1), source: 'peer', seq: first.record.seq });

    const second = await a.names!.publish(path, blob(2));
    expect(second.record.seq).toBeGreaterThan(first.record.seq);
    for (const n of others) {
      expect(await n.names!.resolve(name)).toMatchObject({ value: blob(2), seq: second.record.seq });
    }
    for (const n of all) expect([...n.names!.rejections().values()]).toEqual([]);
  });

  it('resolves through the DHT walk on a node that never met A, after A is gone', async () => {
    const a = await start();
    // b, c, d serve the DHT only: none of them answers name requests
    const b = await start({ names: false, bootstrap: [a] });
    const c = await start({ names: false, bootstrap: [a] });
    const d = await start({ names: false, bootstrap: [a] });
    await eventually(() => a.p2p.routingTableSize() >= 3, 'b, c, d in the routing table of A', DEADLINE_MS);
    const name = { node: a.identity.nodeId, path: ['walked'] };
    const published = await a.names!.publish(name.path, blob(7));
    expect(published.dhtPeers).toBeGreaterThanOrEqual(1);
    await a.p2p.stop();

    const e = await start({ bootstrap: [b] });
    await eventually(() => e.p2p.routingTableSize() >= 1, 'a DHT peer for e', DEADLINE_MS);
    expect(e.p2p.connectedTo(a.identity.nodeId)).toBe(false);
    const found = await e.names!.resolve(name);
    expect(found).toMatchObject({ value: blob(7), source: 'dht', seq: published.record.seq });
    expect(e.p2p.connectedTo(a.identity.nodeId)).toBe(false);
    // once learned, e answers its peers too
    const f = await start({ bootstrap: [e] });
    await eventually(() => f.p2p.connectedTo(e.identity.nodeId), 'f connected to e', DEADLINE_MS);
    expect(await f.names!.resolve(name)).toMatchObject({ value: blob(7), seq: published.record.seq });
    expect([b, c, d].every((n) => n.p2p.running)).toBe(true);
  });

  it('refuses forged records put into the DHT, pushed, or answered by a hostile peer, and counts them', async () => {
    const a = await start();
    const c = await start({ bootstrap: [a] });
    const d = await start({ bootstrap: [a] });
    const r = await raw();
    for (const n of [a, c, d]) await r.dial(n.address);
    await eventually(
      () =>
        [a, c, d].every((n) => [a, c, d].every((m) => n === m || n.p2p.connectedTo(m.identity.nodeId))) &&
        [a, c, d].every((n) => n.p2p.connectedTo(r.id)),
      'a, c, d and the raw node connected',
      DEADLINE_MS,
    );
    await eventually(() => c.p2p.routingTableSize() >= 2, 'peers in the routing table of c', DEADLINE_MS);
    const b = generateIdentity(); // the forger's key
    const genuine = { node: a.identity.nodeId, path: ['p'] };
    const published = await a.names!.publish(genuine.path, blob(1));
    expect(published.peers).toBeGreaterThanOrEqual(2); // c and d took the push (r answered nothing)
    // the owner goes: c now asks its other peers, d (honest) and r (hostile), in parallel
    await a.p2p.stop();
    const forged = forge(genuine, blob(666), published.record.seq + 1_000_000, b);

    // 1. put into the DHT and answered by r: c and d refuse it, c resolves A's own record
    await r.put(dhtKey(genuine), encodeNameRecord(forged));
    r.answer({ kind: 'bytes', bytes: Buffer.from(JSON.stringify({ record: forged })) });
    const asked = r.asked();
    expect(await c.names!.resolve(genuine)).toMatchObject({ value: blob(1), seq: published.record.seq });
    expect(r.asked()).toBeGreaterThan(asked);
    expect(c.names!.rejections().get('bad_signature')).toBeGreaterThanOrEqual(1);

    // a name A never published, forged into the DHT: nobody trusts it, not through the walk either
    const unpublished = { node: a.identity.nodeId, path: ['never'] };
    const fake = forge(unpublished, blob(13), 5, b);
    await r.put(dhtKey(unpublished), encodeNameRecord(fake));
    r.answer({ kind: 'bytes', bytes: Buffer.from(JSON.stringify({ record: fake })) });
    await notFound(c.names!, unpublished);
    await notFound(d.names!, unpublished);

    // 2. pushed over /bzzz/name/1.0.0: refused with an answer, and not kept
    const before = c.names!.rejections().get('bad_signature') ?? 0;
    const pushed = JSON.parse(await r.request(c.identity.nodeId, { op: 'put', record: forged })) as unknown;
    expect(pushed).toEqual({ ok: false, error: 'refused' });
    expect(c.names!.rejections().get('bad_signature')).toBe(before + 1);
    await r.request(d.identity.nodeId, { op: 'put', record: forged });
    expect(await d.names!.resolve(genuine)).toMatchObject({ value: blob(1) });

    // 3. garbage, a record of another name, a malformed record, and silence: ignored
    const elsewhere = signNameRecord({ node: b.nodeId, path: ['p'] }, blob(9), 1, b.privateKey);
    for (const answer of [
      { kind: 'bytes' as const, bytes: Buffer.from('{"record":') },
      { kind: 'bytes' as const, bytes: Buffer.from(JSON.stringify({ record: elsewhere })) },
      { kind: 'bytes' as const, bytes: Buffer.from(JSON.stringify({ record: { ...forged, seq: 'x' } })) },
      { kind: 'silent' as const },
    ]) {
      r.answer(answer);
      expect(await c.names!.resolve(genuine)).toMatchObject({ value: blob(1) });
    }
    expect(c.names!.rejections().get('bad_frame')).toBeGreaterThanOrEqual(1);
    expect(c.names!.rejections().get('wrong_key')).toBeGreaterThanOrEqual(1);
    expect(c.names!.rejections().get('malformed')).toBeGreaterThanOrEqual(1);
    expect(c.p2p.running && d.p2p.running).toBe(true);
  });

  it('says a name is unknown with a named error, and a malformed name with another', async () => {
    const a = await start();
    const b = await start({ bootstrap: [a] });
    await eventually(() => b.p2p.routingTableSize() >= 1, 'a in the routing table of b', DEADLINE_MS);
    const error = await notFound(b.names!, { node: a.identity.nodeId, path: ['nothing', 'here'] });
    expect(error.bzzzName).toBe(`bzzz://${a.identity.nodeId}/nothing/here`);
    expect(error.peersAsked).toBe(1);
    await expect(b.names!.resolve('bzzz://not-a-node/x')).rejects.toBeInstanceOf(InvalidAddressError);
  });
});
