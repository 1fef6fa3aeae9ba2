/**
 * One MCP server per session, made for the client's access: a read-only client gets a server
 * on which the write tools were never registered, so `tools/list` does not show them and
 * `tools/call` finds no such tool.
 */
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../../lib/log.js';
import { registerReadTools } from './read-tools.js';
import { registerTaskResources } from './resources.js';
import type { Subscriptions } from './subscriptions.js';
import type { Access, McpBackend } from './types.js';
import { registerWriteTools } from './write-tools.js';

export const SERVER_INFO = { name: 'bzzz', version: '0.1.0' } as const;

const INSTRUCTIONS = `bzzz is a cluster of headless AI coding agents taking issues from a forge.
Tools: cluster_status and list_tasks/get_task to see the cluster and its tasks; create_task to
open one; release_task to give up a stuck one; list_help_requests and answer_help to answer an
agent that asks for help. Task artifacts are resources named
bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path> (log, diff, thread); subscribe to one to
hear when its task moves.`;

export interface SessionServer {
  server: McpServer;
  /** The id its subscriptions are kept under. */
  subscriber: string;
}

export function createSessionServer(
  access: Access,
  parts: { backend: McpBackend; subscriptions: Subscriptions; logger: Logger },
): SessionServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { resources: { subscribe: true, listChanged: true }, tools: { listChanged: true } },
    instructions: INSTRUCTIONS,
    // no tool takes more than a few dozen values: a huge argument is refused before parsing
    maxToolInputElements: 1_000,
  });
  registerReadTools(server, parts.backend, parts.logger);
  if (access === 'read-write') registerWriteTools(server, parts.backend, parts.logger);
  const subscriber = randomUUID();
  registerTaskResources(server, { backend: parts.backend, subscriptions: parts.subscriptions, subscriber });
  return { server, subscriber };
}
