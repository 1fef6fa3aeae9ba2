/**
 * The resolver's blob contract over HTTP, exercised with real curl: ETag and immutable
 * caching, If-None-Match (304), one Range (206 with Content-Range), a range past the end
 * (416), HEAD, JSON errors (404, 400 naming the wrong part), several ranges (the whole blob),
 * a large blob streamed whole, and a corrupt blob never served complete.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/adapters/http/index.js';
import { Resolver, startResolverServer } from '../../src/adapters/resolver/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { blobPath, flipByte } from '../compliance/cas.js';
import { curl } from './curl.js';
import { MemoryNameIndex, openStores, type Stores } from './support.js';

let stores: Stores;
let server: HttpServer;
let bytes: Buffer;
let hash: string;

beforeAll(async () => {
  stores = await openStores();
  const resolver = new Resolver(
    { cluster: 'test' },
    { store: stores.local, names: new MemoryNameIndex(), clock: systemClock, logger: silentLogger() },
  );
  server = await startResolverServer({ host: '127.0.0.1', port: 0 }, { resolver, logger: silentLogger() });
  bytes = randomBytes(1000);
  hash = (await stores.local.put(bytes)).hash;
});
afterAll(async () => {
  await server.stop();
  await stores.close();
});

const blobUrl = (h: string): string => `${server.url}/v1/blobs/${h}`;

describe('GET /v1/blobs/<hash> (curl)', () => {
  it('serves the bytes with the hash as ETag, immutable, with their length and ranges accepted', async () => {
    const got = await curl(blobUrl(hash));
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers).toMatchObject({
      etag: `"${hash}"`,
      'cache-control': 'public, max-age=31536000, immutable',
      'content-length': '1000',
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    });
  });

  it('answers 304 without a body when If-None-Match holds the ETag (strong, weak, in a list)', async () => {
    for (const tag of [`"${hash}"`, `W/"${hash}"`, `"other", "${hash}"`, '*']) {
      const got = await curl(blobUrl(hash), '-H', `If-None-Match: ${tag}`);
      expect(got.status, tag).toBe(304);
      expect(got.body.length).toBe(0);
      expect(got.headers.etag).toBe(`"${hash}"`);
    }
    expect((await curl(blobUrl(hash), '-H', 'If-None-Match: "other"')).status).toBe(200);
  });

  it('answers one range with 206 and Content-Range (a-b, a-, -n)', async () => {
    const cases: [string, number, number][] = [
      ['10-19', 10, 19],
      ['990-', 990, 999],
      ['-5', 995, 999],
      ['0-5000', 0, 999],
    ];
    for (const [spec, start, end] of cases) {
      const got = await curl(blobUrl(hash), '-H', `Range: bytes=${spec}`);
      expect(got.status, spec).toBe(206);
      expect(got.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
      expect(got.headers['content-length']).toBe(String(end - start + 1));
      expect(got.body.equals(bytes.subarray(start, end + 1)), spec).toBe(true);
    }
  });

  it('answers 416 with the size for a range past the end', async () => {
    const got = await curl(blobUrl(hash), '-H', 'Range: bytes=1000-');
    expect(got.status).toBe(416);
    expect(got.headers['content-range']).toBe('bytes */1000');
    expect(JSON.parse(got.body.toString())).toMatchObject({ error: { code: 'range_not_satisfiable' } });
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const got = await curl(blobUrl(hash), '-I');
    expect(got.status).toBe(200);
    expect(got.headers).toMatchObject({
      etag: `"${hash}"`,
      'content-length': '1000',
      'accept-ranges': 'bytes',
    });
    // with -I, curl writes the headers where the body would go: nothing else came
    expect(got.body.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    const ranged = await curl(blobUrl(hash), '-I', '-H', 'Range: bytes=0-9');
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-length']).toBe('10');
    const head = await fetch(blobUrl(hash), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('1000');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers JSON errors: 404 for a blob no one has or an unknown route, 400 naming the part', async () => {
    const missing = await curl(blobUrl('0'.repeat(64)));
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(missing.body.toString())).toMatchObject({ error: { code: 'not_found' } });
    const route = await curl(`${server.url}/v2/nothing`);
    expect(route.status).toBe(404);
    expect(JSON.parse(route.body.toString())).toMatchObject({ error: { code: 'not_found' } });
    const bad = await curl(blobUrl('ABC'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toMatchObject({ error: { code: 'bad_address', part: 'hash' } });
    const upper = await curl(blobUrl(hash.toUpperCase()));
    expect(JSON.parse(upper.body.toString())).toMatchObject({
      error: { part: 'hash', message: expect.stringMatching(/lower-case/) as string },
    });
  });

  it('serves the whole blob (200) for several ranges, and ignores a Range after a changed If-Range', async () => {
    const several = await fetch(blobUrl(hash), { headers: { range: 'bytes=0-1,5-6' } });
    expect(several.status).toBe(200);
    expect(Buffer.from(await several.arrayBuffer()).equals(bytes)).toBe(true);
    const stale = await fetch(blobUrl(hash), { headers: { range: 'bytes=0-1', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const fresh = await fetch(blobUrl(hash), { headers: { range: 'bytes=0-1', 'if-range': `"${hash}"` } });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });

  it('streams a large blob whole and any range of it', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    const { hash: bigHash } = await stores.local.put(big);
    const whole = await fetch(blobUrl(bigHash));
    expect(whole.headers.get('content-length')).toBe(String(big.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(big)).toBe(true);
    const start = 5 * 1024 * 1024 - 7;
    const part = await curl(blobUrl(bigHash), '-H', `Range: bytes=${start}-${start + 2_000_000}`);
    expect(part.status).toBe(206);
    expect(part.body.equals(big.subarray(start, start + 2_000_001))).toBe(true);
  });

  it('never serves a corrupt blob complete: the body ends short of its length', async () => {
    const victim = randomBytes(300_000);
    const { hash: victimHash } = await stores.local.put(victim);
    await flipByte(blobPath(stores.localDir, victimHash), 150_000);
    const got = await curl(blobUrl(victimHash));
    expect(got.status).toBe(200);
    expect(got.exit).toBe(18);
    expect(got.body.length).toBeLessThan(victim.length);
  });
});
