/**
 * The MCP server of a real node (local forge, scripted tasks in bwrap sandboxes), driven by the
 * SDK's own `Client` over Streamable HTTP: the tools a read-write and a read-only token see,
 * each tool against tasks the agents really run, task names as resources with update
 * notifications, a stuck task released (its holder stops, fenced), an agent's help request
 * answered by a person, and requests refused without a valid token.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { TaskDeps } from '../../src/actors/task/deps.js';
import { askForHelp } from '../../src/actors/task/effects/help.js';
import type { TaskFacts } from '../../src/machines/task-types.js';
import type { TaskHelpResponse } from '../../src/protocol/messages/hmmm.js';
import { TOPICS } from '../../src/protocol/topics.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { startMainJob } from '../../src/node/main-job.js';
import { eventually } from '../helpers/cli.js';
import { READ_ONLY_TOKEN, READ_WRITE_TOKEN, connect, startMcpNode, steps, type McpNode } from './support.js';

const WRITE_TOOLS = ['answer_help', 'create_task', 'release_task'];
const READ_TOOLS = ['cluster_status', 'get_task', 'list_help_requests', 'list_tasks', 'resolve'];

let node: McpNode;
let rw: Client;
let ro: Client;
const answers: { task: string; request: string; answer: TaskHelpResponse }[] = [];

beforeAll(async () => {
  node = await startMcpNode({
    // stand-ins for issue 16's resolver and names: what the hooks return reaches the client
    resolve: (address) => Promise.resolve({ resolvedBy: 'test', address }),
    readName: async (uri) => {
      if (!uri.endsWith('/log')) return undefined;
      const records = await node.forge.taskRecords();
      return { mimeType: 'application/json', text: JSON.stringify({ uri, records }) };
    },
    onAnswer: (task, request, answer) => {
      answers.push({ task, request, answer });
    },
  });
  rw = await connect(node.url, READ_WRITE_TOKEN);
  ro = await connect(node.url, READ_ONLY_TOKEN);
});

afterAll(async () => {
  await rw?.close();
  await ro?.close();
  await node?.stop();
});

function structured(result: Awaited<ReturnType<Client['callTool']>>): Record<string, unknown> {
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
  return result.structuredContent as Record<string, unknown>;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  return structured(await client.callTool({ name, arguments: args }));
}

/** The forge record of `key` once its state is final. */
async function finished(key: string): Promise<string> {
  return eventually(
    async () => {
      const state = (await call(rw, 'get_task', { key })).state as string;
      return ['done', 'failed', 'escalated'].includes(state) ? state : undefined;
    },
    120_000,
    `${key} finished`,
  );
}

describe('the MCP server of a node', () => {
  it('lists every tool with its schemas to a read-write client, and no write tool to a read-only one', async () => {
    const all = (await rw.listTools()).tools;
    expect(all.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
    for (const tool of all) {
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(40);
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.inputSchema.type, tool.name).toBe('object');
    }
    expect(all.find((t) => t.name === 'release_task')?.annotations?.destructiveHint).toBe(true);
    const readOnly = (await ro.listTools()).tools.map((t) => t.name).sort();
    expect(readOnly).toEqual(READ_TOOLS);
    // a read-only client that calls a write tool anyway finds no such tool, and nothing is made
    const refused = await ro.callTool({ name: 'create_task', arguments: { title: 'sneaky' } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('create_task not found');
    expect(await node.forge.listOpenTasks()).toEqual([]);
    // and reading works for it
    expect((await call(ro, 'cluster_status')).self).toMatchObject({ name: 'mcp-node' });
  });

  it('refuses requests without a token or with a wrong one: 401 with WWW-Authenticate: Bearer', async () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const none = await fetch(node.url, { method: 'POST', headers, body: initialize });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await none.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });
    const wrong = await fetch(node.url, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer not-the-token-at-all' },
      body: initialize,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // the SDK's client gets the same answer
    await expect(connect(node.url)).rejects.toMatchObject({ code: 401 });
  });

  it('creates a task that an agent finishes; a subscriber to its log hears it move; the read tools show it', async () => {
    const created = await call(rw, 'create_task', {
      title: 'Say hello',
      body: steps('echo hello > hello.txt'),
      repo: 'demo/mcp',
      labels: ['docs'],
    });
    expect(created).toEqual({ key: 'local:demo/mcp#1', uri: 'bzzz://*:*@demo~mcp:1/log' });
    const uri = created.uri as string;
    const updates: string[] = [];
    rw.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await rw.subscribeResource({ uri });
    expect(await finished('local:demo/mcp#1')).toBe('done');
    await eventually(() => (updates.length >= 2 ? true : undefined), 20_000, 'two updates of the log');
    expect(new Set(updates)).toEqual(new Set([uri]));

    const task = await call(rw, 'get_task', { key: 'local:demo/mcp#1' });
    expect(task).toMatchObject({ title: 'Say hello', repo: 'demo/mcp' });
    expect(task.labels).toContain('docs');
    expect(task.prs).toHaveLength(1);
    // the read model hears `done` from the agent, which reports it once the forge has it
    const done = await eventually(
      async () => {
        const page = await call(ro, 'list_tasks', { state: 'done', repo: 'demo/mcp' });
        return page.total === 1 ? page : undefined;
      },
      20_000,
      'the read model has the task done',
    );
    expect(done).toMatchObject({
      total: 1,
      next_cursor: null,
      tasks: [{ key: 'local:demo/mcp#1', state: 'done' }],
    });
    expect(await call(ro, 'list_tasks', { repo: 'demo/none' })).toEqual({
      tasks: [],
      next_cursor: null,
      total: 0,
    });
    const status = await call(ro, 'cluster_status');
    expect(status.tasks).toContainEqual({ key: 'local:demo/mcp#1', state: 'done', holder: null });
    const missing = await rw.callTool({ name: 'get_task', arguments: { key: 'local:demo/mcp#99' } });
    expect(missing.isError).toBe(true);
    const badKey = await rw.callTool({ name: 'get_task', arguments: { key: 'demo/mcp 1' } });
    expect(badKey.isError).toBe(true);
    expect(JSON.stringify(badKey.content)).toContain('task key');
  });

  it('reads task names as resources, lists them, and says which names are not there', async () => {
    const { contents } = await ro.readResource({ uri: 'bzzz://*:*@demo~mcp:1/log' });
    expect(contents[0]).toMatchObject({ uri: 'bzzz://*:*@demo~mcp:1/log', mimeType: 'application/json' });
    const log = JSON.parse((contents[0] as { text: string }).text) as { records: { key: string }[] };
    expect(log.records[0]?.key).toBe('local:demo/mcp#1');
    const listed = (await ro.listResources()).resources.map((r) => r.uri);
    expect(listed).toEqual(
      expect.arrayContaining([
        'bzzz://*:*@demo~mcp:1/log',
        'bzzz://*:*@demo~mcp:1/diff',
        'bzzz://*:*@demo~mcp:1/thread',
      ]),
    );
    const templates = (await ro.listResourceTemplates()).resourceTemplates;
    expect(templates.map((t) => t.uriTemplate)).toEqual([
      'bzzz://{agent}:{role}@{owner}~{repo}:{number}/{+path}',
    ]);
    await expect(ro.readResource({ uri: 'bzzz://*:*@demo~mcp:1/diff' })).rejects.toMatchObject({
      code: -32002,
    });
    await expect(ro.readResource({ uri: 'bzzz://nobody/log' })).rejects.toMatchObject({ code: -32602 });
    await expect(ro.subscribeResource({ uri: 'https://example.com/x' })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('resolves a bzzz:// address through the node resolver', async () => {
    const resolved = await call(ro, 'resolve', { address: 'bzzz://blob/00ff' });
    expect(resolved).toEqual({
      address: 'bzzz://blob/00ff',
      value: { resolvedBy: 'test', address: 'bzzz://blob/00ff' },
    });
    const bad = await ro.callTool({ name: 'resolve', arguments: { address: 'http://x' } });
    expect(bad.isError).toBe(true);
  });

  it('releases a stuck task: its holder goes lost without another effect, and an agent takes it over', async () => {
    const key = await node.forge.addTask({
      title: 'Stuck for a while',
      repo: 'demo/stuck',
      body: steps('sleep 6', 'echo late > late.txt'),
    });
    const lost: { token?: number }[] = [];
    node.job.node.system.register('test/lost', (m) => {
      const data = m.data as { task?: string; state?: string; token?: number };
      if (m.type === 'task_progress' && data.task === key && data.state === 'lost') lost.push(data);
    });
    node.job.node.system.subscribe(TOPICS.coordination, 'test/lost');
    const first = await eventually(
      async () => {
        const task = await call(rw, 'get_task', { key });
        const live = task.live as { state: string } | null;
        return live?.state === 'working' ? (task.lease as { token: number; holder: string }) : undefined;
      },
      60_000,
      'the task working under a lease',
    );
    const released = await call(rw, 'release_task', { key, reason: 'stuck in a test' });
    expect(released).toEqual({ key, released: true, holder: first.holder, token: first.token });
    await eventually(() => (lost.length > 0 ? true : undefined), 30_000, 'the holder lost its lease');
    expect(lost[0]?.token).toBe(first.token);
    expect(await finished(key)).toBe('done');
    const record = (await node.forge.taskRecords('demo/stuck'))[0]!;
    const afterClaim = (record.effects ?? []).filter((e) => e.effect !== 'claim');
    expect(afterClaim.length).toBeGreaterThan(0);
    for (const effect of afterClaim) expect(effect.token).toBeGreaterThan(first.token);
    // the old holder never even tried an effect the forge had to refuse
    const metrics = await (await fetch(`${node.job.node.httpUrl}/metrics`)).text();
    const refused = metrics.split('\n').filter((l) => l.startsWith('bzzz_fenced_effects_rejected_total{'));
    expect(refused.length).toBeGreaterThan(0);
    for (const line of refused) expect(line.endsWith(' 0')).toBe(true);
    // a task nobody holds has nothing to release
    const idle = 'local:demo/stuck#77';
    expect(await call(rw, 'release_task', { key: idle })).toEqual({
      key: idle,
      released: false,
      holder: null,
      token: null,
    });
  }, 180_000);

  it("answers an agent's help request as a person: the waiting agent gets the answer, the hook sees it", async () => {
    const task: TaskFacts = {
      key: 'local:demo/mcp#1',
      title: 'Say hello',
      body: '',
      labels: ['bzzz-task'],
      base: 'main',
      files: [],
      network: null,
    };
    const deps = {
      system: node.job.node.system,
      clock: systemClock,
      agent: 'mcp-node',
      node: node.job.node.nodeId,
      helpTimeoutMs: 120_000,
    } as unknown as TaskDeps;
    const waiting = askForHelp(deps, task, 'Which command writes a file?');
    const request = await eventually(
      async () => {
        const { requests } = await call(ro, 'list_help_requests');
        return (requests as { id: string; task: string; question: string; agent: string }[])[0];
      },
      20_000,
      'the help request listed',
    );
    expect(request).toMatchObject({
      task: task.key,
      question: 'Which command writes a file?',
      agent: 'mcp-node',
    });
    const asAsker = await rw.callTool({
      name: 'answer_help',
      arguments: { task: task.key, request: request.id, answer: 'echo', name: 'mcp-node' },
    });
    expect(asAsker.isError).toBe(true);
    const answered = await call(rw, 'answer_help', {
      task: task.key,
      request: request.id,
      answer: 'Use printf with a redirect.',
      name: 'Ada',
    });
    expect(answered).toEqual({ task: task.key, request: request.id, agent: 'Ada' });
    expect(await waiting).toEqual({ from: 'Ada', text: 'Use printf with a redirect.' });
    expect(answers).toEqual([
      {
        task: task.key,
        request: request.id,
        answer: {
          agent: 'Ada',
          answer: 'Use printf with a redirect.',
          node: node.job.node.nodeId,
          request: request.id,
          task: task.key,
        },
      },
    ]);
    expect((await call(ro, 'list_help_requests')).requests).toEqual([]);
    const again = await rw.callTool({
      name: 'answer_help',
      arguments: { task: task.key, request: request.id, answer: 'twice', name: 'Ada' },
    });
    expect(again.isError).toBe(true);
    expect(JSON.stringify(again.content)).toContain('no open help request');
  });

  it('leaves a second node on a taken MCP port running without one, saying why', async () => {
    const logs: string[] = [];
    const port = new URL(node.url).port;
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-mcp-taken-'));
    chmodSync(dir, 0o755);
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_MCP_PORT: port,
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_NODE_NAME: 'second',
      },
      cwd: dir,
    });
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    let listening: string | undefined;
    const second = await startMainJob(config, {
      agents: 1,
      logger,
      clock: systemClock,
      mcp: { onListening: (url) => (listening = url) },
    });
    try {
      expect(second.node.ready().ready).toBe(true);
      expect(listening).toBeUndefined();
      expect(logs.join('')).toContain(`MCP port ${port} is already in use`);
      expect(logs.join('')).toContain('runs without an MCP server');
    } finally {
      await second.stop();
    }
  });
});
