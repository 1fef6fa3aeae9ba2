/**
 * A libp2p node that is not bzzz but speaks kad-dht and `/bzzz/name/1.0.0`: its DHT accepts any
 * record in the `bzzz` namespace (so it stores and serves forgeries), and it answers name
 * requests with whatever the test tells it to. Written from the frame format described in
 * `src/adapters/p2p/name-wire.ts`, not with bzzz's code.
 */
import { identify } from '@libp2p/identify';
import { kadDHT, removePublicAddressesMapper } from '@libp2p/kad-dht';
import { noise } from '@libp2p/noise';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { lpStream } from '@libp2p/utils';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

const NAME_PROTOCOL = '/bzzz/name/1.0.0';

/** What the raw node answers to a name request: bytes of its choosing, or nothing at all. */
export type RawAnswer = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'silent' };

export type RawDhtNode = Awaited<ReturnType<typeof startRawDhtNode>>;

export async function startRawDhtNode() {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        clientMode: false,
        peerInfoMapper: removePublicAddressesMapper,
        validators: { bzzz: () => undefined },
        selectors: { bzzz: () => 0 },
      }),
    },
  });
  let answer: RawAnswer = { kind: 'silent' };
  let asked = 0;
  await node.handle(NAME_PROTOCOL, (stream) => {
    asked++;
    const lp = lpStream(stream);
    void (async () => {
      try {
        await lp.read();
        if (answer.kind === 'silent') return; // holds the stream open, answers nothing
        await lp.write(answer.bytes);
        await stream.close();
      } catch {
        stream.abort(new Error('raw node: stream failed'));
      }
    })();
  });
  return {
    id: node.peerId.toString(),
    dial: async (address: string) => {
      await node.dial(multiaddr(address));
    },
    /** Name requests it received so far. */
    asked: () => asked,
    answer: (next: RawAnswer) => {
      answer = next;
    },
    /** Puts raw bytes under a raw key into the DHT (its own store and its closest peers). */
    put: async (key: string, value: Uint8Array) => {
      for await (const _ of node.services.dht.put(Buffer.from(key, 'utf8'), value)) {
        // drain the query
      }
    },
    /** Sends one `/bzzz/name/1.0.0` request frame to `peer` and returns the response frame's text. */
    request: async (peer: string, frame: object): Promise<string> => {
      const stream = await node.dialProtocol(peerIdFromString(peer), NAME_PROTOCOL);
      const lp = lpStream(stream);
      await lp.write(Buffer.from(JSON.stringify(frame), 'utf8'));
      const response = Buffer.from((await lp.read()).subarray()).toString('utf8');
      await stream.close().catch(() => undefined);
      return response;
    },
    stop: () => node.stop(),
  };
}
