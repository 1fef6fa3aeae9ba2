/**
 * The resolver's HTTP port (SPEC §14), `/v1`:
 * - `GET /v1/resolve?addr=ADDR`: the {@link Resolution} as JSON;
 * - `GET|HEAD /v1/blobs/<hash>`: the blob's bytes, immutable (http-blob.ts), from a replica
 *   when this node does not hold it;
 * - `GET|HEAD /v1/tasks/<owner>~<repo>:<n>/<path>`: the shortcut for
 *   `bzzz://*:*@<owner>~<repo>:<n>/<path>`, serving the newest match's bytes (cacheable for a
 *   few seconds only: a newer record may come); `pr` answers 302 to the pull request's URL,
 *   with `{ "url" }` as the body.
 * Errors are JSON `{ "error": { "code", "message", "part"? } }`: 400 names the wrong part of
 * the address, 404 for what nothing answers, 502 for a replica's wrong bytes.
 */
import { Hono } from 'hono';
import { InvalidBzzzUrlError } from '../../protocol/bzzz-url.js';
import type { NodeBindings } from '../http/index.js';
import type { Logger } from '../../lib/log.js';
import { BadAddressError, NotFoundError, errorAnswer } from './errors.js';
import { contentTypeOf, OCTET_STREAM, sniffs } from './http-content-type.js';
import { blobResponse, IMMUTABLE } from './http-blob.js';
import { parse, type Resolver } from './resolver.js';

const TASKS = '/v1/tasks/';
/** How long a client may keep a task path's answer (a newer record may replace it). */
const TASK_CACHE = 'public, max-age=5';

export function resolverRoutes(resolver: Resolver, logger: Logger): Hono {
  const app = new Hono();
  app.get('/v1/resolve', async (c) => {
    const addr = c.req.query('addr');
    if (addr === undefined)
      throw new BadAddressError(new InvalidBzzzUrlError('', 'address', 'missing: give ?addr=bzzz://...'));
    return c.json(await resolver.resolve(addr));
  });
  app.get('/v1/blobs/:hash', async (c) => {
    const url = parse(`bzzz://blob/${c.req.param('hash')}`);
    if (url.kind !== 'blob')
      throw new BadAddressError(new InvalidBzzzUrlError(c.req.param('hash'), 'hash', 'not a hash'));
    const blob = await resolver.locateBlob(url.hash);
    return blobResponse(c.req.raw, resolver, {
      blob,
      contentType: OCTET_STREAM,
      cacheControl: IMMUTABLE,
      onBroken: cut(c.env, blob.hash, logger),
    });
  });
  app.get(`${TASKS}*`, async (c) => {
    const rest = new URL(c.req.url).pathname.slice(TASKS.length);
    const resolution = await resolver.resolve(`bzzz://*:*@${rest}`);
    const newest = resolution.matches?.[0];
    if (newest?.url !== undefined)
      return c.json({ url: newest.url }, 302, { location: newest.url, 'cache-control': TASK_CACHE });
    if (newest?.hash === undefined) throw new NotFoundError(`no blob answers ${resolution.addr}`);
    const blob = await resolver.locateBlob(newest.hash);
    const head = sniffs(newest.path) ? await resolver.headOf(blob) : undefined;
    return blobResponse(c.req.raw, resolver, {
      blob,
      contentType: contentTypeOf(newest.path, head),
      cacheControl: TASK_CACHE,
      headers: { 'content-location': `/v1/blobs/${blob.hash}` },
      onBroken: cut(c.env, blob.hash, logger),
    });
  });
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((error, c) => {
    const { status, body } = errorAnswer(error);
    if (status >= 500) logger.warn({ err: error, path: c.req.path }, 'resolver request failed');
    return c.json(body, status);
  });
  return app;
}

/** Cuts the connection of a response whose blob failed mid-stream (see http-blob.ts). */
function cut(env: unknown, hash: string, logger: Logger): ((error: unknown) => void) | undefined {
  const outgoing = (env as Partial<NodeBindings> | undefined)?.outgoing;
  if (outgoing === undefined) return undefined;
  return (error) => {
    logger.warn({ err: error, hash }, 'a blob failed while it was served; the response was cut short');
    outgoing.destroy();
  };
}
