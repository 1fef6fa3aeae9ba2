/**
 * The content store (issue 15), each figure against a raw baseline in the same run, medians
 * of 3 rounds:
 * - `cas.put`: 1 MiB incompressible blobs one at a time, MB/s, vs hash-wasm BLAKE3 plus
 *   `writeFile` of the same bytes; `cas.put.parallel`: 8 puts in flight (the worker pool), vs
 *   the same single-threaded raw baseline.
 * - `cas.get`: verified reads of those blobs vs `readFile` + BLAKE3.
 * - `cas.small`: 4 KiB puts per second vs raw `writeFile` (the index's and fsync's cost).
 * - `cas.cache`: p99 of a cached 4 KiB get through a real redis-server, vs the same get from
 *   disk without the cache (ratio disk over cache: above 1 when the cache pays).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBLAKE3 } from 'hash-wasm';
import { createContentStore, type ContentStore } from '../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import {
  hrtimeMs,
  latency,
  median,
  percentile,
  progress,
  throughput,
  type Benchmark,
  type Figure,
} from './lib.js';

const MIB = 1024 * 1024;
const BLOBS = 48;
const SMALL = 1_000;
const ROUNDS = 3;

async function blake3(bytes: Uint8Array): Promise<string> {
  const h = await createBLAKE3(256);
  h.init();
  h.update(bytes);
  return h.digest('hex');
}

async function open(dir: string, redisUrl?: string): Promise<ContentStore> {
  const store = createContentStore(
    { dataDir: dir, ...(redisUrl === undefined ? {} : { redisUrl, cacheTimeoutMs: 500 }) },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  return store;
}

/** MB/s of `op` over `blobs`, `inFlight` at once. */
async function rate(
  blobs: Buffer[],
  inFlight: number,
  op: (b: Buffer, i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < blobs.length) {
        const i = next++;
        await op(blobs[i]!, i);
      }
    }),
  );
  return (blobs.length * blobs[0]!.length) / 1e6 / (hrtimeMs(t0) / 1000);
}

async function round(work: string): Promise<Record<string, number>> {
  const blobs = Array.from({ length: BLOBS }, () => randomBytes(MIB));
  const small = Array.from({ length: SMALL }, () => randomBytes(4096));
  const store = await open(join(work, 'store'));
  const raw = join(work, 'raw');
  await rm(raw, { recursive: true, force: true });
  await import('node:fs/promises').then((f) => f.mkdir(raw, { recursive: true }));
  try {
    const rawPut = await rate(blobs, 1, async (b, i) => {
      await blake3(b);
      await writeFile(join(raw, `b${i}`), b);
    });
    const put = await rate(blobs, 1, (b) => store.put(b));
    const hashes = await Promise.all(blobs.map(async (b) => blake3(b)));
    const parallelBlobs = blobs.map((b) => Buffer.from(b.map((x) => x ^ 1)));
    const putParallel = await rate(parallelBlobs, 8, (b) => store.put(b));
    const rawGet = await rate(blobs, 1, async (_b, i) => blake3(await readFile(join(raw, `b${i}`))));
    const get = await rate(blobs, 1, (_b, i) => store.get(hashes[i]!));
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < SMALL; i++) await writeFile(join(raw, `s${i}`), small[i]!);
    const rawSmall = SMALL / (hrtimeMs(t0) / 1000);
    t0 = process.hrtime.bigint();
    for (const s of small) await store.put(s);
    const putSmall = SMALL / (hrtimeMs(t0) / 1000);
    return { rawPut, put, putParallel, rawGet, get, rawSmall, putSmall };
  } finally {
    await store.stop();
    await rm(join(work, 'store'), { recursive: true, force: true });
  }
}

async function cache(work: string): Promise<Figure> {
  const redis = await startRedisServer();
  const plain = await open(join(work, 'plain'));
  const cached = await open(join(work, 'cached'), redis.url);
  try {
    const blobs = Array.from({ length: 200 }, () => randomBytes(4096));
    const hashes = await Promise.all(
      blobs.map(async (b) => (await plain.put(b), (await cached.put(b)).hash)),
    );
    for (const h of hashes) await cached.get(h);
    const time = async (store: ContentStore): Promise<number[]> => {
      const out: number[] = [];
      for (let r = 0; r < 5; r++)
        for (const h of hashes) {
          const t0 = process.hrtime.bigint();
          await store.get(h);
          out.push(hrtimeMs(t0));
        }
      return out;
    };
    const disk = await time(plain);
    const viaCache = await time(cached);
    return {
      ...latency(
        'cas.cache',
        'ms p99',
        percentile(viaCache, 99),
        'the same get from disk, no cache',
        percentile(disk, 99),
      ),
      extra: { cache_p50_ms: percentile(viaCache, 50), disk_p50_ms: percentile(disk, 50) },
    };
  } finally {
    await cached.stop();
    await plain.stop();
    await redis.stop();
  }
}

const bench: Benchmark = {
  name: 'cas',
  async run() {
    const work = await mkdtemp(join(tmpdir(), 'bzzz-bench-cas-'));
    try {
      const rounds: Record<string, number>[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        progress(`cas round ${r + 1}/${ROUNDS}`);
        rounds.push(await round(work));
      }
      const m = (k: string): number => median(rounds.map((r) => r[k]!));
      progress('cas cache');
      return [
        throughput('cas.put', 'MB/s', m('put'), 'hash-wasm BLAKE3 + writeFile', m('rawPut')),
        throughput(
          'cas.put.parallel',
          'MB/s',
          m('putParallel'),
          'hash-wasm BLAKE3 + writeFile, one at a time',
          m('rawPut'),
        ),
        throughput('cas.get', 'MB/s', m('get'), 'readFile + BLAKE3', m('rawGet')),
        throughput('cas.small', 'puts/s', m('putSmall'), 'writeFile of 4 KiB', m('rawSmall')),
        await cache(work),
      ];
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

export default bench;
