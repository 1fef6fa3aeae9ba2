/** Named errors of the MCP server. */
import { BzzzError, NonRetryableError } from '../../lib/errors.js';

/** A token file that cannot be read or holds no token. */
export class McpTokenFileError extends NonRetryableError {
  override readonly name = 'McpTokenFileError';
  constructor(
    readonly key: 'mcp_token_file' | 'mcp_readonly_token_file',
    readonly path: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${key} ${path}: ${detail}`, { cause });
  }
}

/** An answer to a help request that is not open (never seen, answered, or expired). */
export class HelpRequestNotOpenError extends BzzzError {
  override readonly name = 'HelpRequestNotOpenError';
  constructor(
    readonly task: string,
    readonly request: string,
  ) {
    super(
      `no open help request ${request} for ${task} (it was answered, expired, or never seen here: list_help_requests shows the open ones)`,
      { retryable: false },
    );
  }
}

/** A bzzz:// resource URI that names no task artifact. */
export class InvalidTaskNameError extends BzzzError {
  override readonly name = 'InvalidTaskNameError';
  constructor(
    readonly uri: string,
    reason: string,
  ) {
    super(`not a task name ${JSON.stringify(uri.slice(0, 300))}: ${reason}`, { retryable: false });
  }
}
