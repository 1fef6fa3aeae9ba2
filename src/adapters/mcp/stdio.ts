/**
 * The MCP server on stdio, served by this process (`bzzz mcp --alone`): one session, the
 * client's, made for the access the command grants (a process that may start a node has its
 * files, so read-write unless `--read-only`). Subscriptions work as on HTTP: a subscribed
 * task's change becomes `notifications/resources/updated` on stdout. It ends when stdin does or
 * the client closes the transport, or when {@link StdioMcpServer.stop} is called.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { createSessionServer } from './server.js';
import { Subscriptions } from './subscriptions.js';
import type { Access, McpBackend } from './types.js';

export interface StdioMcpInit {
  access: Access;
  stdin: Readable;
  stdout: Writable;
}

export interface StdioMcpServer {
  /** Resolves once the client is gone (stdin ended, or the transport closed). */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/** Serves the backend's tools and resources to the client on stdin and stdout. */
export async function startStdioMcpServer(
  init: StdioMcpInit,
  components: { backend: McpBackend; logger: Logger },
): Promise<StdioMcpServer> {
  const { backend, logger } = components;
  const subscriptions = new Subscriptions({ logger });
  const made = createSessionServer(init.access, { backend, subscriptions, logger });
  const transport = new StdioServerTransport(init.stdin, init.stdout);
  const ended = new Promise<void>((resolve) => {
    init.stdin.once('end', resolve);
    init.stdin.once('close', resolve);
    transport.onclose = resolve;
  });
  transport.onerror = (error) =>
    logger.warn({ err: describeError(error) }, 'bzzz mcp: unreadable message on stdin');
  const unwatch = backend.onTaskChange((key) => subscriptions.changed(key));
  await made.server.connect(transport);
  let stopping: Promise<void> | undefined;
  return {
    ended,
    stop: () =>
      (stopping ??= (async () => {
        unwatch();
        subscriptions.close(made.subscriber);
        await made.server.close().catch(() => undefined);
      })()),
  };
}
