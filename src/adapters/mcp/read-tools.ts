/**
 * The tools every client sees: the cluster's status, its tasks (filtered, paginated), one task
 * in full, the open HMMM help requests, and the resolution of a bzzz:// address. None of them
 * changes anything (`readOnlyHint`).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../../lib/log.js';
import { isTaskKey } from '../../protocol/task-key.js';
import { DEFAULT_PAGE, MAX_PAGE, paginate } from './pagination.js';
import { guarded, ok, toolError } from './results.js';
import {
  helpListSchema,
  resolvedSchema,
  statusSchema,
  taskDetailSchema,
  taskListSchema,
  taskStateSchema,
} from './schemas.js';
import type { McpBackend } from './types.js';

/** A task key argument. */
export const taskKeyArg = z
  .string()
  .max(300)
  .refine(isTaskKey, 'a task key: <forge>:<owner>/<repo>#<number>, e.g. local:demo/app#3')
  .describe('the task key, <forge>:<owner>/<repo>#<number> (e.g. local:demo/app#3)');

/** An `owner/name` argument. */
export const repoArg = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected owner/name')
  .describe('a repository, owner/name');

const READ = { readOnlyHint: true, openWorldHint: false } as const;

export function registerReadTools(server: McpServer, backend: McpBackend, logger: Logger): void {
  server.registerTool(
    'cluster_status',
    {
      title: 'Cluster status',
      description:
        "The node's view of the cluster: its name and id, the elected leader, every known node with its capabilities and running tasks, and every task with its state and holder (the document of `bzzz status --json`).",
      outputSchema: statusSchema,
      annotations: READ,
    },
    () => guarded('cluster_status', logger, () => Promise.resolve(ok({ ...backend.status() }))),
  );
  server.registerTool(
    'list_tasks',
    {
      title: 'List tasks',
      description:
        'Tasks the cluster has seen move (claimed, working, done...), with state, holder, branch and pull request, in key order. Filter by state and repository; pages of `limit` rows (default 50), the next one with `cursor` = the `next_cursor` returned.',
      inputSchema: {
        state: taskStateSchema.optional().describe('only tasks in this state'),
        repo: repoArg.optional(),
        cursor: z.string().max(1024).optional().describe('next_cursor of the previous page'),
        limit: z.int().min(1).max(MAX_PAGE).optional().describe(`rows per page (default ${DEFAULT_PAGE})`),
      },
      outputSchema: taskListSchema,
      annotations: READ,
    },
    ({ state, repo, cursor, limit }) =>
      guarded('list_tasks', logger, () => {
        const rows = backend
          .tasks()
          .filter((t) => state === undefined || t.state === state)
          .filter((t) => repo === undefined || repoOf(t.key) === repo);
        const page = paginate(rows, cursor, limit);
        return Promise.resolve(ok({ tasks: page.items, next_cursor: page.next, total: page.total }));
      }),
  );
  server.registerTool(
    'get_task',
    {
      title: 'Get a task',
      description:
        "One task in full: the issue's title, body, labels and URL, the forge's record (state, holder, branch, pull requests), what the cluster last heard of it, and the live lease with its fencing token.",
      inputSchema: { key: taskKeyArg },
      outputSchema: taskDetailSchema,
      annotations: READ,
    },
    ({ key }) =>
      guarded('get_task', logger, async () => {
        const task = await backend.task(key);
        return task === undefined ? toolError(`no task ${key} on this forge`) : ok({ ...task });
      }),
  );
  registerHelpAndResolve(server, backend, logger);
}

function registerHelpAndResolve(server: McpServer, backend: McpBackend, logger: Logger): void {
  server.registerTool(
    'list_help_requests',
    {
      title: 'List help requests',
      description:
        "Agents' HMMM help requests still waiting for an answer: the task, the asking agent, its question, and when it gives up and escalates. Answer one with answer_help.",
      outputSchema: helpListSchema,
      annotations: READ,
    },
    () =>
      guarded('list_help_requests', logger, () => Promise.resolve(ok({ requests: backend.helpRequests() }))),
  );
  server.registerTool(
    'resolve',
    {
      title: 'Resolve a bzzz:// address',
      description:
        'Resolves a bzzz:// address: a blob (bzzz://blob/<hash>), an actor (bzzz://<node id>/<path>) or a semantic name (bzzz://<agent>:<role>@<owner>~<repo>:<number>/<path>) to what it names.',
      inputSchema: {
        address: z
          .string()
          .min(8)
          .max(2048)
          .startsWith('bzzz://', 'a bzzz:// address')
          .describe('the bzzz:// address'),
      },
      outputSchema: resolvedSchema,
      annotations: { ...READ, openWorldHint: true },
    },
    ({ address }) =>
      guarded('resolve', logger, async () => {
        if (backend.resolve === undefined)
          return toolError('this node has no bzzz:// resolver: resolve is not available here');
        return ok({ address, value: await backend.resolve(address) });
      }),
  );
}

/** `owner/name` of a task key. */
function repoOf(key: string): string {
  return key.slice(key.indexOf(':') + 1, key.lastIndexOf('#'));
}
