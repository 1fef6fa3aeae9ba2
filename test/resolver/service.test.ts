/**
 * The resolver as a child of a node's tree: it listens on `resolver_port` (0: a free port),
 * serves the node's store, counts on the node's /metrics, uses Redis when `redis_url` is set,
 * and a port already taken stops the node with an error that names BZZZ_RESOLVER_PORT.
 */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, SimulatedClock, silentLogger, systemClock } from '../../src/lib/index.js';
import { BzzzNode } from '../../src/node/node.js';
import { NodeMetrics } from '../../src/node/metrics.js';
import { resolverService } from '../../src/node/resolver.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { curl } from './curl.js';
import { MemoryNameIndex, record } from './support.js';

let dir: string;
let store: ContentStore;
let redis: RedisServerHandle;
const nodes: BzzzNode[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-resolver-node-'));
  store = createContentStore({ dataDir: join(dir, 'store') }, { logger: silentLogger(), clock: systemClock });
  await store.start();
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
afterAll(async () => {
  await store.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(env: Record<string, string>) {
  return loadConfig({
    env: {
      BZZZ_HTTP_PORT: '0',
      BZZZ_DATA_DIR: join(dir, `node-${nodes.length}`),
      BZZZ_NODE_NAME: 'n1',
      ...env,
    },
    cwd: dir,
  });
}

describe('the resolver service', () => {
  it('runs in the node’s tree on a free port, serving the store and names, counted on /metrics', async () => {
    const { hash } = await store.put(Buffer.from('{"steps":[]}'));
    const names = new MemoryNameIndex();
    names.publish(record({ path: 'log', value: hash, size: 12, seq: 1 }));
    const cfg = config({ BZZZ_RESOLVER_PORT: '0', BZZZ_REDIS_URL: redis.url });
    const metrics = new NodeMetrics({ node: 'n1', cluster: cfg.cluster });
    const service = resolverService(
      { config: cfg, store, names },
      // the simulated clock holds the in-process cache's entries until advanced
      { logger: silentLogger(), clock: new SimulatedClock(), metrics },
    );
    const node = await BzzzNode.start(cfg, { metrics, work: [service.spec] });
    nodes.push(node);
    const base = service.url()!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const blob = await curl(`${base}/v1/blobs/${hash}`);
    expect(blob.status).toBe(200);
    const log = await curl(`${base}/v1/tasks/demo~calc:1/log`);
    expect(log.body.toString()).toBe('{"steps":[]}');
    await expect(service.resolver.resolve('bzzz://*:*@demo~calc:1/log')).resolves.toMatchObject({ hash });
    const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
    expect(text).toMatch(/bzzz_resolver_resolutions_total\{kind="names"[^}]*\} [1-9]/);
    expect(text).toMatch(/bzzz_resolver_cache_total\{layer="memory",outcome="hit"[^}]*\} [1-9]/);
  });

  it('runs the node without a resolver, saying why, when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    try {
      const cfg = config({ BZZZ_RESOLVER_PORT: String(port) });
      const service = resolverService(
        { config: cfg, store },
        { logger: createLogger({ destination }), clock: systemClock },
      );
      const node = await BzzzNode.start(cfg, { work: [service.spec] });
      try {
        expect(service.url()).toBeUndefined();
        expect(lines.join('')).toMatch(/BZZZ_RESOLVER_PORT.*this node runs without a resolver/);
      } finally {
        await node.stop();
      }
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
