/**
 * The tools that change the cluster, listed only to read-write clients: open a task on the
 * node's forge, give up a stuck task (its lease is revoked: the holder's next check fails and
 * it stops, fenced, without another effect), and answer an agent's help request as a person.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../../lib/log.js';
import { MAX_SHORT, MAX_TEXT } from '../../protocol/limits.js';
import { repoArg, taskKeyArg } from './read-tools.js';
import { guarded, ok, toolError } from './results.js';
import { answeredSchema, createdSchema, releasedSchema } from './schemas.js';
import { taskNameUri } from './task-names.js';
import type { McpBackend } from './types.js';

const label = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,49}$/, 'a label: letters, digits, ._:/- and spaces');

export function registerWriteTools(server: McpServer, backend: McpBackend, logger: Logger): void {
  server.registerTool(
    'create_task',
    {
      title: 'Create a task',
      description:
        "Opens an issue with the task label on the node's forge, so an agent takes it. A local-forge task runs the shell commands of a ```bzzz-steps block in its body when the node reasons by script. Returns the task key.",
      inputSchema: {
        title: z.string().trim().min(1).max(256).describe('the issue title'),
        body: z
          .string()
          .max(64 * 1024)
          .optional()
          .describe('the issue body: what to do'),
        repo: repoArg
          .optional()
          .describe('the repository, owner/name (the local forge: demo/app by default)'),
        labels: z.array(label).max(20).optional().describe('extra labels (capabilities the task needs)'),
      },
      outputSchema: createdSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    (input) =>
      guarded('create_task', logger, async () => {
        if (backend.createTask === undefined)
          return toolError(`the ${backend.forge} forge of this node cannot create tasks from MCP`);
        const { key } = await backend.createTask(input);
        return ok({ key, uri: taskNameUri(key, 'log') });
      }),
  );
  server.registerTool(
    'release_task',
    {
      title: 'Release a stuck task',
      description:
        "Gives up a task whose agent is stuck: revokes its lease in the claim store, so the holder's next renewal or fenced effect fails and it stops (state `lost`) without pushing, commenting or reporting. The task is open again and an agent takes it over. `released` is false when nobody held it.",
      inputSchema: {
        key: taskKeyArg,
        reason: z.string().max(500).optional().describe('why (logged with the release)'),
      },
      outputSchema: releasedSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    ({ key, reason }) =>
      guarded('release_task', logger, async () => {
        const result = await backend.releaseTask(key, `released over MCP: ${reason ?? 'no reason given'}`);
        logger.info(
          { task: key, holder: result.holder, token: result.token, released: result.released },
          'MCP: release_task',
        );
        return ok({ ...result });
      }),
  );
  registerAnswerHelp(server, backend, logger);
}

function registerAnswerHelp(server: McpServer, backend: McpBackend, logger: Logger): void {
  server.registerTool(
    'answer_help',
    {
      title: 'Answer a help request',
      description:
        "Answers an agent's open HMMM help request (see list_help_requests) as a person: the answer goes to the task's channel as a task_help_response under your name, the waiting agent takes it as advice and goes on, and it joins the task's thread.",
      inputSchema: {
        task: taskKeyArg,
        request: z
          .string()
          .regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/, 'a request id (ULID)')
          .describe('the request id'),
        answer: z.string().trim().min(1).max(MAX_TEXT).describe('your answer'),
        name: z
          .string()
          .trim()
          .min(1)
          .max(MAX_SHORT)
          .describe('your name, as the agent and the thread will show it'),
      },
      outputSchema: answeredSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    ({ task, request, answer, name }) =>
      guarded('answer_help', logger, async () => {
        await backend.answerHelp({ task, request, answer, agent: name });
        return ok({ task, request, agent: name });
      }),
  );
}
