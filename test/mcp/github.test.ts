/**
 * `create_task` on a node whose forge is GitHub (the GitHub-shaped loopback server): the MCP
 * client's task is an issue with the task label in a watched repository, and the node's agent
 * works it to a pull request; a repository the node does not watch is a tool error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { eventually } from '../helpers/cli.js';
import { FakeGitHub } from '../fakes/github-server.js';
import { READ_WRITE_TOKEN, connect, startMcpNode, steps, type McpNode } from './support.js';

const TOKEN = 'ghs_fakeTokenForMcpTests0123456789';
let github: FakeGitHub | undefined;
let node: McpNode | undefined;
let client: Client | undefined;

afterAll(async () => {
  await client?.close();
  await node?.stop();
  await github?.stop();
  if (node !== undefined) await rm(node.dir, { recursive: true, force: true, maxRetries: 5 });
});

it('creates an issue with the task label in the watched repository, which the agent works to a PR', async () => {
  github = await FakeGitHub.start({ token: TOKEN });
  await github.createRepo('octo/app');
  await github.createRepo('octo/elsewhere');
  node = await startMcpNode(
    {},
    {
      BZZZ_FORGE: 'github',
      BZZZ_REPOS: 'octo/app',
      BZZZ_GITHUB_TOKEN: TOKEN,
      BZZZ_GITHUB_API_URL: github.url,
    },
  );
  client = await connect(node.url, READ_WRITE_TOKEN);
  const created = await client.callTool({
    name: 'create_task',
    arguments: { title: 'From MCP', body: steps('echo mcp > mcp.txt'), labels: ['docs'] },
  });
  expect(created.isError).not.toBe(true);
  expect(created.structuredContent).toEqual({ key: 'github:octo/app#1', uri: 'bzzz://*:*@octo~app:1/log' });
  expect(github.issue('octo/app', 1)).toMatchObject({ title: 'From MCP', labels: ['bzzz-task', 'docs'] });
  await eventually(
    () => (github!.pulls('octo/app').length === 1 ? true : undefined),
    90_000,
    'the pull request of the task made through MCP',
  );
  expect(await github.branchSha('octo/app', 'bzzz/task-1')).toMatch(/^[0-9a-f]{40}$/);

  const refused = await client.callTool({
    name: 'create_task',
    arguments: { title: 'Not here', repo: 'octo/elsewhere' },
  });
  expect(refused.isError).toBe(true);
  expect(JSON.stringify(refused.content)).toContain('octo/elsewhere is not a repository this node watches');
  expect(() => github!.issue('octo/elsewhere', 1)).toThrow('no issue');
}, 150_000);
