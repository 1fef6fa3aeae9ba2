/** The resolver's HTTP server on its own port (`BZZZ_RESOLVER_PORT`, 3003; 0: a free port). */
import { serveApp, type HttpServer } from '../http/index.js';
import type { Logger } from '../../lib/log.js';
import { resolverRoutes } from './http-routes.js';
import type { Resolver } from './resolver.js';

export interface ResolverServerInit {
  host: string;
  port: number;
}

export function startResolverServer(
  init: ResolverServerInit,
  components: { resolver: Resolver; logger: Logger },
): Promise<HttpServer> {
  const app = resolverRoutes(components.resolver, components.logger);
  return serveApp((request, env) => app.fetch(request, env), { ...init, setting: 'BZZZ_RESOLVER_PORT' });
}
