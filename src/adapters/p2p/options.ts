/**
 * The libp2p configuration of a bzzz node: TCP, noise, yamux, identify, ping, kad-dht in
 * server mode, gossipsub with bzzz's scoring, bootstrap and mDNS discovery, a private
 * network when a swarm key is given, and NAT traversal (circuit relay transport and service,
 * AutoNAT, DCUtR: see nat.ts).
 *
 * Without configured relays the node listens on `/p2p-circuit`: circuit-relay-v2 reserves a
 * slot on one connected peer that offers the relay service, so a node behind a NAT is
 * reachable as soon as it meets one reachable peer. Configured relays are reserved on by the
 * relay keeper once the node runs (relay-keeper.ts), not here: a listen address that fails
 * fails the whole start, and a relay may be down for a while.
 *
 * kad-dht keeps loopback and LAN addresses (`removePublicAddressesMapper`): bzzz clusters run
 * on one LAN, one host or one Kubernetes network, and the default mapper, made for the public
 * IPFS network, would drop every such peer from the routing table.
 *
 * Gossipsub does not sign (`StrictNoSign`): the envelope inside is already signed with the
 * same node key when the cluster signs (`sign_messages`), and the trust boundary is the
 * envelope bus, which checks that signature, the sender and the replay guard on every bus
 * alike. A gossipsub signature would add one Ed25519 signature per publication and one
 * verification per receiver and message (profiled: a quarter of the CPU of a broadcast
 * between three nodes) and prove nothing the envelope does not: the gossip author is never
 * used. The connection itself is authenticated (noise) and gated (the swarm key).
 *
 * Message ids are then the SHA-256 of the data (`msgIdFn`), and every publication opens with
 * a nonce of its own (`frames.ts`), so two publications of the same envelope bytes are two
 * messages: a replayed envelope reaches the envelope layer, which refuses it and counts it
 * (`bzzz_messages_rejected_total{reason="replayed"}`), and the peer that sent it is charged
 * (P4), as the bus's compliance suite asks of every bus. Mesh copies of one publication share
 * its id and are dropped by gossipsub before anyone judges them twice. The fast message id is
 * the same hash, so a duplicate is recognised before its protobuf fields are even read.
 */
import { createHash } from 'node:crypto';
import { bootstrap } from '@libp2p/bootstrap';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PrivateKey } from '@libp2p/interface';
import { kadDHT, removePublicAddressesMapper } from '@libp2p/kad-dht';
import { mdns } from '@libp2p/mdns';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import type { Libp2pOptions } from 'libp2p';
import {
  COORDINATION_TOPIC,
  HMMM_TOPIC,
  NAME_NAMESPACE,
  selectNameRecord,
  TASKS_TOPIC,
  validateNameRecord,
} from '../../protocol/index.js';
import {
  DEFAULT_LISTEN,
  parseAnnounceAddresses,
  parseBootstrapAddresses,
  parseListenAddresses,
  parseRelayAddresses,
} from './addresses.js';
import { autoNATDialingBack, natService, relayServerInit } from './nat.js';
import { PEER_SCORE_THRESHOLDS, peerScoreParams } from './scoring.js';
import { parseSwarmKey } from './swarm-key.js';
import type { P2PInit, P2PServices } from './types.js';

/**
 * A message's data, hashed: its id is the same for every copy (see above), and the same as
 * gossipsub's own for unsigned messages, so any gossipsub speaks IHAVE/IWANT with us.
 */
function dataHash(msg: { data?: Uint8Array }): Buffer {
  return createHash('sha256')
    .update(msg.data ?? new Uint8Array(0))
    .digest();
}

/** The id under which gossipsub knows a message (its seen cache, IHAVE/IWANT). */
function messageId(msg: { data?: Uint8Array }): Uint8Array {
  return dataHash(msg);
}

/** The same id, as the string gossipsub's duplicate check takes before decoding further. */
function fastMessageId(msg: { data?: Uint8Array }): string {
  return dataHash(msg).toString('base64');
}

/** Topic weights of the score (see scoring.ts). */
const TOPIC_WEIGHTS = { [COORDINATION_TOPIC]: 1, [HMMM_TOPIC]: 0.5, [TASKS_TOPIC]: 0.5 };

/** Options of `createLibp2p` for a bzzz node; throws on a bad address or swarm key. */
export function libp2pOptions(
  init: P2PInit,
  privateKey: PrivateKey,
  maxMessageBytes: number,
): Libp2pOptions<P2PServices> {
  const listen = parseListenAddresses(init.listen ?? [DEFAULT_LISTEN]);
  const list = parseBootstrapAddresses(init.bootstrap ?? []);
  const psk = init.psk === undefined ? undefined : parseSwarmKey(init.psk);
  const relays = parseRelayAddresses(init.relay ?? []);
  const appendAnnounce = parseAnnounceAddresses(init.announce ?? []);
  return {
    privateKey,
    start: false,
    addresses: { listen: relays.length > 0 ? listen : [...listen, '/p2p-circuit'], appendAnnounce },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(psk === undefined ? {} : { connectionProtector: preSharedKey({ psk }) }),
    peerDiscovery: [
      ...(list.length > 0 ? [bootstrap({ list })] : []),
      ...((init.mdns ?? true) ? [mdns()] : []),
    ],
    services: {
      identify: identify(),
      relay: circuitRelayServer(relayServerInit(psk !== undefined)),
      autonat: autoNATDialingBack(),
      dcutr: dcutr(),
      nat: natService(),
      // libp2p's connection monitor pings every connection too: room for it and for us
      ping: ping({ maxInboundStreams: 4, maxOutboundStreams: 4 }),
      dht: kadDHT({
        clientMode: false,
        peerInfoMapper: removePublicAddressesMapper,
        // bzzz:// name records: only the named node's signature counts, the newest wins
        validators: { [NAME_NAMESPACE]: validateNameRecord },
        selectors: { [NAME_NAMESPACE]: selectNameRecord },
      }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: messageId,
        allowPublishToZeroTopicPeers: true,
        // one RPC after another per peer: messages of one sender arrive in publish order
        awaitRpcHandler: true,
        awaitRpcMessageHandler: true,
        emitSelf: false,
        maxInboundDataLength: maxMessageBytes,
        fastMsgIdFn: fastMessageId,
        scoreParams: peerScoreParams(TOPIC_WEIGHTS),
        scoreThresholds: PEER_SCORE_THRESHOLDS,
      }),
    },
  };
}
