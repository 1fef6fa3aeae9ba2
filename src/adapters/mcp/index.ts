/**
 * The MCP port (SPEC §14): the cluster as tools and resources for any MCP client, on the
 * official `@modelcontextprotocol/sdk`. `startMcpHttpServer` serves Streamable HTTP at `/mcp`
 * (sessions, bearer tokens: read-write and read-only); `runStdioBridge` is `bzzz mcp`, the node's
 * server on stdio for a local client, and `startStdioMcpServer` serves stdio from this process
 * (`bzzz mcp --alone`). The server reads and acts on the cluster only through the
 * {@link McpBackend} the node gives it; no SDK type leaves this folder.
 */
export type * from './types.js';
export { HelpRequestNotOpenError, InvalidTaskNameError, McpTokenFileError } from './errors.js';
export { HelpDesk, type HelpDeskOptions } from './help-desk.js';
export { MCP_PATH, startMcpHttpServer } from './http.js';
export { runStdioBridge, type BridgeComponents, type BridgeInit } from './bridge.js';
export { startStdioMcpServer, type StdioMcpInit, type StdioMcpServer } from './stdio.js';
export {
  TASK_ARTIFACTS,
  TASK_NAME_TEMPLATE,
  parseTaskName,
  taskNameUri,
  type TaskName,
} from './task-names.js';
export { InvalidCursorError } from './pagination.js';
