/**
 * The HTTP edge of the MCP server, on a backend of fixed rows (no node): a server without a
 * token file (loopback only, says so, turns away foreign hosts and web origins), malformed and
 * misdirected requests (a JSON-RPC error each, and the server goes on), the bounded number of
 * sessions, idle sessions closed on the (simulated) clock, pagination, and the tools whose
 * node part is missing.
 */
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  startMcpHttpServer,
  type McpBackend,
  type McpHttpServer,
  type TaskRow,
} from '../../src/adapters/mcp/index.js';
import { SimulatedClock, systemClock, type Clock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { connect } from './support.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function row(key: string, state = 'working'): TaskRow {
  return {
    key,
    state,
    holder: null,
    branch: null,
    pr: null,
    reason: null,
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

const ROWS = [12, 3, 1, 10, 2].map((n) => row(`local:demo/app#${n}`));

function fixedBackend(): McpBackend {
  return {
    forge: 'local',
    status: () => ({ cluster: 'c', self: { id: 'n', name: 'n' }, leader: null, nodes: [], tasks: [] }),
    tasks: () => ROWS,
    task: () => Promise.resolve(undefined),
    releaseTask: (key) => Promise.resolve({ key, released: false, holder: null, token: null }),
    helpRequests: () => [],
    answerHelp: () => Promise.resolve(),
    onTaskChange: () => () => undefined,
  };
}

async function start(
  init: { maxSessions?: number; sessionIdleMs?: number } = {},
  clock: Clock = systemClock,
  logs?: string[],
): Promise<McpHttpServer> {
  const logger =
    logs === undefined
      ? silentLogger()
      : pino(
          { level: 'warn' },
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              logs.push(chunk.toString());
              done();
            },
          }),
        );
  const server = await startMcpHttpServer(
    { port: 0, host: '0.0.0.0', ...init },
    { backend: fixedBackend(), logger, clock },
  );
  closers.push(() => server.stop());
  return server;
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
}

/** A POST through node:http, which (unlike fetch) sends the `Host` header it is given. */
function rawPost(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...HEADERS, ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('an MCP server without a token file', () => {
  it('listens on loopback only, says so, and serves a loopback client read-write', async () => {
    const logs: string[] = [];
    const server = await start({}, systemClock, logs);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(logs.join('')).toContain('listening on 127.0.0.1 only');
    const client = await connect(server.url);
    closers.push(() => client.close());
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('release_task');
    // a node without a resolver or names says so rather than failing
    const resolved = await client.callTool({ name: 'resolve', arguments: { address: 'bzzz://blob/00' } });
    expect(resolved).toMatchObject({ isError: true });
    expect(JSON.stringify(resolved.content)).toContain('no bzzz:// resolver');
    const created = await client.callTool({ name: 'create_task', arguments: { title: 'x' } });
    expect(JSON.stringify(created.content)).toContain('cannot create tasks');
    await expect(client.readResource({ uri: 'bzzz://*:*@demo~app:1/log' })).rejects.toMatchObject({
      code: -32002,
    });
  });

  it('turns away a foreign Host or a web page of another origin (DNS rebinding)', async () => {
    const server = await start();
    expect(await rawPost(server.url, JSON.stringify(INITIALIZE), { host: 'evil.example' })).toBe(403);
    expect(await rawPost(server.url, JSON.stringify(INITIALIZE), { host: 'localhost:1' })).toBe(200);
    const page = await post(server.url, JSON.stringify(INITIALIZE), { origin: 'http://evil.example' });
    expect(page.status).toBe(403);
    expect(await page.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    const local = await post(server.url, JSON.stringify(INITIALIZE), { origin: 'http://localhost:8080' });
    expect(local.status).toBe(200);
  });
});

describe('malformed and misdirected requests', () => {
  it('get a JSON-RPC error each, and the server goes on serving', async () => {
    const server = await start({});
    const cases: [Promise<Response>, number, number][] = [
      [post(server.url, '{not json'), 400, -32700],
      [post(server.url, ''), 400, -32700],
      [post(server.url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })), 400, -32000],
      [post(server.url, JSON.stringify([INITIALIZE, INITIALIZE])), 400, -32000],
      [
        post(server.url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }), {
          'mcp-session-id': 'nope',
        }),
        404,
        -32001,
      ],
      [fetch(server.url, { headers: { accept: 'text/event-stream' } }), 400, -32000],
      [fetch(server.url, { method: 'PUT', body: '{}' }), 405, -32000],
      [fetch(server.url.replace('/mcp', '/other'), { method: 'POST', body: '{}' }), 404, -32601],
      [post(server.url, JSON.stringify({ pad: 'x'.repeat(2 << 20) })), 413, -32000],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code } });
    }
    // a session that gets garbage keeps working
    const client = await connect(server.url);
    closers.push(() => client.close());
    await expect(
      client.callTool({ name: 'list_tasks', arguments: { limit: 'many' } }),
    ).resolves.toMatchObject({
      isError: true,
    });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe('sessions', () => {
  it('are bounded: one more is refused with 503 until one closes', async () => {
    const server = await start({ maxSessions: 2 });
    const a = await connect(server.url);
    const b = await connect(server.url);
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    expect(server.sessions()).toBe(2);
    await expect(connect(server.url)).rejects.toMatchObject({ code: 503 });
    await (a.transport as StreamableHTTPClientTransport).terminateSession();
    await a.close();
    const c = await connect(server.url);
    closers.push(() => c.close());
    expect(server.sessions()).toBe(2);
  });

  it('without a request or an open stream for the idle time are closed', async () => {
    const clock = new SimulatedClock();
    const server = await start({ sessionIdleMs: 60_000 }, clock);
    const opened = await post(server.url, JSON.stringify(INITIALIZE));
    expect(opened.status).toBe(200);
    const session = opened.headers.get('mcp-session-id')!;
    expect(server.sessions()).toBe(1);
    await clock.advance(30_000);
    expect(server.sessions()).toBe(1);
    await clock.advance(60_000);
    expect(server.sessions()).toBe(0);
    const late = await post(server.url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), {
      'mcp-session-id': session,
    });
    expect(late.status).toBe(404);
  });
});

describe('list_tasks', () => {
  it('pages through every task in key order (numbers as numbers), and refuses a cursor it did not make', async () => {
    const server = await start();
    const client = await connect(server.url);
    closers.push(() => client.close());
    const keys: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await client.callTool({
        name: 'list_tasks',
        arguments: { limit: 2, ...(cursor ? { cursor } : {}) },
      });
      const content = result.structuredContent as {
        tasks: TaskRow[];
        next_cursor: string | null;
        total: number;
      };
      expect(content.total).toBe(5);
      keys.push(...content.tasks.map((t) => t.key));
      if (content.next_cursor === null) break;
      cursor = content.next_cursor;
    }
    expect(keys).toEqual([1, 2, 3, 10, 12].map((n) => `local:demo/app#${n}`));
    const bad = await client.callTool({ name: 'list_tasks', arguments: { cursor: 'bm9wZQ' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('InvalidCursorError');
  });
});
