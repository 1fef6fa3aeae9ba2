/**
 * `bzzz mcp` on stdio, spawned by the SDK's own `StdioClientTransport` (the command from
 * source, through tsx) against a real node: the same tools, resources and notifications as over
 * HTTP with the same token, none of the write tools with `--read-only`, and a clear JSON-RPC
 * error when the node named by `--url` does not answer. With no node on BZZZ_MCP_PORT (or with
 * `--alone`) it serves alone: a node of its own with no agent, on the data dir and local forge.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually, runCli } from '../helpers/cli.js';
import { startMcpNode, steps, type McpNode } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let node: McpNode;
const clients: Client[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  node = await startMcpNode({
    readName: (uri) => Promise.resolve({ mimeType: 'text/plain', text: `the log of ${uri}` }),
  });
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await node?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** `bzzz mcp ARGS` as a stdio MCP server, with `env` over the test's environment. */
async function spawnBridge(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ client: Client; stderr: () => string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', TSX, MAIN, 'mcp', ...args],
    env: { ...base, BZZZ_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'bzzz-stdio-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

/** A port nothing listens on (taken, then given back). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('bzzz mcp (stdio)', () => {
  it("serves the node's tools, resources and notifications on stdio with the node's token", async () => {
    const { client } = await spawnBridge(['--url', node.url], { BZZZ_MCP_TOKEN_FILE: node.tokenFile });
    expect(client.getServerVersion()?.name).toBe('bzzz');
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual([
      'answer_help',
      'cluster_status',
      'create_task',
      'get_task',
      'list_help_requests',
      'list_tasks',
      'release_task',
      'resolve',
    ]);
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'Over stdio', body: steps('echo stdio > s.txt'), repo: 'demo/stdio' },
    });
    expect(created.structuredContent).toEqual({
      key: 'local:demo/stdio#1',
      uri: 'bzzz://*:*@demo~stdio:1/log',
    });
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'bzzz://*:*@demo~stdio:1/log' });
    await eventually(
      async () => {
        const listed = await client.callTool({ name: 'list_tasks', arguments: { state: 'done' } });
        return (listed.structuredContent as { total: number }).total === 1 ? true : undefined;
      },
      120_000,
      'the task done in list_tasks',
    );
    await eventually(() => (updates.length > 0 ? true : undefined), 20_000, 'an update through the bridge');
    expect(new Set(updates)).toEqual(new Set(['bzzz://*:*@demo~stdio:1/log']));
    const read = await client.readResource({ uri: 'bzzz://*:*@demo~stdio:1/log' });
    expect(read.contents[0]).toMatchObject({ text: 'the log of bzzz://*:*@demo~stdio:1/log' });
  }, 180_000);

  it('shows no write tool with --read-only, and refuses one called anyway', async () => {
    const { client } = await spawnBridge(['--url', node.url, '--read-only'], {
      BZZZ_MCP_READONLY_TOKEN_FILE: node.readOnlyTokenFile,
    });
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(['cluster_status', 'get_task', 'list_help_requests', 'list_tasks', 'resolve']);
    const refused = await client.callTool({ name: 'release_task', arguments: { key: 'local:demo/stdio#1' } });
    expect(refused.isError).toBe(true);
  });

  it('answers with a JSON-RPC error naming the URL when no node answers there', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    await expect(spawnBridge(['--url', url])).rejects.toThrow(`no MCP server answers at ${url}`);
  });

  it('serves alone when no node answers on BZZZ_MCP_PORT: a node of its own, no agent, the local forge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-mcp-alone-'));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
    const seeded = await forge.addTask({ title: 'Seeded', repo: 'demo/alone', body: steps('true') });
    const env = { BZZZ_DATA_DIR: dir, BZZZ_MCP_PORT: String(await closedPort()), BZZZ_LOG_LEVEL: 'info' };
    const { client, stderr } = await spawnBridge([], env);
    expect(stderr()).toContain("no node's MCP server answers on port");
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('create_task');
    const status = await client.callTool({ name: 'cluster_status', arguments: {} });
    const nodes = (status.structuredContent as { nodes: { name: string }[] }).nodes;
    expect(nodes).toHaveLength(1);
    // the forge of the data dir: a task seeded there, and one made through this server
    const got = await client.callTool({ name: 'get_task', arguments: { key: seeded } });
    expect(got.structuredContent).toMatchObject({ key: seeded, title: 'Seeded', state: 'discovered' });
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'Made alone', body: steps('true'), repo: 'demo/alone' },
    });
    expect(created.structuredContent).toMatchObject({ key: 'local:demo/alone#2' });
    expect((await forge.getTask('local:demo/alone#2')).title).toBe('Made alone');
    // no agent: nobody claims what it sees
    const detail = await client.callTool({ name: 'get_task', arguments: { key: 'local:demo/alone#2' } });
    expect(detail.structuredContent).toMatchObject({ holder: null, lease: null });
    expect(stderr()).toContain('serving a node of its own (no agent) on stdio');

    // --alone --read-only, beside the running node: its own node again, with the read tools only
    const readOnly = await spawnBridge(['--alone', '--read-only'], {
      BZZZ_DATA_DIR: join(dir, 'second'),
      BZZZ_MCP_PORT: '0',
    });
    const readTools = (await readOnly.client.listTools()).tools.map((t) => t.name).sort();
    expect(readTools).toEqual(['cluster_status', 'get_task', 'list_help_requests', 'list_tasks', 'resolve']);
  }, 120_000);

  it('refuses --alone with a URL or a token file, in one line', async () => {
    const result = await runCli(['mcp', '--alone', '--url', 'http://127.0.0.1:1/mcp']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--alone serves from this process');
  });
});
