/**
 * The blob transfer port on its real media: libp2p nodes on loopback (`/bzzz/blob/1.0.0`) and
 * a real nats-server (chunked request/reply). A fetch returns the holder's bytes; a missing
 * blob, a hostile holder (a lying header, extra bytes, garbage) and an oversized blob are named
 * errors; a hostile request gets `bad_request` and the holder keeps serving; a holder sending
 * corrupt bytes is refused by `putVerified` and the replicator takes the blob from another.
 */
import { randomBytes } from 'node:crypto';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CasReplicator, type BlobHeld } from '../../src/actors/cas/replicator.js';
import {
  BlobTransferError,
  NATS_CHUNK_BYTES,
  type BlobTransfer,
} from '../../src/adapters/blob-transfer/index.js';
import type { ContentStore } from '../../src/adapters/cas/index.js';
import { createBlobTransfer, type BlobTransferMedium } from '../../src/node/cas-parts.js';
import { createNatsConnector, type NatsConnector } from '../../src/adapters/nats/index.js';
import type { P2PNode } from '../../src/adapters/p2p/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { BLOB_PROTOCOL, blobSubject, generateIdentity } from '../../src/protocol/index.js';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { startNode, type TestNode } from '../p2p/helpers.js';
import { openStore, type OpenedStore } from './support.js';

const logger = silentLogger();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function drain(bytes: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A store that serves flipped bytes: a holder with a corrupt copy it does not notice. */
function corrupting(store: ContentStore): Pick<ContentStore, 'stat' | 'get' | 'read'> {
  const flip = (bytes: Uint8Array) => {
    const copy = Uint8Array.from(bytes);
    copy[copy.length - 1]! ^= 0x01;
    return copy;
  };
  return {
    stat: (hash) => store.stat(hash),
    get: async (hash) => flip(await store.get(hash)),
    read: async (hash) => {
      const bytes = flip(await store.get(hash));
      return (async function* () {
        yield bytes;
      })();
    },
  };
}

interface Holder {
  id: string;
  opened: OpenedStore;
  transfer: BlobTransfer;
}

/** Media for the suite: each makes a node id's medium, started. */
interface Media {
  name: string;
  medium(id: string): Promise<{ id: string; medium: BlobTransferMedium }>;
}

async function holder(
  media: Media,
  options: { corrupt?: boolean; maxBlobBytes?: number } = {},
): Promise<Holder> {
  const opened = await openStore();
  cleanups.push(() => opened.close());
  const { id, medium } = await media.medium('');
  const transfer = createBlobTransfer(
    {
      cluster: 'repl',
      nodeId: id,
      ...(options.maxBlobBytes === undefined ? {} : { maxBlobBytes: options.maxBlobBytes }),
    },
    { store: options.corrupt === true ? corrupting(opened.store) : opened.store, logger },
    medium,
  );
  await transfer.start();
  cleanups.push(() => transfer.stop());
  return { id, opened, transfer };
}

function suite(media: () => Media) {
  it('fetches a blob of several chunks, the same bytes', { timeout: 60_000 }, async () => {
    const [a, b] = [await holder(media()), await holder(media())];
    const bytes = randomBytes(NATS_CHUNK_BYTES * 2 + 12_345);
    const { hash } = await b.opened.store.put(bytes, { pin: true });
    const fetched = await eventually(() => a.transfer.fetch(b.id, hash), 20_000, 'a fetch');
    expect(fetched.size).toBe(bytes.length);
    const stored = await a.opened.store.putVerified(hash, fetched.bytes, { pin: true });
    expect(stored.hash).toBe(hash);
    expect(Buffer.from(await a.opened.store.get(hash)).equals(bytes)).toBe(true);
    // the empty blob too
    const empty = await b.opened.store.put(new Uint8Array(), { pin: true });
    const none = await a.transfer.fetch(b.id, empty.hash);
    expect(none.size).toBe(0);
    expect((await drain(none.bytes)).length).toBe(0);
  });

  it(
    'names a blob the holder does not have, and a holder too large to accept',
    { timeout: 60_000 },
    async () => {
      const a = await holder(media(), { maxBlobBytes: 1_000 });
      const b = await holder(media());
      await eventually(
        async () => {
          const error = await a.transfer.fetch(b.id, 'f'.repeat(64)).catch((e: unknown) => e);
          return (error as BlobTransferError).failure === 'not_found' ? error : undefined;
        },
        20_000,
        'not_found',
      );
      const { hash } = await b.opened.store.put(randomBytes(5_000), { pin: true });
      const error = await a.transfer.fetch(b.id, hash).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobTransferError);
      expect((error as BlobTransferError).failure).toBe('too_large');
    },
  );

  it(
    'refuses corrupt bytes at putVerified; the replicator takes them from a good holder',
    { timeout: 60_000 },
    async () => {
      const bad = await holder(media(), { corrupt: true });
      const good = await holder(media());
      const fetcher = await holder(media());
      const bytes = randomBytes(300_000);
      const { hash } = await good.opened.store.put(bytes, { pin: true });
      await bad.opened.store.put(bytes, { pin: true });
      const direct = await eventually(() => fetcher.transfer.fetch(bad.id, hash), 20_000, 'a fetch');
      const refused = await fetcher.opened.store.putVerified(hash, direct.bytes).catch((e: unknown) => e);
      expect((refused as Error).name).toBe('HashMismatchError');
      expect(await fetcher.opened.store.has(hash)).toBe(false);

      const heard = new Set<(from: string, blob: BlobHeld) => void>();
      let badCopies = 0;
      const replicator = new CasReplicator(
        { nodeId: fetcher.id, replicas: 3 },
        {
          store: fetcher.opened.store,
          transfer: fetcher.transfer,
          clock: systemClock,
          logger,
          metrics: { badCopy: () => badCopies++ },
          announcer: {
            publish: () => undefined,
            subscribe: (handler) => {
              heard.add(handler);
              return () => heard.delete(handler);
            },
          },
          membership: {
            states: () => new Map([bad.id, good.id, fetcher.id].map((id) => [id, 'alive'])),
            subscribe: () => () => undefined,
          },
        },
      );
      await replicator.start();
      cleanups.push(() => replicator.stop());
      // the corrupt holder is heard first, so it is asked first
      for (const handler of heard) handler(bad.id, { hash, size: bytes.length });
      for (const handler of heard) handler(good.id, { hash, size: bytes.length });
      await eventually(
        async () => ((await fetcher.opened.store.stat(hash))?.pinned ? true : undefined),
        30_000,
        'held',
      );
      expect(Buffer.from(await fetcher.opened.store.get(hash)).equals(bytes)).toBe(true);
      expect(badCopies).toBe(1);
    },
  );
}

describe('over libp2p', () => {
  const nodes: TestNode[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });
  const p2pNodes = new Map<string, P2PNode>();
  const media = (): Media => ({
    name: 'libp2p',
    medium: async () => {
      const first = nodes[0];
      const node = await startNode({
        ...(first === undefined ? {} : { bootstrap: [first.p2p.addresses()[0]!] }),
        cluster: 'repl',
      });
      nodes.push(node);
      p2pNodes.set(node.identity.nodeId, node.p2p);
      return { id: node.identity.nodeId, medium: { kind: 'libp2p', p2p: node.p2p } };
    },
  });
  suite(media);

  it(
    'names a holder that breaks the protocol, and answers a hostile request',
    { timeout: 60_000 },
    async () => {
      const a = await holder(media());
      const hostile = await startNode({ bootstrap: [nodes[0]!.p2p.addresses()[0]!] });
      nodes.push(hostile);
      const answers: Uint8Array[][] = [];
      let next = 0;
      hostile.p2p.follow({
        attach: async (node) => {
          await node.handle(BLOB_PROTOCOL, async (stream) => {
            const lp = lpStream(stream);
            await lp.read();
            for (const frame of answers[next++] ?? []) await lp.write(frame);
            await stream.close().catch(() => undefined);
          });
        },
        detach: () => Promise.resolve(),
      });
      const hash = 'e'.repeat(64);
      const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
      answers.push([json({ nonsense: true })]);
      answers.push([json({ size: 4 }), new Uint8Array(8)]);
      answers.push([new Uint8Array([0xff, 0xfe])]);
      for (let i = 0; i < 3; i++) {
        const failure = await (async () => {
          try {
            await drain((await a.transfer.fetch(hostile.identity.nodeId, hash)).bytes);
            return 'none';
          } catch (error) {
            return (error as BlobTransferError).failure;
          }
        })();
        expect(failure).toBe('protocol');
      }

      // a hostile request to a real holder: answered bad_request, and the holder still serves
      const b = await holder(media());
      const { hash: real } = await b.opened.store.put(randomBytes(1_000), { pin: true });
      const raw = p2pNodes.get(a.id)!;
      let answer = '';
      let failed: unknown;
      const stop = raw.follow({
        attach: async (node) => {
          try {
            const address = multiaddr(p2pNodes.get(b.id)!.addresses()[0]);
            const stream = await node.dialProtocol(address, BLOB_PROTOCOL);
            const lp = lpStream(stream);
            await lp.write(new TextEncoder().encode('{"hash": "../../etc/passwd"}'));
            answer = new TextDecoder().decode((await lp.read()).subarray());
            await stream.close();
          } catch (error) {
            failed = error;
          }
        },
        detach: () => Promise.resolve(),
      });
      await eventually(() => (answer === '' && failed === undefined ? undefined : true), 20_000, 'an answer');
      expect(failed).toBeUndefined();
      stop();
      expect(JSON.parse(answer)).toEqual({ error: 'bad_request' });
      expect((await drain((await a.transfer.fetch(b.id, real)).bytes)).length).toBe(1_000);
    },
  );
});

describe('over NATS', () => {
  let nats: NatsServerHandle;
  const connectors: NatsConnector[] = [];
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });
  const connect = async (): Promise<NatsConnector> => {
    const connector = createNatsConnector({ servers: nats.url }, { logger, clock: systemClock });
    const resource = await connector.open();
    await connector.connection(AbortSignal.timeout(20_000));
    cleanups.push(() => resource.stop());
    connectors.push(connector);
    return connector;
  };
  const media = (): Media => ({
    name: 'nats',
    medium: async () => ({
      id: generateIdentity().nodeId,
      medium: { kind: 'nats', connector: await connect() },
    }),
  });
  suite(media);

  it(
    'names a holder that breaks the protocol, and answers a hostile request',
    { timeout: 60_000 },
    async () => {
      const a = await holder(media());
      const hostileId = generateIdentity().nodeId;
      const nc = await (await connect()).connection();
      const replies: Uint8Array[] = [];
      const frame = (header: unknown, bytes: Uint8Array) => {
        const json = new TextEncoder().encode(JSON.stringify(header));
        const out = new Uint8Array(2 + json.length + bytes.length);
        new DataView(out.buffer).setUint16(0, json.length);
        out.set(json, 2);
        out.set(bytes, 2 + json.length);
        return out;
      };
      replies.push(new Uint8Array([1, 2, 3, 4, 5]));
      replies.push(frame({ size: 10, chunks: 1 }, new Uint8Array(3)));
      replies.push(frame({ size: NATS_CHUNK_BYTES * 3, chunks: 1 }, new Uint8Array(0)));
      let next = 0;
      nc.subscribe(blobSubject('repl', hostileId), {
        callback: (_e, msg) => {
          msg.respond(replies[next++]);
        },
      });
      await nc.flush();
      for (let i = 0; i < 3; i++) {
        const failure = await (async () => {
          try {
            await drain((await a.transfer.fetch(hostileId, 'e'.repeat(64))).bytes);
            return 'none';
          } catch (error) {
            return (error as BlobTransferError).failure;
          }
        })();
        expect(failure).toBe('protocol');
      }
      const b = await holder(media());
      const reply = await nc.request(blobSubject('repl', b.id), new TextEncoder().encode('{"hash":1}'), {
        timeout: 10_000,
      });
      expect(new TextDecoder().decode(reply.data.subarray(2))).toContain('bad_request');
      const { hash } = await b.opened.store.put(randomBytes(2_000), { pin: true });
      expect((await drain((await a.transfer.fetch(b.id, hash)).bytes)).length).toBe(2_000);
    },
  );
});
