/**
 * The HTTP server on Hono and @hono/node-server: the node's routes, and {@link serveApp}, which
 * serves any web handler (the resolver's port uses it too).
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { describeError } from '../../lib/errors.js';
import { listen } from '../../lib/listen.js';
import type { HttpComponents, HttpInit, HttpServer } from './types.js';

function routes({ view }: HttpComponents): Hono {
  const app = new Hono();
  app.get('/health/live', (c) => c.json({ status: 'pass' }));
  app.get('/health/ready', (c) => {
    const state = view.ready();
    return c.json({ status: state.ready ? 'pass' : 'fail', reasons: state.reasons }, state.ready ? 200 : 503);
  });
  app.get('/health/checks', (c) => c.json({ checks: view.checks() }));
  app.get('/health', (c) => {
    const doc = view.health();
    return c.json(doc, doc.status === 'fail' ? 503 : 200);
  });
  app.get('/metrics', async (c) => {
    const { contentType, body } = await view.metrics();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.get('/api/v1/status', (c) => c.json(view.status()));
  app.get('/api/v1/peers', (c) => c.json(view.peers()));
  app.get('/api/v1/tasks', (c) => c.json(view.tasks()));
  app.get('/api/v1/leader', (c) => c.json(view.leader()));
  app.get('/api/v1/p2p/peers', async (c) => {
    const peers = view.p2pPeers();
    if (peers === undefined)
      return c.json({ error: 'this node is not on libp2p (it runs with BZZZ_BUS=libp2p only)' }, 404);
    return c.json(await peers);
  });
  app.get('/api/v1/cas/:hash', async (c) => {
    const state = view.casBlob(c.req.param('hash'));
    if (state === undefined)
      return c.json({ error: 'this node replicates no blobs (it runs without NATS or libp2p)' }, 404);
    const doc = await state;
    if (doc === undefined) return c.json({ error: 'not a blob hash (64 lowercase hex digits)' }, 400);
    if (doc.size === null) return c.json({ error: 'no node is known to hold this blob' }, 404);
    return c.json(doc);
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => c.json({ error: describeError(error) }, 500));
  return app;
}

export function startHttpServer(init: HttpInit, components: HttpComponents): Promise<HttpServer> {
  return serveApp(routes(components).fetch, init);
}

/**
 * A web handler: a Request in, a Response out (a Hono app's `fetch`). `env` holds the Node
 * response (`outgoing`), for a handler that must cut a response short.
 */
export type FetchHandler = (request: Request, env: NodeBindings) => Response | Promise<Response>;

/** What @hono/node-server passes beside each request (the part handlers may use). */
export interface NodeBindings {
  /** The Node response: destroying it cuts the connection. */
  outgoing: { destroy(error?: Error): unknown };
}

/**
 * Serves `fetch` on `init.host` and `init.port` (0: a free one); a port in use is a
 * `PortInUseError` naming `init.setting` (default `BZZZ_HTTP_PORT`).
 */
export async function serveApp(
  fetch: FetchHandler,
  init: HttpInit & { setting?: string },
): Promise<HttpServer> {
  const server = createAdaptorServer({
    fetch: (request: Request, env: unknown) => fetch(request, env as NodeBindings),
  }) as Server;
  const port = await listen(server, {
    port: init.port,
    host: init.host,
    service: 'HTTP',
    setting: init.setting ?? 'BZZZ_HTTP_PORT',
  });
  const failures: ((error: Error) => void)[] = [];
  server.on('error', (error) => {
    for (const listener of failures) listener(error);
  });
  let closed = false;
  const close = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    return new Promise((done) => {
      server.close(() => done());
      server.closeIdleConnections();
    });
  };
  return {
    port,
    url: `http://${init.host.includes(':') ? `[${init.host}]` : init.host}:${port}`,
    onFailure: (listener) => failures.push(listener),
    stop: close,
    kill: () => {
      server.closeAllConnections();
      void close();
    },
  };
}
