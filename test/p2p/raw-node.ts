/**
 * A libp2p node that is not bzzz: a program outside bzzz that speaks the same protocols
 * (gossipsub without signatures, each message opening with an 8-byte nonce; the
 * `/bzzz/actor/1.0.0` stream) and can send whatever bytes
 * it likes. Tests use it to inject garbage, forgeries and floods. It is written from the wire
 * format described in `src/adapters/p2p/frames.ts`, not with bzzz's code.
 */
import { randomBytes } from 'node:crypto';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { peerIdFromString } from '@libp2p/peer-id';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { lpStream } from '@libp2p/utils';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

export type RawNode = Awaited<ReturnType<typeof startRawNode>>;

/** Starts a raw node on loopback; with `psk` (a swarm key file's text) on a private network. */
export async function startRawNode(options: { psk?: string } = {}) {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(options.psk === undefined
      ? {}
      : { connectionProtector: preSharedKey({ psk: new TextEncoder().encode(options.psk) }) }),
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
      }),
    },
  });
  return {
    node,
    id: node.peerId.toString(),
    addresses: () => node.getMultiaddrs().map(String),
    dial: async (address: string) => {
      await node.dial(multiaddr(address));
    },
    /** Publishes bytes on a gossipsub topic, behind a nonce of their own as bzzz nodes do. */
    publish: async (topic: string, data: Uint8Array) => {
      const message = new Uint8Array(8 + data.length);
      message.set(randomBytes(8), 0);
      message.set(data, 8);
      await node.services.pubsub.publish(topic, message);
    },
    /** Peers it knows to be subscribed to `topic`. */
    subscribers: (topic: string) => node.services.pubsub.getSubscribers(topic).map(String),
    /** Opens an actor stream to `peer`, writes `frames` length-prefixed (or `raw` bytes as they are) and closes it. */
    sendActorStream: async (peer: string, write: { frames?: Uint8Array[]; raw?: Uint8Array }) => {
      const stream = await node.dialProtocol(peerIdFromString(peer), '/bzzz/actor/1.0.0');
      if (write.frames !== undefined) await lpStream(stream).writeV(write.frames);
      if (write.raw !== undefined) {
        stream.send(write.raw);
        await stream.onDrain();
      }
      await stream.close().catch(() => undefined);
    },
    stop: () => node.stop(),
  };
}

/** `header LF envelope`: a task discussion message or an actor frame. */
export function framed(header: string, bytes: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${header}\n`);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}
