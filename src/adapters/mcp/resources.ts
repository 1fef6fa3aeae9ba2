/**
 * A task's bzzz:// names as MCP resources: the template of its artifacts (`log`, `diff`,
 * `thread`), a listing of those of the tasks the cluster knows, `resources/read` through the
 * node's name service, and subscriptions: a session subscribed to a task's name is sent
 * `notifications/resources/updated` each time that task moves.
 *
 * `resources/read` is this module's own handler rather than the SDK's template dispatch, which
 * parses the URI as a URL first: a task number is not a port, and may pass 65535.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ReadResourceResult,
} from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../../lib/errors.js';
import { InvalidTaskNameError } from './errors.js';
import type { Subscriptions } from './subscriptions.js';
import {
  TASK_ARTIFACTS,
  TASK_NAME_TEMPLATE,
  parseTaskName,
  taskNameUri,
  type TaskName,
} from './task-names.js';
import type { McpBackend } from './types.js';

/** MCP's error code for a resource that does not exist. */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * A JSON-RPC error of a resource request. Not the SDK's `McpError`, whose message already says
 * "MCP error <code>:", which the client's own error then says again.
 */
export class ResourceRequestError extends Error {
  override readonly name = 'ResourceRequestError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Most resources `resources/list` shows (three per task). */
const MAX_LISTED = 300;

const DESCRIPTION = {
  log: "the task's transcript: its steps, commands and their output",
  diff: 'the change the task made, as a unified diff',
  thread: "the head of the task's HMMM discussion thread",
} as const;

export interface ResourceOptions {
  backend: McpBackend;
  subscriptions: Subscriptions;
  /** This session's subscriber id. */
  subscriber: string;
}

export function registerTaskResources(server: McpServer, options: ResourceOptions): void {
  const { backend, subscriptions, subscriber } = options;
  server.registerResource(
    'task-artifact',
    new ResourceTemplate(TASK_NAME_TEMPLATE, {
      list: () => ({
        resources: backend
          .tasks()
          .flatMap((task) =>
            TASK_ARTIFACTS.map((path) => ({
              uri: taskNameUri(task.key, path),
              name: `${task.key} ${path}`,
              description: DESCRIPTION[path],
            })),
          )
          .slice(0, MAX_LISTED),
      }),
    }),
    {
      title: "A task's artifact",
      description:
        "A task's bzzz:// name: bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>, agent and role a name or *, path log, diff or thread. Subscribe to hear when the task moves.",
    },
    (uri) => read(backend, uri.href),
  );
  // replaces the SDK's dispatch (see the header); registered after the template, which sets it
  server.server.setRequestHandler(ReadResourceRequestSchema, (request) => read(backend, request.params.uri));
  subscriptions.open(subscriber, (uri) => server.server.sendResourceUpdated({ uri }));
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    const name = parse(backend, request.params.uri);
    try {
      subscriptions.add(subscriber, name.key, request.params.uri);
    } catch (error) {
      throw new ResourceRequestError(ErrorCode.InvalidRequest, describeError(error));
    }
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.remove(subscriber, request.params.uri);
    return {};
  });
}

async function read(backend: McpBackend, uri: string): Promise<ReadResourceResult> {
  parse(backend, uri);
  if (backend.readName === undefined)
    throw new ResourceRequestError(
      RESOURCE_NOT_FOUND,
      `this node serves no bzzz:// names (no name service): ${uri}`,
    );
  let content;
  try {
    content = await backend.readName(uri);
  } catch (error) {
    throw new ResourceRequestError(ErrorCode.InternalError, `could not read ${uri}: ${describeError(error)}`);
  }
  if (content === undefined)
    throw new ResourceRequestError(RESOURCE_NOT_FOUND, `nothing is named ${uri} (yet)`);
  return { contents: [{ uri, mimeType: content.mimeType, text: content.text }] };
}

/** The task name `uri` is, or an `InvalidParams` error saying why not. */
function parse(backend: McpBackend, uri: string): TaskName {
  try {
    return parseTaskName(uri, backend.forge);
  } catch (error) {
    if (error instanceof InvalidTaskNameError)
      throw new ResourceRequestError(ErrorCode.InvalidParams, error.message);
    throw error;
  }
}
