/**
 * The resolver's names over HTTP (fetch and curl): `/v1/resolve` as JSON, the
 * `/v1/tasks/<task>/<path>` shortcut serving the newest match's bytes with a type that fits
 * the path, `pr` as a redirect, 404 JSON for what nothing answers; and blobs this node lacks
 * served from a replica, verified, with the replica's wrong bytes refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/adapters/http/index.js';
import { Resolver, startResolverServer, type ResolverComponents } from '../../src/adapters/resolver/index.js';
import { hashBytes } from '../../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually } from '../helpers/cli.js';
import { curl } from './curl.js';
import { MemoryNameIndex, NODE_B, openStores, record, storeTree, type Stores } from './support.js';

let stores: Stores;
let names: MemoryNameIndex;
const servers: HttpServer[] = [];
let url: string;
let forged: string;
const LOG = '{"steps":[{"command":"npm test","exit":0}]}';
const DIFF = 'diff --git a/x b/x\n+1\n';

async function serve(extra: Partial<ResolverComponents> = {}): Promise<string> {
  const resolver = new Resolver(
    { cluster: 'test' },
    {
      store: stores.local,
      names,
      fetcher: stores.fetcher,
      clock: systemClock,
      logger: silentLogger(),
      ...extra,
    },
  );
  const server = await startResolverServer(
    { host: '127.0.0.1', port: 0 },
    { resolver, logger: silentLogger() },
  );
  servers.push(server);
  return server.url;
}

beforeAll(async () => {
  stores = await openStores();
  names = new MemoryNameIndex();
  const log = await stores.local.put(Buffer.from(LOG));
  const diff = await stores.replica.put(Buffer.from(DIFF));
  const { tree } = await storeTree(stores.local, { 'src/calc.ts': 'export {};\n', 'docs/notes': 'plain\n' });
  names.publish(record({ path: 'log', value: log.hash, size: log.size, seq: 5 }));
  names.publish(
    record({
      node: NODE_B,
      nodeName: 'beta',
      agent: 'beta',
      path: 'log',
      value: log.hash,
      size: log.size,
      seq: 2,
    }),
  );
  names.publish(record({ path: 'diff', value: diff.hash, size: diff.size, seq: 5 }));
  names.publish(record({ path: 'tree', value: tree, seq: 5 }));
  names.publish(record({ path: 'pr', value: 'https://forge.example/demo/calc/pull/9', seq: 5 }));
  url = await serve();
  forged = await serve({ fetcher: () => Promise.resolve(Buffer.from('forged')) });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await stores.close();
});

describe('GET /v1/resolve', () => {
  it('answers a name with every match, newest first, and the newest one’s hash and size', async () => {
    const response = await fetch(
      `${url}/v1/resolve?addr=${encodeURIComponent('bzzz://*:*@demo~calc:1/log')}`,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { kind: string; size: number; matches: { nodeName: string }[] };
    expect(body).toMatchObject({ addr: 'bzzz://*:*@demo~calc:1/log', kind: 'names', size: LOG.length });
    expect(body.matches.map((m) => m.nodeName)).toEqual(['alpha', 'beta']);
  });

  it('answers 400 naming the part, and 404 JSON for a name nothing answers (curl)', async () => {
    const bad = await curl(`${url}/v1/resolve?addr=${encodeURIComponent('bzzz://*:*@demo~calc:x/log')}`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toMatchObject({ error: { code: 'bad_address', part: 'number' } });
    const missing = await curl(`${url}/v1/resolve`);
    expect(JSON.parse(missing.body.toString())).toMatchObject({ error: { part: 'address' } });
    const unknown = await curl(`${url}/v1/resolve?addr=${encodeURIComponent('bzzz://*:*@demo~calc:77/log')}`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString())).toEqual({
      error: { code: 'not_found', message: 'no record answers bzzz://*:*@demo~calc:77/log' },
    });
  });

  it('says names are not available on a resolver without a name index', async () => {
    const bare = await serve({ names: undefined });
    const got = await curl(`${bare}/v1/resolve?addr=${encodeURIComponent('bzzz://*:*@demo~calc:1/log')}`);
    expect(got.status).toBe(404);
    expect(JSON.parse(got.body.toString())).toMatchObject({
      error: {
        code: 'names_unavailable',
        message: expect.stringMatching(/names are not available/) as string,
      },
    });
  });
});

describe('GET /v1/tasks/<owner>~<repo>:<n>/<path>', () => {
  it('serves the transcript as JSON with its blob as ETag and location', async () => {
    const got = await curl(`${url}/v1/tasks/demo~calc:1/log`);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe(LOG);
    const hash = await hashBytes(Buffer.from(LOG));
    expect(got.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      etag: `"${hash}"`,
      'content-location': `/v1/blobs/${hash}`,
      'cache-control': 'public, max-age=5',
    });
    const again = await curl(`${url}/v1/tasks/demo~calc:1/log`, '-H', `If-None-Match: "${hash}"`);
    expect(again.status).toBe(304);
  });

  it('serves the diff as text/x-diff (fetched from the replica), a file by its type, a range', async () => {
    const diff = await curl(`${url}/v1/tasks/demo~calc:1/diff`);
    expect(diff.status).toBe(200);
    expect(diff.headers['content-type']).toBe('text/x-diff; charset=utf-8');
    expect(diff.body.toString()).toBe(DIFF);
    const file = await curl(`${url}/v1/tasks/demo~calc:1/src/calc.ts`);
    expect(file.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(file.body.toString()).toBe('export {};\n');
    const plain = await curl(`${url}/v1/tasks/demo~calc:1/docs/notes`, '-H', 'Range: bytes=0-2');
    expect(plain.status).toBe(206);
    expect(plain.headers['content-type']).toBe('application/octet-stream');
    expect(plain.body.toString()).toBe('pla');
  });

  it('redirects pr to the pull request, with the URL as JSON', async () => {
    const got = await curl(`${url}/v1/tasks/demo~calc:1/pr`);
    expect(got.status).toBe(302);
    expect(got.headers.location).toBe('https://forge.example/demo/calc/pull/9');
    expect(JSON.parse(got.body.toString())).toEqual({ url: 'https://forge.example/demo/calc/pull/9' });
  });

  it('answers 404 JSON for a task with no records and 400 for a bad task id', async () => {
    const none = await curl(`${url}/v1/tasks/demo~calc:2/log`);
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body.toString())).toMatchObject({ error: { code: 'not_found' } });
    const bad = await curl(`${url}/v1/tasks/demo-calc:2/log`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toMatchObject({ error: { code: 'bad_address', part: 'repo' } });
  });
});

describe('blobs from a replica', () => {
  it('serves a blob only the replica holds, with the same headers, and keeps it', async () => {
    const bytes = randomBytes(200_000);
    const { hash } = await stores.replica.put(bytes);
    const got = await curl(`${url}/v1/blobs/${hash}`);
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers).toMatchObject({ etag: `"${hash}"`, 'content-length': '200000' });
    await eventually(() => stores.local.stat(hash), 20_000, 'the blob kept locally');
    const ranged = await fetch(`${url}/v1/blobs/${hash}`, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
  });

  it('refuses a replica’s wrong bytes: 502 JSON, nothing served, nothing kept', async () => {
    const hash = await hashBytes(randomBytes(64));
    const got = await curl(`${forged}/v1/blobs/${hash}`);
    expect(got.status).toBe(502);
    expect(JSON.parse(got.body.toString())).toMatchObject({ error: { code: 'bad_replica' } });
    expect(await stores.local.has(hash)).toBe(false);
  });
});
