/**
 * The bzzz:// resolver as a service of the node (issue 16, SPEC §14): its own HTTP port
 * (`resolver_port`, 3003; 0 picks a free one, logged), reading this node's content store,
 * names through the name index when one is given (else names answer 404 "not available"),
 * blobs this node lacks through the fetcher (the CAS replicator's repair source:
 * `fetcherFromRepairSource(repairs.repair)`), and name resolutions cached in Redis when
 * `redis_url` is set. Its {@link Resolver} is made up front, so the MCP server can share it. A
 * port already taken (another node of the host holds 3003) does not stop the node: it logs why
 * and runs without a resolver, as it does without an MCP server.
 */
import { Counter } from 'prom-client';
import { serviceSpec } from '../actors/service.js';
import type { ContentStore } from '../adapters/cas/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import { PortInUseError } from '../lib/listen.js';
import type { BlobFetcher, TaskNameIndex } from '../adapters/names/index.js';
import { BoundedRedis } from '../adapters/redis/index.js';
import { Resolver, startResolverServer, type ResolverMetrics } from '../adapters/resolver/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import type { NodeMetrics } from './metrics.js';

export interface ResolverServiceInit {
  config: Config;
  /** The node's content store (a child of `storage`, started before this service). */
  store: ContentStore;
  names?: TaskNameIndex | undefined;
  fetcher?: BlobFetcher | undefined;
}

export interface ResolverService {
  /** The child `resolver` (put it after the content store, e.g. first in `work`). */
  readonly spec: ChildSpec;
  readonly resolver: Resolver;
  /** The server's URL while it runs. */
  url(): string | undefined;
}

export function resolverService(
  init: ResolverServiceInit,
  components: { logger: Logger; clock: Clock; metrics?: NodeMetrics | undefined },
): ResolverService {
  const { config } = init;
  const logger = components.logger.child({ component: 'resolver' });
  const redis =
    config.redis_url === undefined
      ? undefined
      : new BoundedRedis(
          {
            url: config.redis_url,
            degradedMessage: 'redis cache of the resolver degraded; names from the index',
          },
          { logger, clock: components.clock },
        );
  const resolver = new Resolver(
    { cluster: config.cluster },
    {
      store: init.store,
      names: init.names,
      fetcher: init.fetcher,
      redis,
      clock: components.clock,
      logger,
      ...(components.metrics === undefined ? {} : { metrics: resolverSeries(components.metrics) }),
    },
  );
  let server: HttpServer | undefined;
  const spec = serviceSpec('resolver', async () => {
    await redis?.start();
    let started: HttpServer;
    try {
      started = await startResolverServer(
        { host: config.http_host, port: config.resolver_port },
        { resolver, logger },
      );
    } catch (error) {
      redis?.stop();
      // one way in among several: a port another node of this host holds does not stop this one
      if (!(error instanceof PortInUseError)) throw error;
      logger.error({ port: config.resolver_port }, `${error.message}: this node runs without a resolver`);
      return { stop: () => Promise.resolve() };
    }
    server = started;
    logger.info({ url: started.url, names: resolver.namesAvailable }, 'resolver listening');
    const release = (): void => {
      server = undefined;
      redis?.stop();
    };
    return {
      onFailure: (listener: (error: Error) => void) => started.onFailure(listener),
      stop: async () => {
        await started.stop();
        release();
      },
      kill: () => {
        started.kill();
        release();
      },
    };
  });
  return { spec, resolver, url: () => server?.url };
}

/** The resolver as a child of the node's tree (see {@link resolverService}). */
export function resolverSpec(
  init: ResolverServiceInit,
  components: { logger: Logger; clock: Clock; metrics?: NodeMetrics | undefined },
): ChildSpec {
  return resolverService(init, components).spec;
}

function resolverSeries(metrics: NodeMetrics): ResolverMetrics {
  const registers = [metrics.registry];
  const resolved = new Counter({
    name: 'bzzz_resolver_resolutions_total',
    help: 'Addresses resolved, by kind (blob, actor, names) or error',
    labelNames: ['kind'],
    registers,
  });
  const cache = new Counter({
    name: 'bzzz_resolver_cache_total',
    help: 'Lookups of the resolver’s name cache, by layer (memory, redis) and outcome',
    labelNames: ['layer', 'outcome'],
    registers,
  });
  const fetches = new Counter({
    name: 'bzzz_resolver_replica_fetches_total',
    help: 'Blobs the resolver fetched from a replica, by outcome (ok, missing, mismatch, error)',
    labelNames: ['outcome'],
    registers,
  });
  return {
    resolved: (kind) => resolved.inc({ kind }),
    cache: (layer, outcome) => cache.inc({ layer, outcome }),
    replicaFetch: (outcome) => fetches.inc({ outcome }),
  };
}
