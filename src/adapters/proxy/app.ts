/**
 * The proxy's routes on Hono: `POST /v1/chat/completions`, `GET /v1/models` (both for a
 * virtual key: `Authorization: Bearer <key>`), `GET /metrics` and `GET /health/live`. Every
 * refusal is an OpenAI-style error body; anything unexpected is a 500 whose message went
 * through the redactor, logged, never a crash.
 */
import { Hono, type Context } from 'hono';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { handleChat, type ChatDeps } from './chat.js';
import { ProxyRequestError, UnauthorizedError } from './errors.js';
import type { KeyRing, VirtualKey } from './keys.js';
import { UNKNOWN, type ProxyMetrics } from './metrics.js';
import { proxyRequest } from './node-io.js';
import { readCapped, upstreamFailure } from './upstream-reply.js';

export interface AppDeps extends ChatDeps {
  keys: KeyRing;
  metrics: ProxyMetrics;
  logger: Logger;
  maxBodyBytes: number;
}

type Env = { Variables: { key: VirtualKey; model: string } };

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

function refusal(c: Context<Env>, error: ProxyRequestError): Response {
  return c.json(error.body(), error.status as 400, error.headers);
}

export function proxyApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/health/live', (c) => c.json({ status: 'pass' }));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.metrics.text();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.use('/v1/*', async (c, next) => {
    const match = BEARER.exec(proxyRequest(c).header('authorization') ?? '');
    if (match === null)
      throw new UnauthorizedError('missing virtual key: send it as `Authorization: Bearer <key>`');
    const key = await deps.keys.lookup(match[1]!);
    if (key === undefined)
      throw new UnauthorizedError('unknown virtual key (make one with `bzzz proxy key add`)');
    c.set('key', key);
    await next();
  });
  app.post('/v1/chat/completions', async (c) => {
    const request = proxyRequest(c);
    return handleChat(deps, {
      key: c.get('key'),
      body: await request.text(deps.maxBodyBytes),
      header: (name) => request.header(name),
      signal: request.signal,
      onModel: (model) => c.set('model', model),
      abort: () => request.abort(),
    });
  });
  app.get('/v1/models', async (c) => {
    const scope = deps.upstream.scope(proxyRequest(c).signal);
    try {
      const reply = await deps.upstream.models(scope);
      if (reply.status < 200 || reply.status >= 300) return await upstreamFailure(reply, deps.redact);
      return new Response(deps.redact(await readCapped(reply.body, 16 * 1024 * 1024)), {
        status: reply.status,
        headers: { 'content-type': 'application/json' },
      });
    } finally {
      scope.dispose();
    }
  });
  app.notFound((c) =>
    refusal(
      c,
      new ProxyRequestError(
        404,
        'invalid_request_error',
        'unknown_url',
        `no route ${c.req.method} ${c.req.path}`,
      ),
    ),
  );
  app.onError((error, c) => {
    const known = error instanceof ProxyRequestError;
    const status = known ? error.status : 500;
    if (c.req.path === '/v1/chat/completions')
      deps.metrics.request(c.get('key')?.name ?? UNKNOWN, c.get('model') ?? UNKNOWN, status);
    if (known) return refusal(c, error);
    const message = deps.redact(describeError(error));
    deps.logger.error({ err: message, path: c.req.path }, 'proxy: request failed');
    return c.json({ error: { message, type: 'server_error', param: null, code: 'internal_error' } }, 500);
  });
  return app;
}
