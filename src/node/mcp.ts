/**
 * The MCP server as a supervised resource of the node (`root/work/mcp`): it opens the help
 * desk's inbox (the HMMM channel, and the channels of tasks with an open request) and the
 * Streamable HTTP server on `BZZZ_MCP_PORT`, and closes both on stop. A port already taken
 * does not stop the node: the MCP server is one way in among several, so the node logs why it
 * runs without one and goes on with its work (several nodes of one host share 3001 so).
 */
import type { ClaimStore } from '../adapters/claims/index.js';
import type { Forge } from '../adapters/forge/index.js';
import {
  HelpDesk,
  startMcpHttpServer,
  startStdioMcpServer,
  type McpBackend,
  type McpHttpServer,
  type StdioMcpInit,
} from '../adapters/mcp/index.js';
import { serviceSpec, type Resource } from '../actors/service.js';
import type { MailboxMessage } from '../actors/message.js';
import type { Config } from '../config/index.js';
import { PortInUseError } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import { taskHelpRequestSchema, taskHelpResponseSchema } from '../protocol/messages/hmmm.js';
import { TOPICS } from '../protocol/topics.js';
import type { ChildSpec, StartContext } from '../supervisor/child.js';
import { nodeBackend, type McpHooks } from './mcp-backend.js';
import type { StatusDocument } from './types.js';
import type { ClusterView } from './view.js';

export type { McpHooks } from './mcp-backend.js';

/** The MCP server on this process's stdio instead of HTTP (`bzzz mcp --alone`). */
export interface McpStdio extends StdioMcpInit {
  /** The client is gone: the command stops the node. */
  onEnded: () => void;
}

/** What a node's starter may say of its MCP server: the hooks, where it listens, or stdio. */
export type McpOptions = McpHooks & { onListening?: (url: string) => void; stdio?: McpStdio };

export interface McpSpecOptions {
  config: Config;
  nodeId: string;
  forge: Forge;
  claims: ClaimStore;
  view: ClusterView;
  status: () => StatusDocument;
  hooks?: McpHooks;
  /** Told the server's URL once it listens (tests and `bzzz up` show it). */
  onListening?: (url: string) => void;
  /** Serve the one client on stdio, not HTTP. */
  stdio?: McpStdio;
}

/** The `mcp` child: the help desk's inbox and the MCP server. */
export function mcpSpec(options: McpSpecOptions): ChildSpec {
  return serviceSpec('mcp', (ctx) => openMcp(options, ctx));
}

async function openMcp(options: McpSpecOptions, ctx: StartContext): Promise<Resource> {
  const { config } = options;
  const { system, clock, logger } = ctx;
  const inbox = `${ctx.path}/help`;
  const desk = new HelpDesk({
    ttlMs: config.help_timeout_ms,
    clock,
    watch: (task) => system.subscribe(TOPICS.task(task), inbox),
    unwatch: (task) => system.unsubscribe(TOPICS.task(task), inbox),
  });
  system.register(inbox, (message) => deliver(desk, message, logger));
  system.subscribe(TOPICS.hmmm, inbox);
  const close = (): void => {
    desk.clear();
    system.unsubscribe(TOPICS.hmmm, inbox);
    system.unregister(inbox);
  };
  const backend = nodeBackend({
    ...options,
    desk,
    publish: (topic, message) => system.publish(topic, message),
    logger,
    now: () => clock.now(),
    hooks: options.hooks ?? {},
  });
  if (options.stdio !== undefined) return openStdio(options.stdio, backend, logger, close);
  let server: McpHttpServer;
  try {
    server = await startMcpHttpServer(
      {
        port: config.mcp_port,
        ...(config.mcp_host === undefined ? {} : { host: config.mcp_host }),
        ...(config.mcp_token_file === undefined ? {} : { tokenFile: config.mcp_token_file }),
        ...(config.mcp_readonly_token_file === undefined
          ? {}
          : { readOnlyTokenFile: config.mcp_readonly_token_file }),
      },
      { backend, logger, clock },
    );
  } catch (error) {
    close();
    if (!(error instanceof PortInUseError)) throw error;
    logger.error({ port: config.mcp_port }, `${error.message}: this node runs without an MCP server`);
    return { stop: () => Promise.resolve() };
  }
  logger.info({ url: server.url }, 'MCP listening');
  options.onListening?.(server.url);
  return {
    onFailure: (listener) => server.onFailure(listener),
    stop: () => server.stop().finally(close),
    kill: () => {
      server.kill();
      close();
    },
  };
}

/** The one stdio client's server; its end is told, so the command stops the node. */
async function openStdio(
  stdio: McpStdio,
  backend: McpBackend,
  logger: Logger,
  close: () => void,
): Promise<Resource> {
  const server = await startStdioMcpServer(stdio, { backend, logger });
  void server.ended.then(() => stdio.onEnded());
  logger.info({ access: stdio.access }, 'MCP serving on stdio');
  return {
    stop: () => server.stop().finally(close),
    kill: () => {
      void server.stop();
      close();
    },
  };
}

/** A help request joins the desk; an answer to one takes it off; anything else is not for it. */
function deliver(desk: HelpDesk, message: MailboxMessage, logger: Logger): void {
  if (message.type === 'task_help_request') {
    const parsed = taskHelpRequestSchema.safeParse(message.data);
    if (parsed.success) desk.asked(parsed.data);
    else
      logger.debug({ issues: parsed.error.issues.length }, 'MCP help desk: malformed help request dropped');
  } else if (message.type === 'task_help_response') {
    const parsed = taskHelpResponseSchema.safeParse(message.data);
    if (parsed.success) desk.answered(parsed.data.request);
  }
}
