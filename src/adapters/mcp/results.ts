/**
 * Tool results: structured content with the same JSON as text beside it (for clients that
 * read only `content`), and tool errors (`isError`) that name what went wrong, so a model
 * calling the tool can act on them; the server itself never throws to the client from a tool.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

/** A successful result carrying `value` as structured content. */
export function ok<T extends Record<string, unknown>>(value: T): CallToolResult & { structuredContent: T } {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A tool error the client sees (`isError: true`), one line. */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs a tool's body; a thrown error becomes a tool error naming it (and is logged at debug). */
export async function guarded(
  tool: string,
  logger: Logger,
  body: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    logger.debug({ tool, err: describeError(error) }, 'MCP tool failed');
    return toolError(describeError(error));
  }
}
