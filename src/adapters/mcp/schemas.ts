/**
 * The structured output of every MCP tool, as zod schemas: the SDK lists them as each tool's
 * `outputSchema` and checks every `structuredContent` against them before it leaves.
 */
import { z } from 'zod';
import { TASK_STATES } from '../../protocol/fields.js';

export const taskStateSchema = z.enum(TASK_STATES);

export const statusSchema = z.object({
  cluster: z.string(),
  self: z.object({ id: z.string(), name: z.string() }),
  leader: z.object({ node: z.string(), term: z.number() }).nullable(),
  nodes: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      state: z.string(),
      capabilities: z.array(z.string()),
      tasks: z.number(),
    }),
  ),
  tasks: z.array(z.object({ key: z.string(), state: z.string(), holder: z.string().nullable() })),
});

export const taskRowSchema = z.object({
  key: z.string(),
  state: z.string(),
  holder: z.string().nullable(),
  branch: z.string().nullable(),
  pr: z.string().nullable().describe('the pull request URL, once published'),
  reason: z.string().nullable().describe('why it failed, escalated or was lost'),
  updated_at: z.string(),
});

export const taskListSchema = z.object({
  tasks: z.array(taskRowSchema),
  next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last'),
  total: z.number().describe('tasks matching the filter, on every page'),
});

export const taskDetailSchema = z.object({
  key: z.string(),
  repo: z.string(),
  title: z.string(),
  body: z.string(),
  labels: z.array(z.string()),
  url: z.string(),
  state: z.string().describe("the forge record's state"),
  holder: z.string().nullable(),
  branch: z.string().nullable(),
  prs: z.array(z.object({ number: z.number(), url: z.string(), state: z.string() })),
  live: taskRowSchema.nullable().describe('what the cluster last heard; null before any agent reported'),
  lease: z
    .object({ holder: z.string(), token: z.number(), expires_at: z.string() })
    .nullable()
    .describe('the live claim and its fencing token; null when nobody holds it'),
});

export const helpRequestSchema = z.object({
  id: z.string(),
  task: z.string(),
  agent: z.string().nullable(),
  node: z.string(),
  question: z.string(),
  context: z.string().nullable(),
  title: z.string().nullable(),
  seen_at: z.string(),
  expires_at: z.string().describe('the asking agent gives up (and escalates) around then'),
});

export const helpListSchema = z.object({ requests: z.array(helpRequestSchema) });

export const createdSchema = z.object({
  key: z.string(),
  uri: z.string().describe('its log, as a resource'),
});

export const releasedSchema = z.object({
  key: z.string(),
  released: z.boolean(),
  holder: z.string().nullable(),
  token: z.number().nullable().describe('the fencing token of the revoked lease'),
});

export const answeredSchema = z.object({ task: z.string(), request: z.string(), agent: z.string() });

export const resolvedSchema = z.object({ address: z.string(), value: z.unknown() });
