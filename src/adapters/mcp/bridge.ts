/**
 * `bzzz mcp`: the node's MCP server on stdio, for a local client that starts its servers as
 * processes. A bridge of messages, not a second server: each JSON-RPC message read on stdin
 * goes to the node's Streamable HTTP endpoint (with the bearer token), and each message from
 * there (answers, and notifications from the session's stream) is written to stdout. So a
 * stdio client sees exactly the tools, resources and access of an HTTP client with that token.
 * A request the node cannot take (not running, a refused token) is answered with a JSON-RPC
 * error saying so; the bridge ends when stdin does, closing the session.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  InitializeResultSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

export interface BridgeInit {
  /** The node's MCP endpoint, `http://host:port/mcp`. */
  url: string;
  /** The bearer token, when the node has token files. */
  token?: string;
}

export interface BridgeComponents {
  stdin: Readable;
  stdout: Writable;
  logger: Logger;
}

/** Bridges until stdin ends. */
export async function runStdioBridge(init: BridgeInit, components: BridgeComponents): Promise<void> {
  const { stdin, stdout, logger } = components;
  const stdio = new StdioServerTransport(stdin, stdout);
  const http = new StreamableHTTPClientTransport(new URL(init.url), {
    requestInit: { headers: init.token === undefined ? {} : { authorization: `Bearer ${init.token}` } },
  });
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
    stdio.onclose = resolve;
  });
  stdio.onerror = (error) =>
    logger.warn({ err: describeError(error) }, 'bzzz mcp: unreadable message on stdin');
  http.onerror = (error) =>
    logger.debug({ err: describeError(error) }, 'bzzz mcp: the node connection reported');
  stdio.onmessage = (message) => {
    http.send(message).catch((error: unknown) => {
      const why = explain(error, init.url);
      logger.warn({ err: describeError(error) }, `bzzz mcp: ${why}`);
      if (isJSONRPCRequest(message))
        void stdio.send({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: why } });
    });
  };
  http.onmessage = (message) => {
    noteProtocolVersion(http, message);
    void stdio.send(message);
  };
  await http.start();
  await stdio.start();
  await ended;
  await http.terminateSession().catch(() => undefined);
  await http.close();
  await stdio.close();
}

/** After `initialize`, every request names the protocol version agreed (as the SDK's client does). */
function noteProtocolVersion(http: StreamableHTTPClientTransport, message: JSONRPCMessage): void {
  if (!('result' in message)) return;
  const parsed = InitializeResultSchema.safeParse(message.result);
  if (parsed.success) http.setProtocolVersion(parsed.data.protocolVersion);
}

/** Why the node did not take a message, in words a person can act on. */
function explain(error: unknown, url: string): string {
  if (error instanceof StreamableHTTPError) {
    if (error.code === 401)
      return `the MCP server at ${url} refused the token (401): set BZZZ_MCP_TOKEN_FILE or --token-file`;
    if (error.code === 403) return `the MCP server at ${url} refused the request (403): ${error.message}`;
    if (error.code === 404) return `the MCP session at ${url} is gone (404): initialize again`;
    return `the MCP server at ${url} answered ${error.code ?? '?'}: ${error.message}`;
  }
  return `no MCP server answers at ${url} (is the node running? bzzz up, bzzz agent): ${describeError(error)}`;
}
