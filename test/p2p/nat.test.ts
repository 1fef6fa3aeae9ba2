/**
 * Across NATs (issue 14): two bzzz libp2p peers, each behind its own NAT made of network
 * namespaces (iptables MASQUERADE, only replies let in: test/helpers/nat-netns.ts), and a
 * relay on the public network between them. Both keep a reservation on the relay
 * (`relay` in P2PInit, which is `BZZZ_P2P_RELAY`). The test shows:
 *
 * 1. The NATs are real: the relay sees each peer by its router's public address, and neither
 *    peer can dial the other, by its private address or by its router's.
 * 2. Through the relay, with two plain masquerading NATs: A dials B by
 *    `<relay>/p2p-circuit/p2p/<B>` and each asks the other's actor; the only connection
 *    between them is relayed. DCUtR cannot make it direct here: js-libp2p's TCP dials from an
 *    ephemeral port (Node cannot reuse the listening port, SO_REUSEPORT) and ignores the TCP
 *    addresses others observe for it, so neither side has an address the other could reach
 *    (see src/adapters/p2p/nat.ts). Masquerading that keeps source ports does not change that.
 * 3. Directly, once A's NAT forwards its port (DNAT, as an operator, UPnP-IGD or NAT-PMP would)
 *    and A announces it (`BZZZ_P2P_ANNOUNCE`): A dials B through the relay again, and DCUtR on
 *    B (the side that was reached through the relay) dials A's announced address through both
 *    NATs and closes the relayed connection. The asks then go over the direct connection.
 *
 * AutoNAT: a peer on the public network with an address of its own learns that it is
 * reachable (the relay dialled it back); B, with only a private address, knows it is not; A
 * is public by its announced address. The relay itself cannot be checked here: every peer
 * that could dial it back holds a reservation on it, and js-libp2p's AutoNAT refuses to dial
 * a host among its own addresses (a circuit address through the relay carries the relay's).
 * Every node is given the same relay list (`BZZZ_P2P_RELAY` of a cluster), the relay too: it
 * skips itself, and so neither reserves a slot anywhere nor searches for a relay.
 *
 * Run as root (CI does); otherwise it fails naming why. Every namespace, and with them every
 * bridge, veth and iptables rule, is removed afterwards, also when the test fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSwarmKey } from '../../src/adapters/p2p/index.js';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { eventually } from '../helpers/cli.js';
import { createNatNet, type NatNet } from '../helpers/nat-netns.js';
import { startPeer, type NatPeer, type PeerConnection } from './nat-peers.js';

const PORT = 9100;

let net: NatNet | undefined;
let dir: string | undefined;
const peers: NatPeer[] = [];
afterAll(async () => {
  // processes first: a namespace with a process in it outlives `ip netns delete`
  await Promise.all(peers.map((p) => p.stop()));
  await net?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const relayedOnly = (connections: PeerConnection[]): boolean =>
  connections.length > 0 && connections.every((c) => c.relayed);
const directOnly = (connections: PeerConnection[]): boolean =>
  connections.length > 0 && connections.every((c) => !c.relayed);

describe('two peers behind two NATs and a relay', () => {
  it(
    'talk through the relay, then directly once one NAT forwards a port (DCUtR)',
    { timeout: 240_000 },
    async () => {
      net = await createNatNet();
      const [site1, site2] = net.sites;
      dir = mkdtempSync(join(tmpdir(), 'bzzz-nat-'));
      const PEER_PSK_FILE = join(dir, 'swarm.key');
      writeFileSync(PEER_PSK_FILE, generateSwarmKey(), { mode: 0o600 });
      const listen = (address: string): string => `/ip4/${address}/tcp/${PORT}`;

      const data = (name: string): string => join(dir!, name);
      const relayId = (await loadOrCreateIdentity(data('relay'))).nodeId;
      const relayAddress = `${listen(net.relay.address)}/p2p/${relayId}`;
      const relay = await startPeer('relay', net.relay.netns, {
        PEER_DATA_DIR: data('relay'),
        PEER_PSK_FILE,
        PEER_LISTEN: listen(net.relay.address),
        PEER_RELAY: relayAddress,
      });
      peers.push(relay);
      expect(relay.nodeId).toBe(relayId);
      const open = await startPeer('public', net.public.netns, {
        PEER_DATA_DIR: data('public'),
        PEER_PSK_FILE,
        PEER_LISTEN: listen(net.public.address),
        PEER_RELAY: relayAddress,
      });
      peers.push(open);
      const a = await startPeer('a', site1.host.netns, {
        PEER_DATA_DIR: data('a'),
        PEER_PSK_FILE,
        PEER_LISTEN: listen(site1.host.address),
        PEER_RELAY: relayAddress,
        PEER_ANNOUNCE: listen(site1.publicAddress),
      });
      peers.push(a);
      const b = await startPeer('b', site2.host.netns, {
        PEER_DATA_DIR: data('b'),
        PEER_PSK_FILE,
        PEER_LISTEN: listen(site2.host.address),
        PEER_RELAY: relayAddress,
      });
      peers.push(b);
      const tail = (): string => peers.map((p) => `${p.name}: ${p.stderr().slice(-500)}`).join('; ');

      // each holds a slot on the relay, and the relay sees it by its router's address
      for (const [peer, site] of [
        [a, site1],
        [b, site2],
      ] as const) {
        await eventually(
          async () => ((await peer.status()).relays.includes(relay.nodeId) ? true : undefined),
          60_000,
          `${peer.name} holds a reservation on the relay`,
          tail,
        );
        const seen = await relay.connections(peer.nodeId);
        expect(seen.length).toBeGreaterThan(0);
        for (const c of seen)
          expect(c.address.startsWith(`/ip4/${site.publicAddress}/tcp/`), c.address).toBe(true);
      }

      expect((await relay.status()).relays).toEqual([]);

      // neither can dial the other: not by its private address, not by its router's
      for (const [from, to, site] of [
        [a, b, site2],
        [b, a, site1],
      ] as const) {
        for (const host of [site.host.address, site.publicAddress]) {
          await expect(
            from.dial(`${listen(host)}/p2p/${to.nodeId}`),
            `${from.name} -> ${host}`,
          ).rejects.toThrow();
        }
      }

      // through the relay, both ways
      expect(relayedOnly(await a.dial(`${relayAddress}/p2p-circuit/p2p/${b.nodeId}`))).toBe(true);
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const reply = await from.ask(to.nodeId, `${from.name} via the relay`);
        expect(reply.answer).toEqual({ node: to.nodeId, echo: `${from.name} via the relay` });
        expect(reply.connections, `${from.name}'s connections to ${to.name}`).toSatisfy(relayedOnly);
      }

      // AutoNAT: the relay dialled the public peer back; B has only a private address
      const openStatus = await eventually(
        async () => {
          const status = await open.status();
          return status.reachability === 'public' ? status : undefined;
        },
        90_000,
        'the public peer learns by AutoNAT that it is reachable',
        tail,
      );
      expect(openStatus.relays).toEqual([relay.nodeId]);
      expect(await relay.connections(open.nodeId)).toSatisfy(directOnly);
      expect((await b.status()).reachability).toBe('private');
      expect((await a.status()).reachability).toBe('public');

      // A's router forwards its port: a new relayed connection is made direct by DCUtR
      await net.forwardPort(site1, PORT);
      await a.hangUp(b.nodeId);
      await eventually(
        async () => ((await a.connections(b.nodeId)).length === 0 ? true : undefined),
        30_000,
        'a and b are disconnected',
      );
      await a.dial(`${relayAddress}/p2p-circuit/p2p/${b.nodeId}`);
      let last: PeerConnection[] = [];
      const onB = await eventually(
        async () => {
          last = await b.connections(a.nodeId);
          return directOnly(last) ? last : undefined;
        },
        60_000,
        'b replaces the relayed connection to a by a direct one',
        () => `b has ${JSON.stringify(last)}; ${tail()}`,
      );
      // b dialled a's forwarded port on a's router; a sees b by b's router's address
      const forwarded = `${listen(site1.publicAddress)}/p2p/${a.nodeId}`;
      for (const c of onB) expect(c).toEqual({ address: forwarded, direction: 'outbound', relayed: false });
      const onA = await eventually(
        async () => {
          const connections = await a.connections(b.nodeId);
          return directOnly(connections) ? connections : undefined;
        },
        30_000,
        'a has only the direct connection to b',
      );
      for (const c of onA) {
        expect(c.address.startsWith(`/ip4/${site2.publicAddress}/tcp/`), c.address).toBe(true);
        expect(c.direction).toBe('inbound');
      }

      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const reply = await from.ask(to.nodeId, `${from.name} directly`);
        expect(reply.answer).toEqual({ node: to.nodeId, echo: `${from.name} directly` });
        expect(reply.connections, `${from.name}'s connections to ${to.name}`).toSatisfy(directOnly);
      }
    },
  );
});
