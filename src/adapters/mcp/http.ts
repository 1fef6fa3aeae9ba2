/**
 * The MCP server on Streamable HTTP (`POST|GET|DELETE /mcp`), with sessions: a client's
 * `initialize` opens one (its own MCP server, made for the access its token grants), and every
 * later request names it in `Mcp-Session-Id` and carries the same access. Everything refused
 * before a session sees it gets a JSON-RPC error with an HTTP status: 401 with
 * `WWW-Authenticate: Bearer` without a valid token, 403 for a foreign host or origin on a
 * server without tokens, 404 for an unknown session, 400 for a body that is not JSON-RPC, 413
 * for a body over the limit, 503 when the sessions are all taken.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../../lib/errors.js';
import { listen } from '../../lib/listen.js';
import { Tokens, loopbackRequest } from './auth.js';
import { BodyNotJsonError, BodyTooLargeError, readJsonBody, replyError } from './http-replies.js';
import { createSessionServer } from './server.js';
import { SessionTable } from './sessions.js';
import { Subscriptions } from './subscriptions.js';
import type { Access, McpComponents, McpHttpServer, McpInit } from './types.js';

export const MCP_PATH = '/mcp';

interface Edge {
  tokens: Tokens;
  sessions: SessionTable;
  subscriptions: Subscriptions;
  components: McpComponents;
  maxBodyBytes: number;
}

/** Opens the server; throws `PortInUseError` or `McpTokenFileError` (neither retryable). */
export async function startMcpHttpServer(init: McpInit, components: McpComponents): Promise<McpHttpServer> {
  const { logger, clock, backend } = components;
  const tokens = await Tokens.load(init);
  const host = tokens.required ? (init.host ?? '0.0.0.0') : '127.0.0.1';
  if (!tokens.required)
    logger.warn(
      { host, asked: init.host },
      'MCP server without a token file: listening on 127.0.0.1 only (set BZZZ_MCP_TOKEN_FILE to serve other hosts)',
    );
  const subscriptions = new Subscriptions({ logger });
  const sessions = new SessionTable({
    max: init.maxSessions ?? 64,
    idleMs: init.sessionIdleMs ?? 30 * 60_000,
    clock,
    logger,
    subscriptions,
  });
  const edge: Edge = {
    tokens,
    sessions,
    subscriptions,
    components,
    maxBodyBytes: init.maxBodyBytes ?? 1 << 20,
  };
  const server = createServer((req, res) => {
    handle(edge, req, res).catch((error: unknown) => {
      logger.warn({ err: describeError(error), method: req.method }, 'MCP request failed');
      replyError(res, 500, -32603, 'Internal error');
    });
  });
  await listen(server, { port: init.port, host, service: 'MCP', setting: 'BZZZ_MCP_PORT' });
  const unwatch = backend.onTaskChange((key) => subscriptions.changed(key));
  return served(server, host, { sessions, unwatch });
}

function served(
  server: Server,
  host: string,
  parts: { sessions: SessionTable; unwatch: () => void },
): McpHttpServer {
  const port = (server.address() as AddressInfo).port;
  const failures: ((error: Error) => void)[] = [];
  server.on('error', (error) => {
    for (const listener of failures) listener(error);
  });
  let closing: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (closing ??= (async () => {
      parts.unwatch();
      await parts.sessions.closeAll();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      });
    })());
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port,
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}${MCP_PATH}`,
    sessions: () => parts.sessions.size,
    onFailure: (listener) => failures.push(listener),
    stop,
    kill: () => {
      server.closeAllConnections();
      void stop();
    },
  };
}

async function handle(edge: Edge, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== MCP_PATH) return replyError(res, 404, -32601, `not found: the MCP endpoint is ${MCP_PATH}`);
  const access = authorize(edge, req, res);
  if (access === undefined) return;
  const id = req.headers['mcp-session-id'];
  if (typeof id === 'string') return forward(edge, access, id, req, res);
  if (req.method !== 'POST') {
    if (req.method === 'GET' || req.method === 'DELETE')
      return replyError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    return replyError(res, 405, -32000, 'Method not allowed', { allow: 'GET, POST, DELETE' });
  }
  const body = await readBody(edge, req, res);
  if (body === undefined) return;
  if (!isInitializeRequest(body))
    return replyError(
      res,
      400,
      -32000,
      'Bad Request: no session: send initialize first (without Mcp-Session-Id)',
    );
  if (!edge.sessions.hasRoom())
    return replyError(res, 503, -32000, 'Too many MCP sessions open: close one (DELETE) or try later', {
      'retry-after': '5',
    });
  const made = createSessionServer(access, { ...edge.components, subscriptions: edge.subscriptions });
  const { transport, settled } = await edge.sessions.open(access, made);
  res.on('close', settled);
  try {
    await transport.handleRequest(req, res, body);
  } finally {
    settled();
  }
}

/** A request of an open session, handed to its transport. */
async function forward(
  edge: Edge,
  access: Access,
  id: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const session = edge.sessions.get(id);
  if (session === undefined) return replyError(res, 404, -32001, 'Session not found: initialize a new one');
  if (session.access !== access)
    return replyError(res, 403, -32000, 'Forbidden: this session was opened with another token');
  let body: unknown;
  if (req.method === 'POST') {
    body = await readBody(edge, req, res);
    if (body === undefined) return;
  }
  const over = edge.sessions.begin(session);
  res.on('close', over);
  try {
    await session.transport.handleRequest(req, res, body);
  } finally {
    if (req.method !== 'GET') over();
  }
}

/** The access the request's token grants, or undefined once refused (401 or 403). */
function authorize(edge: Edge, req: IncomingMessage, res: ServerResponse): Access | undefined {
  if (!edge.tokens.required) {
    if (loopbackRequest(req.headers.host, req.headers.origin)) return 'read-write';
    replyError(res, 403, -32000, 'Forbidden: this MCP server serves loopback clients only (no token file)');
    return undefined;
  }
  const access = edge.tokens.access(req.headers.authorization);
  if (access !== undefined) return access;
  const presented = req.headers.authorization !== undefined;
  replyError(
    res,
    401,
    -32001,
    presented ? 'Unauthorized: invalid bearer token' : 'Unauthorized: bearer token required',
    {
      'www-authenticate': presented ? 'Bearer realm="bzzz", error="invalid_token"' : 'Bearer realm="bzzz"',
    },
  );
  return undefined;
}

/** The JSON body, or undefined once refused (413, 400). */
async function readBody(edge: Edge, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  try {
    const body = await readJsonBody(req, edge.maxBodyBytes);
    if (body === undefined || body === null) throw new BodyNotJsonError('empty');
    return body;
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      replyError(res, 413, -32000, error.message, { connection: 'close' });
    else if (error instanceof BodyNotJsonError) replyError(res, 400, -32700, error.message);
    else throw error;
    return undefined;
  }
}
