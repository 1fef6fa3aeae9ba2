/**
 * The resolver (issue 16) over HTTP, each figure against a raw baseline in the same run, one
 * keep-alive connection, requests one at a time:
 * - `resolve.http`: p99 of `GET /v1/resolve` for a semantic name held in the in-process cache
 *   (goal ≤ 2 ms), vs a `node:http` server answering a static JSON document of the same size.
 * - `resolve.http.redis`: the same with the in-process cache off, every answer from a real
 *   redis-server, vs the same static server.
 * - `resolve.http.replica`: p99 of `GET /v1/blobs/<hash>` for 64 KiB blobs only a replica
 *   holds (each fetched once: verified, served, kept), vs the same blobs served once local.
 *   The replica is a second content store in this process behind the BlobFetcher: the figure
 *   is the resolver's cost of a replica fetch, not a network's.
 */
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContentStore, type ContentStore } from '../src/adapters/cas/index.js';
import type { HttpServer } from '../src/adapters/http/index.js';
import { BoundedRedis } from '../src/adapters/redis/index.js';
import { Resolver, startResolverServer, type ResolverInit } from '../src/adapters/resolver/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import { generateIdentity } from '../src/protocol/identity.js';
import { MemoryNameIndex } from '../test/fakes/memory-names.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { latency, median, percentile, progress, round, type Benchmark, type Figure } from './lib.js';

const NAMES = 3_000;
const BLOBS = 300;
const ROUNDS = 3;
const NAME = 'bzzz://*:*@demo~calc:1/log';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET on the keep-alive connection; resolves with the status once the body is read. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Milliseconds of each GET of `urls`, one at a time; a status other than 200 fails the run. */
async function timed(urls: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const url of urls) {
    const t0 = process.hrtime.bigint();
    const status = await get(url);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (status !== 200) throw new Error(`GET ${url}: HTTP ${status}`);
  }
  return out;
}

async function open(dir: string): Promise<ContentStore> {
  const store = createContentStore({ dataDir: dir }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  return store;
}

function staticServer(body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc`, server }),
    ),
  );
}

interface Setup {
  local: ContentStore;
  replica: ContentStore;
  names: MemoryNameIndex;
}

async function serve(setup: Setup, init: Partial<ResolverInit>, redis?: BoundedRedis): Promise<HttpServer> {
  const resolver = new Resolver(
    { cluster: 'bench', ...init },
    {
      store: setup.local,
      names: setup.names,
      redis,
      fetcher: async (hash) => ((await setup.replica.has(hash)) ? setup.replica.get(hash) : undefined),
      clock: systemClock,
      logger: silentLogger(),
    },
  );
  return startResolverServer({ host: '127.0.0.1', port: 0 }, { resolver, logger: silentLogger() });
}

/** p99 (and p50) of the cached name and of the static baseline, median over rounds. */
async function names(setup: Setup, redis: BoundedRedis | undefined): Promise<Record<string, number>> {
  const server = await serve(setup, redis === undefined ? {} : { memoryTtlMs: 0 }, redis);
  const url = `${server.url}/v1/resolve?addr=${encodeURIComponent(NAME)}`;
  const doc = await (await fetch(url)).text();
  const baseline = await staticServer(doc);
  try {
    const ours: number[][] = [];
    const base: number[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await timed(Array(200).fill(url) as string[]);
      ours.push(await timed(Array(NAMES).fill(url) as string[]));
      base.push(await timed(Array(NAMES).fill(baseline.url) as string[]));
    }
    const m = (runs: number[][], p: number): number => median(runs.map((x) => percentile(x, p)));
    return { p99: m(ours, 99), p50: m(ours, 50), baseP99: m(base, 99), baseP50: m(base, 50) };
  } finally {
    await server.stop();
    await new Promise((r) => baseline.server.close(r));
  }
}

/** p99 of blobs fetched from the replica, then of the same blobs once local. */
async function replica(setup: Setup): Promise<Record<string, number>> {
  const server = await serve(setup, {});
  try {
    const hashes: string[] = [];
    for (let i = 0; i < BLOBS; i++) hashes.push((await setup.replica.put(randomBytes(64 * 1024))).hash);
    const urls = hashes.map((h) => `${server.url}/v1/blobs/${h}`);
    const fetched = await timed(urls);
    for (const h of hashes) while (!(await setup.local.has(h))) await new Promise((r) => setTimeout(r, 10));
    const local = await timed(urls);
    return {
      p99: percentile(fetched, 99),
      p50: percentile(fetched, 50),
      baseP99: percentile(local, 99),
      baseP50: percentile(local, 50),
    };
  } finally {
    await server.stop();
  }
}

const bench: Benchmark = {
  name: 'resolve',
  async run() {
    const work = await mkdtemp(join(tmpdir(), 'bzzz-bench-resolve-'));
    const redisServer = await startRedisServer();
    const redis = new BoundedRedis(
      { url: redisServer.url, timeoutMs: 1_000 },
      { logger: silentLogger(), clock: systemClock },
    );
    const setup: Setup = {
      local: await open(join(work, 'local')),
      replica: await open(join(work, 'replica')),
      names: new MemoryNameIndex(),
    };
    try {
      await redis.start();
      const log = await setup.local.put(
        Buffer.from(JSON.stringify({ steps: [{ command: 'npm test', exit: 0 }] })),
      );
      const node = generateIdentity().nodeId;
      for (let i = 0; i < 3; i++)
        setup.names.publish({
          node,
          nodeName: `node-${i}`,
          agent: `agent-${i}`,
          roles: ['typescript'],
          task: 'local:demo/calc#1',
          path: 'log',
          value: log.hash,
          size: log.size,
          seq: i + 1,
        });
      progress('resolve.http: a cached name');
      const memory = await names(setup, undefined);
      progress('resolve.http.redis: a name from Redis');
      const fromRedis = await names(setup, redis);
      progress('resolve.http.replica: blobs from a replica');
      const fetched = await replica(setup);
      const figure = (bench: string, unit: string, r: Record<string, number>, baseline: string): Figure => ({
        ...latency(bench, unit, r.p99!, baseline, r.baseP99!),
        extra: { p50_ms: round(r.p50!), baseline_p50_ms: round(r.baseP50!) },
      });
      return [
        figure('resolve.http', 'ms p99', memory, 'node:http GET of a static JSON of the same size'),
        figure('resolve.http.redis', 'ms p99', fromRedis, 'node:http GET of a static JSON of the same size'),
        figure('resolve.http.replica', 'ms p99', fetched, 'the same 64 KiB blobs served locally'),
      ];
    } finally {
      redis.stop();
      await Promise.all([setup.local.stop(), setup.replica.stop()]);
      await redisServer.stop();
      await rm(work, { recursive: true, force: true });
    }
  },
};

export default bench;
