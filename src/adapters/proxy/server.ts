/**
 * Opening the proxy: its keys and prices read (a bad file stops it from opening, naming the
 * file), its limiter connected, its server listening. What it returns is the `Resource` the
 * node's tree (or `bzzz proxy`) holds: `stop` lets the replies in flight finish, `kill`
 * cuts them.
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { listen } from '../../lib/listen.js';
import { Accountant } from './accountant.js';
import { proxyApp } from './app.js';
import { KeyRing } from './keys.js';
import { MemoryRateLimiter, type RateLimiter } from './limiter.js';
import { ProxyMetrics } from './metrics.js';
import { loadPriceTable } from './pricing.js';
import { redactorFor } from './redact.js';
import { RedisRateLimiter } from './redis-limiter.js';
import type { ProxyComponents, ProxyInit, ProxyServer } from './types.js';
import { Upstream } from './upstream.js';

async function openLimiter(init: ProxyInit, components: ProxyComponents): Promise<RateLimiter> {
  if (init.redisUrl === undefined) return new MemoryRateLimiter(components.clock);
  const limiter = new RedisRateLimiter({ redisUrl: init.redisUrl, prefix: init.cluster }, components);
  await limiter.start();
  return limiter;
}

/** Starts the proxy; resolves once it listens. */
export async function openProxy(init: ProxyInit, components: ProxyComponents): Promise<ProxyServer> {
  const { clock, logger, sink } = components;
  const keys = new KeyRing(init.keysFile, components);
  await keys.load();
  if (keys.policy.keys.size === 0)
    logger.warn(
      { file: init.keysFile },
      'proxy: no virtual keys yet, every request gets 401 (add one: bzzz proxy key add)',
    );
  const prices = await loadPriceTable(init.pricesFile);
  const redact = redactorFor(init.upstreamKey);
  const metrics = new ProxyMetrics(components.registry);
  const limiter = await openLimiter(init, components);
  const upstream = new Upstream(
    { url: init.upstreamUrl, key: init.upstreamKey, timeoutMs: init.upstreamTimeoutMs },
    clock,
    redact,
  );
  const app = proxyApp({
    keys,
    policy: () => keys.policy,
    sink,
    limiter,
    metrics,
    logger,
    clock,
    redact,
    node: init.node,
    maxBodyBytes: init.maxBodyBytes ?? 16 * 1024 * 1024,
    upstream,
    accountant: new Accountant({ sink, prices, limiter, metrics, clock, logger }),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // clients keep connections between model calls: closing them first would race their reuse
  server.keepAliveTimeout = 65_000;
  let port: number;
  try {
    port = await listen(server, {
      port: init.port,
      host: init.host,
      service: 'proxy',
      setting: 'BZZZ_PROXY_PORT',
    });
  } catch (error) {
    upstream.close();
    await limiter.close();
    throw error;
  }
  const failures: ((error: Error) => void)[] = [];
  server.on('error', (error) => {
    for (const listener of failures) listener(error);
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((done) => {
      server.close(() => done());
      server.closeIdleConnections();
    }).then(() => {
      upstream.close();
      return limiter.close();
    }));
  const host = init.host.includes(':') ? `[${init.host}]` : init.host;
  logger.info(
    { url: `http://${host}:${port}/v1`, upstream: new URL(init.upstreamUrl).host },
    'proxy listening',
  );
  return {
    port,
    url: `http://${host}:${port}`,
    onFailure: (listener) => failures.push(listener),
    stop: close,
    kill: () => {
      server.closeAllConnections();
      void close();
    },
  };
}
