/**
 * Three whole nodes replicate a pinned blob (issue 15), once on a real nats-server and once on
 * real libp2p nodes on loopback: a blob pinned on one reaches all three, `GET /api/v1/cas/<hash>`
 * lists the holders, `/metrics` shows the replication series; a node stopped for good is
 * declared dead and a fourth node takes its place, so the factor is back to 3.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContentStore } from '../../src/adapters/cas/index.js';
import { blobProviderKey } from '../../src/adapters/p2p/index.js';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import {
  bootstrapAddress,
  casState,
  freePort,
  startCasNode,
  storeOf,
  type CasNode,
  type Medium,
} from './cluster-nodes.js';

const DEADLINE_MS = 60_000;
const FAST = { BZZZ_CAS_REANNOUNCE_MS: '500' };

const nodes: CasNode[] = [];
const stores: ContentStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.stop()));
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function holders(node: CasNode, hash: string): Promise<string[] | undefined> {
  const { status, body } = await casState(node.url, hash);
  return status === 200 ? body.holders?.slice().sort() : undefined;
}

/**
 * Puts a pinned blob through the node's own store (`node`: the replicator hears the store's
 * event) or through another store on its data dir (`data-dir`: as `bzzz cas put` does; the
 * replicator finds it when it next walks the store).
 */
async function pinBlob(node: CasNode, bytes: Uint8Array, via: 'node' | 'data-dir'): Promise<string> {
  if (via === 'node') return (await node.store.put(bytes, { pin: true })).hash;
  const store = storeOf(node.config);
  stores.push(store);
  await store.start();
  return (await store.put(bytes, { pin: true })).hash;
}

async function replicatesToAll(
  start: (name: string, index: number) => Promise<CasNode>,
  via: 'node' | 'data-dir' = 'node',
) {
  for (const [i, name] of ['r1', 'r2', 'r3'].entries()) nodes.push(await start(name, i));
  const ids = nodes.map((n) => n.node.nodeId).sort();
  const bytes = randomBytes(1024 * 1024);
  const hash = await pinBlob(nodes[0]!, bytes, via);
  for (const node of nodes)
    await eventually(
      async () => ((await holders(node, hash))?.join() === ids.join() ? true : undefined),
      DEADLINE_MS,
      `${node.node.name} sees three holders`,
      () => 'holders not all known',
    );
  // every copy is the same bytes, read verified from each node's own store
  for (const node of nodes.slice(1)) {
    const store = storeOf(node.config);
    stores.push(store);
    await store.start();
    expect(Buffer.from(await store.get(hash)).equals(bytes)).toBe(true);
    expect((await store.stat(hash))?.pinned).toBe(true);
  }
  const state = await casState(nodes[2]!.url, hash);
  expect(state.body).toMatchObject({ hash, size: bytes.length, pinned: true, wanted: 3 });
  const metrics = await (await fetch(`${nodes[1]!.url}/metrics`)).text();
  expect(metrics).toMatch(/bzzz_cas_under_replicated\{[^}]*\} 0/);
  expect(metrics).toMatch(/bzzz_cas_replications_total\{[^}]*outcome="ok"[^}]*\} 1/);
  expect(metrics).toMatch(/bzzz_cas_blobs\{[^}]*\} 1/);
  expect(metrics).toMatch(new RegExp(`bzzz_cas_bytes\\{[^}]*\\} ${bytes.length}`));
  return hash;
}

describe('replication on NATS', () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });
  const medium = (): Medium => ({ kind: 'nats', url: nats.url });

  it('brings a pinned 1 MiB blob to all three nodes', { timeout: 120_000 }, async () => {
    await replicatesToAll((name) => startCasNode(name, medium(), FAST));
  });

  it(
    'brings the factor back to 3 when a holder stops for good and a fourth node joins',
    { timeout: 180_000 },
    async () => {
      const hash = await replicatesToAll((name) => startCasNode(name, medium(), FAST), 'data-dir');
      const gone = nodes.pop()!;
      const goneId = gone.node.nodeId;
      await gone.stop();
      nodes.push(await startCasNode('r4', medium(), FAST));
      const ids = nodes.map((n) => n.node.nodeId).sort();
      await eventually(
        async () => ((await holders(nodes[0]!, hash))?.join() === ids.join() ? true : undefined),
        DEADLINE_MS * 2,
        'r1 sees r1, r2 and r4 hold the blob',
      );
      expect(await holders(nodes[0]!, hash)).not.toContain(goneId);
      const metrics = await (await fetch(`${nodes[2]!.url}/metrics`)).text();
      expect(metrics).toMatch(/bzzz_cas_under_replicated\{[^}]*\} 0/);
    },
  );

  it('answers a bad hash and an unknown blob with one line', async () => {
    nodes.push(await startCasNode('solo', medium(), FAST));
    const bad = await casState(nodes[0]!.url, 'nothex');
    expect(bad.status).toBe(400);
    const unknown = await casState(nodes[0]!.url, 'a'.repeat(64));
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toContain('no node is known to hold this blob');
  });
});

describe('replication on libp2p', () => {
  it(
    'brings a pinned 1 MiB blob to all three nodes over /bzzz/blob/1.0.0',
    { timeout: 120_000 },
    async () => {
      let first: { port: number; id: string } | undefined;
      const hash = await replicatesToAll(async (name) => {
        const port = await freePort();
        const node = await startCasNode(
          name,
          {
            kind: 'libp2p',
            port,
            ...(first === undefined ? {} : { bootstrap: bootstrapAddress(first.port, first.id) }),
          },
          FAST,
        );
        first ??= { port, id: node.node.nodeId };
        return node;
      });
      // the first holder published a provider record for the blob's CID in the DHT
      const cid = blobProviderKey(hash);
      const providers = new Set<string>();
      await eventually(
        () =>
          new Promise<true | undefined>((resolve) => {
            const stop = nodes[2]!.p2p!.follow({
              attach: async (node) => {
                try {
                  for await (const provider of node.contentRouting.findProviders(cid, {
                    signal: AbortSignal.timeout(5_000),
                  }))
                    providers.add(provider.id.toString());
                } catch {
                  // a lookup cut short by its deadline: what it found counts
                } finally {
                  stop();
                  resolve(providers.has(nodes[0]!.node.nodeId) ? true : undefined);
                }
              },
              detach: () => Promise.resolve(),
            });
          }),
        DEADLINE_MS,
        'the first holder is a provider of the blob in the DHT',
        () =>
          `providers found: ${[...providers].join(', ')}; nodes ${nodes.map((n) => n.node.nodeId).join(', ')}`,
      );
    },
  );
});
