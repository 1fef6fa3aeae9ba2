/**
 * The OpenAI-compatible proxy as a service of the tree (`src/adapters/proxy/`): a child of
 * `infra` when `proxy_upstream_url` is configured, and the only child of `bzzz proxy`. Its
 * usage records go to the sink it is given (the usage store), else to the node's own
 * `<data_dir>/usage.db`, opened and closed with it.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { serviceSpec } from '../actors/service.js';
import { LocalUsageSink, openProxy, type ProxyInit, type UsageSink } from '../adapters/proxy/index.js';
import { openUsageStore } from '../adapters/usage/index.js';
import { proxyKeysFile, type Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { NonRetryableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';

export interface ProxyServiceDeps {
  logger: Logger;
  clock: Clock;
  /** The node's registry: the proxy's series join the node's `/metrics` too. */
  registry?: Registry;
  /** Where usage goes; default the node's `<data_dir>/usage.db`. */
  sink?: UsageSink;
}

/** The node's own usage records, read by `bzzz proxy usage`. */
export const localUsagePath = (config: Config): string => join(config.data_dir, 'usage.db');

/** The proxy's options from the configuration; it needs `proxy_upstream_url`. */
export function proxyInit(config: Config): ProxyInit {
  if (config.proxy_upstream_url === undefined)
    throw new NonRetryableError(
      'the proxy needs an upstream: set BZZZ_PROXY_UPSTREAM_URL (up to and including /v1)',
    );
  return {
    host: config.proxy_host,
    port: config.proxy_port,
    upstreamUrl: config.proxy_upstream_url,
    upstreamKey: config.proxy_upstream_key,
    keysFile: proxyKeysFile(config),
    pricesFile: config.proxy_prices_file,
    redisUrl: config.redis_url,
    cluster: config.cluster,
    node: config.node_name ?? hostname(),
  };
}

/** The `proxy` child; `onOpen` learns the proxy's URL (a free port's too). */
export function proxySpec(config: Config, deps: ProxyServiceDeps, onOpen?: (url: string) => void): ChildSpec {
  return serviceSpec(
    'proxy',
    async () => {
      const init = proxyInit(config);
      const owned = deps.sink === undefined ? await ownSink(config, deps) : undefined;
      const sink = deps.sink ?? owned!;
      try {
        const server = await openProxy(init, {
          clock: deps.clock,
          logger: deps.logger,
          sink,
          ...(deps.registry === undefined ? {} : { registry: deps.registry }),
        });
        onOpen?.(server.url);
        return {
          onFailure: (listener: (error: Error) => void) => server.onFailure(listener),
          stop: () => server.stop().finally(() => owned?.close()),
          kill: () => {
            server.kill();
            void Promise.resolve(owned?.close()).catch(() => undefined);
          },
        };
      } catch (error) {
        await owned?.close();
        throw error;
      }
    },
    { shutdown: 10_000 },
  );
}

/**
 * The proxy's own usage sink: the PostgreSQL usage store with `database_url` (shared by every
 * node and proxy of the cluster), else `<data_dir>/usage.db`.
 */
export async function ownSink(
  config: Config,
  components: { logger: Logger; clock: Clock },
): Promise<UsageSink & { close(): void | Promise<void> }> {
  if (config.database_url === undefined) return new LocalUsageSink(localUsagePath(config));
  const store = await openUsageStore(config, components);
  return Object.assign(store, { close: () => store.stop() });
}
