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
 * Gossipsub signs every message (`StrictSign`, message ids from author and sequence number),
 * although the envelope inside is signed with the same node key. Content-addressed message ids
 * under `StrictNoSign` would save one signature per message, but they make a replayed envelope
 * (the same bytes, published again by anyone) a gossip duplicate that gossipsub drops before
 * the envelope layer sees it: the replay would be neither counted
 * (`bzzz_messages_rejected_total{reason="replayed"}`) nor charged to the peer that sent it,
 * and the bus's compliance suite, which the NATS and local buses pass, asks for both. With
 * `StrictSign` each publication is distinct, so every bus hears a replay and refuses it
 * itself; mesh duplicates of one publication still share one id and are dropped by gossipsub.
 * The signing cost is one Ed25519 signature per publication (a batch of up to 256 messages
 * is one publication).
 *
 * A fast message id (SHA-256 over the whole RPC message: topic, author, sequence number, data
 * and signature) lets gossipsub drop a mesh duplicate before it checks the signature again:
 * without it every copy of a message costs a verification (4 per broadcast on 3 nodes). It
 * covers the signature, so a replay (new sequence number, new signature) is still a new
 * message for the envelope layer, and no one can make a message collide with another's id.
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
import { COORDINATION_TOPIC, HMMM_TOPIC, TASKS_TOPIC } from '../../protocol/index.js';
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

/** The local id under which gossipsub remembers a received RPC message (see above). */
function fastMessageId(msg: {
  topic: string;
  from?: Uint8Array;
  seqno?: Uint8Array;
  data?: Uint8Array;
  signature?: Uint8Array;
}): string {
  const hash = createHash('sha256').update(msg.topic).update('\u0000');
  for (const part of [msg.from, msg.seqno, msg.data, msg.signature]) {
    const bytes = part ?? new Uint8Array(0);
    hash.update(String(bytes.length)).update(':').update(bytes);
  }
  return hash.digest('base64');
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
      dht: kadDHT({ clientMode: false, peerInfoMapper: removePublicAddressesMapper }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
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
