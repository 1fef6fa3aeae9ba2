/**
 * A request as the proxy reads it: straight from Node's `IncomingMessage` when
 * `@hono/node-server` serves it (no web stream for the body, no `Headers` object: together
 * they cost more CPU than the rest of the proxy), else through Hono's request (a server
 * without node bindings). The body is read up to a size cap, whatever `Content-Length` says.
 */
import type { HttpBindings } from '@hono/node-server';
import { BodyTooLargeError } from './errors.js';

export interface ProxyRequest {
  header(name: string): string | undefined;
  /** The body as text; {@link BodyTooLargeError} past `maxBytes`. */
  text(maxBytes: number): Promise<string>;
  /** Aborted when the client goes away before its reply is complete. */
  readonly signal: AbortSignal;
  /** Cuts the client's connection. */
  abort(): void;
}

/** What the proxy needs of Hono's context. */
export interface RequestContext {
  env: unknown;
  req: { header(name: string): string | undefined; text(): Promise<string>; raw: Request };
}

export function proxyRequest(c: RequestContext): ProxyRequest {
  const env = c.env as Partial<HttpBindings> | undefined;
  const incoming = env?.incoming;
  const outgoing = env?.outgoing;
  if (incoming === undefined || outgoing === undefined)
    return {
      header: (name) => c.req.header(name),
      text: async (maxBytes) => {
        const text = await c.req.text();
        if (Buffer.byteLength(text) > maxBytes) throw new BodyTooLargeError(maxBytes);
        return text;
      },
      signal: c.req.raw.signal,
      abort: () => undefined,
    };
  let controller: AbortController | undefined;
  return {
    header: (name) => {
      const value = incoming.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text: async (maxBytes) => {
      if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) throw new BodyTooLargeError(maxBytes);
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of incoming) {
        bytes += (chunk as Buffer).byteLength;
        if (bytes > maxBytes) throw new BodyTooLargeError(maxBytes);
        chunks.push(chunk as Buffer);
      }
      return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    },
    get signal() {
      if (controller === undefined) {
        const made = new AbortController();
        outgoing.once('close', () => {
          if (!outgoing.writableFinished) made.abort(new Error('the client went away'));
        });
        controller = made;
      }
      return controller.signal;
    },
    abort: () => outgoing.destroy(),
  };
}
