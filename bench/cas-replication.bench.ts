/**
 * `cas.replicate` and `cas.repair` (issue 15), on whole in-process nodes (the cluster's parts
 * with the content store and its replicator under `storage`, test/cas/cluster-nodes.ts).
 *
 * - `cas.replicate`: three nodes on libp2p (loopback); a fresh random 1 MiB blob is put pinned
 *   on the first, timed until the two others have stored it (their store's event), p99 over
 *   the rounds (goal ≤ 200 ms). Baseline in the same run between the same nodes: the two
 *   others each read the same bytes over a plain libp2p stream (length-prefixed, no hashing)
 *   and write them to a file. Ratio baseline p99 / ours p99 (latency: higher is better).
 *   `cas.replicate.nats`: the same on a nats-server started for the run, the baseline two raw
 *   NATS requests of 512 KiB each per receiver.
 * - `cas.repair`: four nodes on NATS; a blob held by the three placement picks; one of them
 *   (not the putter) stopped, timed until the spare node holds the blob (the factor is back),
 *   p99 over the rounds. The baseline is the dead detection measured in the same round (until
 *   a survivor's `/api/v1/peers` lists the node dead) plus the goal's 2 s, so a ratio ≥ 1 meets
 *   the goal (≤ dead detection + 2 s). A stopped node stands for a killed one: it stops beating
 *   and answering, which is what the others see of a kill -9.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { placeBlob } from '../src/actors/cas/placement.js';
import type { ContentStore } from '../src/adapters/cas/index.js';
import { startNatsServer } from '../test/helpers/nats-server.js';
import { bootstrapAddress, freePort, startCasNode, type CasNode } from '../test/cas/cluster-nodes.js';
import { hrtimeMs, latency, percentile, progress, round, type Benchmark, type Figure } from './lib.js';

const BLOB_BYTES = 1024 * 1024;
const ROUNDS = 30;
const REPAIR_ROUNDS = 3;
const RAW_PROTOCOL = '/bzzz-bench/raw/1.0.0';
const DEADLINE_MS = 60_000;
const env = { BZZZ_CAS_REANNOUNCE_MS: '30000' };

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves once `store` has stored and pinned `hash`. */
function stored(store: ContentStore, hash: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () =>
      void store.stat(hash).then((info) => {
        if (info?.pinned === true) {
          unsubscribe();
          resolve();
        }
      });
    const unsubscribe = store.subscribe((event) => {
      if (event.hash === hash) check();
    });
    check();
  });
}

async function alive(nodes: CasNode[]): Promise<void> {
  const want = nodes.length;
  for (const node of nodes)
    await until(`${node.node.name} sees ${want} live nodes`, async () => {
      const peers = (await (await fetch(`${node.url}/api/v1/peers`)).json()) as { state: string }[];
      return peers.filter((p) => p.state === 'alive').length === want ? true : undefined;
    });
}

/** ms from a put on the first node until the other two hold the blob. */
async function replicateOnce(nodes: CasNode[]): Promise<number> {
  const bytes = randomBytes(BLOB_BYTES);
  const { hashBytes } = await import('../src/adapters/cas/index.js');
  const hash = await hashBytes(bytes);
  const start = process.hrtime.bigint();
  const done = Promise.all(nodes.slice(1).map((n) => stored(n.store, hash)));
  await nodes[0]!.store.put(bytes, { pin: true });
  await done;
  return hrtimeMs(start);
}

/** A raw copy: each other node fetches the bytes over `fetchRaw` and writes them to a file. */
async function rawOnce(
  nodes: CasNode[],
  dir: string,
  fetchRaw: (n: CasNode) => Promise<Uint8Array>,
): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    nodes.slice(1).map(async (n, i) => {
      const bytes = await fetchRaw(n);
      if (bytes.length !== BLOB_BYTES) throw new Error(`raw copy of ${bytes.length} bytes`);
      await writeFile(join(dir, `raw-${i}`), bytes);
    }),
  );
  return hrtimeMs(start);
}

async function measureReplicate(
  bench: string,
  baseline: string,
  nodes: CasNode[],
  fetchRaw: (n: CasNode) => Promise<Uint8Array>,
): Promise<Figure> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-bench-raw-'));
  try {
    await alive(nodes);
    for (let i = 0; i < 3; i++) {
      await replicateOnce(nodes);
      await rawOnce(nodes, dir, fetchRaw);
    }
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 10 === 0) progress(`${bench} round ${r + 1}/${ROUNDS}`);
      if (r % 2 === 0) {
        ours.push(await replicateOnce(nodes));
        base.push(await rawOnce(nodes, dir, fetchRaw));
      } else {
        base.push(await rawOnce(nodes, dir, fetchRaw));
        ours.push(await replicateOnce(nodes));
      }
    }
    const figure = latency(bench, 'ms', percentile(ours, 99), baseline, percentile(base, 99));
    figure.extra = {
      p50_ms: round(percentile(ours, 50)),
      p99_ms: round(percentile(ours, 99)),
      baseline_p50_ms: round(percentile(base, 50)),
      goal_p99_ms: 200,
      rounds: ROUNDS,
      blob_bytes: BLOB_BYTES,
    };
    return figure;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function replicateOnLibp2p(): Promise<Figure> {
  const nodes: CasNode[] = [];
  try {
    let first: { port: number; id: string } | undefined;
    for (const name of ['b1', 'b2', 'b3']) {
      const port = await freePort();
      const bootstrap = first === undefined ? {} : { bootstrap: bootstrapAddress(first.port, first.id) };
      const node = await startCasNode(name, { kind: 'libp2p', port, ...bootstrap }, env);
      first ??= { port, id: node.node.nodeId };
      nodes.push(node);
    }
    const current = randomBytes(BLOB_BYTES);
    nodes[0]!.p2p!.follow({
      attach: async (node) => {
        await node.handle(RAW_PROTOCOL, async (stream) => {
          const lp = lpStream(stream, { maxDataLength: BLOB_BYTES });
          for (let at = 0; at < current.length; at += 256 * 1024)
            await lp.write(current.subarray(at, at + 256 * 1024));
          await stream.close();
        });
      },
      detach: async (node) => node.unhandle(RAW_PROTOCOL),
    });
    const fetchRaw = (n: CasNode) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const stop = n.p2p!.follow({
          attach: async (node) => {
            try {
              const stream = await node.dialProtocol(peerIdFromString(nodes[0]!.node.nodeId), RAW_PROTOCOL);
              const lp = lpStream(stream, { maxDataLength: BLOB_BYTES });
              const chunks: Uint8Array[] = [];
              let read = 0;
              while (read < BLOB_BYTES) {
                const chunk = (await lp.read()).subarray();
                chunks.push(chunk);
                read += chunk.length;
              }
              await stream.close();
              resolve(Buffer.concat(chunks));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            } finally {
              stop();
            }
          },
          detach: () => Promise.resolve(),
        });
      });
    return await measureReplicate('cas.replicate', 'raw libp2p stream copy + writeFile', nodes, fetchRaw);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}

async function replicateOnNats(url: string): Promise<Figure> {
  const nodes: CasNode[] = [];
  try {
    for (const name of ['n1', 'n2', 'n3']) nodes.push(await startCasNode(name, { kind: 'nats', url }, env));
    const current = randomBytes(BLOB_BYTES);
    const holder = await nodes[0]!.connector!.connection();
    const chunk = 512 * 1024;
    holder.subscribe('bench.raw', {
      callback: (_e, msg) => {
        const i = Number(new TextDecoder().decode(msg.data));
        msg.respond(current.subarray(i * chunk, (i + 1) * chunk));
      },
    });
    await holder.flush();
    const fetchRaw = async (n: CasNode) => {
      const nc = await n.connector!.connection();
      const parts: Uint8Array[] = [];
      for (let i = 0; i * chunk < BLOB_BYTES; i++)
        parts.push(
          (await nc.request('bench.raw', new TextEncoder().encode(String(i)), { timeout: 10_000 })).data,
        );
      return Buffer.concat(parts);
    };
    return await measureReplicate(
      'cas.replicate.nats',
      'raw NATS chunked request + writeFile',
      nodes,
      fetchRaw,
    );
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}

async function repairOnNats(url: string): Promise<Figure> {
  const nodes: CasNode[] = [];
  let next = 1;
  const start = () => startCasNode(`p${next++}`, { kind: 'nats', url }, env);
  try {
    for (let i = 0; i < 4; i++) nodes.push(await start());
    const ours: number[] = [];
    const detection: number[] = [];
    for (let r = 0; r < REPAIR_ROUNDS; r++) {
      progress(`cas.repair round ${r + 1}/${REPAIR_ROUNDS}`);
      await alive(nodes);
      const ids = nodes.map((n) => n.node.nodeId);
      const putter = nodes[0]!;
      let hash = '';
      let placed: string[] = [];
      // a blob whose placement holds the putter, so one node is left as the spare
      for (;;) {
        hash = (await putter.store.put(randomBytes(BLOB_BYTES), { pin: true })).hash;
        placed = placeBlob(hash, ids, 3);
        if (placed.includes(putter.node.nodeId)) break;
      }
      const holders = nodes.filter((n) => placed.includes(n.node.nodeId));
      await Promise.all(holders.map((n) => stored(n.store, hash)));
      const victim = holders.find((n) => n !== putter)!;
      const spare = nodes.find((n) => !placed.includes(n.node.nodeId))!;
      const back = stored(spare.store, hash);
      const t0 = process.hrtime.bigint();
      const detected = until('the victim declared dead', async () => {
        const peers = (await (await fetch(`${putter.url}/api/v1/peers`)).json()) as {
          id: string;
          state: string;
        }[];
        return peers.find((p) => p.id === victim.node.nodeId)?.state !== 'alive' &&
          peers.find((p) => p.id === victim.node.nodeId)?.state !== 'suspect'
          ? hrtimeMs(t0)
          : undefined;
      });
      await victim.stop();
      nodes.splice(nodes.indexOf(victim), 1);
      await back;
      ours.push(hrtimeMs(t0));
      detection.push(await detected);
      nodes.push(await start());
    }
    const goal = percentile(detection, 99) + 2_000;
    const figure = latency('cas.repair', 'ms', percentile(ours, 99), 'dead detection + 2 s', goal);
    figure.extra = {
      p50_ms: round(percentile(ours, 50)),
      dead_detection_p99_ms: round(percentile(detection, 99)),
      rounds: REPAIR_ROUNDS,
      blob_bytes: BLOB_BYTES,
    };
    return figure;
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}

const bench: Benchmark = {
  name: 'cas-replication',
  async run() {
    const figures: Figure[] = [];
    progress('cas.replicate on libp2p');
    figures.push(await replicateOnLibp2p());
    const nats = await startNatsServer();
    try {
      progress('cas.replicate.nats');
      figures.push(await replicateOnNats(nats.url));
      progress('cas.repair on NATS');
      figures.push(await repairOnNats(nats.url));
    } finally {
      await nats.stop();
    }
    return figures;
  },
};

export default bench;
