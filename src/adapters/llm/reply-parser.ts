/**
 * A decision from the JSON a model wrote: the object of a text or schema reply
 * (`{"action": "command", "command": "ls"}`) or the arguments of one of the three tools.
 * `parseDecision` is the strict reading of a whole reply as exactly one such object; the
 * tolerant reader (reply-reader.ts) finds the object first and uses {@link decisionFromObject}.
 */
import { z } from 'zod';
import { TOOL_NAMES } from './conversation.js';
import { EmptyReplyError, ReplyParseError } from './errors.js';
import type { Decision } from './types.js';

const MAX_COMMAND = 8_000;
const MAX_TEXT = 20_000;

const text = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'must not be empty').max(max));

const command = text(MAX_COMMAND).refine((c) => !c.includes('\0'), 'must not contain NUL');
const thought = z.string().max(MAX_TEXT).optional();

const strictSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('command'), command, thought }),
  z.strictObject({ action: z.literal('done'), summary: text(MAX_TEXT), thought }),
  z.strictObject({ action: z.literal('help'), question: text(MAX_TEXT), thought }),
]);

/** Other keys are ignored: a schema-mode model may fill every field of the schema. */
const lenientSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('command'), command, thought }),
  z.object({ action: z.literal('done'), summary: text(MAX_TEXT), thought }),
  z.object({ action: z.literal('help'), question: text(MAX_TEXT), thought }),
]);

/** The arguments of each tool, by tool name. */
const toolSchemas = {
  [TOOL_NAMES.command]: z.object({ command }),
  [TOOL_NAMES.done]: z.object({ summary: text(MAX_TEXT) }),
  [TOOL_NAMES.help]: z.object({ question: text(MAX_TEXT) }),
} as const;

/** A decision, or what was wrong with the object. */
export type ObjectReading = { decision: Decision; thought?: string } | { problem: string };

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  return `${where}${issue?.message ?? 'invalid'}`;
}

/** Reads a parsed JSON value as a decision object. */
export function decisionFromObject(value: unknown, strict = false): ObjectReading {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'not a JSON object' };
  }
  const parsed = (strict ? strictSchema : lenientSchema).safeParse(value);
  if (!parsed.success) return { problem: firstIssue(parsed.error) };
  const v = parsed.data;
  const decision: Decision =
    v.action === 'command'
      ? { kind: 'command', command: v.command }
      : v.action === 'done'
        ? { kind: 'done', summary: v.summary }
        : { kind: 'help', question: v.question };
  const note = v.thought?.trim();
  return note === undefined || note === '' ? { decision } : { decision, thought: note };
}

/** Whether `name` is one of the three tools. */
export function isToolName(name: string): name is keyof typeof toolSchemas {
  return Object.hasOwn(toolSchemas, name);
}

/** Reads one tool call (arguments as a JSON string or an object) as a decision. */
export function decisionFromToolCall(name: string, args: string | Record<string, unknown>): ObjectReading {
  if (!isToolName(name)) {
    return {
      problem: `unknown tool ${JSON.stringify(name.slice(0, 60))}; the tools are ${Object.values(TOOL_NAMES).join(', ')}`,
    };
  }
  let value: unknown = args;
  if (typeof args === 'string') {
    try {
      value = args.trim() === '' ? {} : JSON.parse(args);
    } catch {
      return { problem: `the arguments of ${name} are not JSON` };
    }
  }
  const parsed = toolSchemas[name].safeParse(value);
  if (!parsed.success) return { problem: `the arguments of ${name}: ${firstIssue(parsed.error)}` };
  const data: Record<string, string> = parsed.data;
  if (name === TOOL_NAMES.command) return { decision: { kind: 'command', command: data.command ?? '' } };
  if (name === TOOL_NAMES.done) return { decision: { kind: 'done', summary: data.summary ?? '' } };
  return { decision: { kind: 'help', question: data.question ?? '' } };
}

const FENCE = /^```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;

/**
 * The strict reading: the whole reply is exactly one JSON object (optionally inside one
 * fence) naming one of the three decisions, with no other keys than `thought`. Throws
 * `ReplyParseError` or `EmptyReplyError` saying exactly what was wrong.
 */
export function parseDecision(reply: string): Decision {
  let body = reply.trim();
  if (body.length === 0) throw new EmptyReplyError();
  const fenced = FENCE.exec(body);
  if (fenced !== null) body = (fenced[1] ?? '').trim();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ReplyParseError('not a single JSON object', reply);
  }
  const reading = decisionFromObject(json, true);
  if ('problem' in reading) throw new ReplyParseError(reading.problem, reply);
  return reading.decision;
}
