/**
 * The strict parser of a model's reply: exactly one JSON object (optionally inside one
 * ```json fence) naming one of the three decisions. Anything else is a `ReplyParseError`
 * or an `EmptyReplyError`, which the chat reasoner answers by asking again, a bounded number
 * of times.
 */
import { z } from 'zod';
import { EmptyReplyError, ReplyParseError } from './errors.js';
import type { Decision } from './types.js';

const MAX_COMMAND = 8_000;
const MAX_TEXT = 20_000;

const text = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'must not be empty').max(max));

const thought = z.string().max(MAX_TEXT).optional();

const replySchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('command'),
    command: text(MAX_COMMAND).refine((c) => !c.includes('\0'), 'must not contain NUL'),
    thought,
  }),
  z.strictObject({ action: z.literal('done'), summary: text(MAX_TEXT), thought }),
  z.strictObject({ action: z.literal('help'), question: text(MAX_TEXT), thought }),
]);

const FENCE = /^```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;

/** Turns the model's text into a decision, or throws saying exactly what was wrong. */
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
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ReplyParseError('not a JSON object', reply);
  }
  const parsed = replySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    throw new ReplyParseError(`${where}${issue?.message ?? 'invalid'}`, reply);
  }
  const value = parsed.data;
  switch (value.action) {
    case 'command':
      return { kind: 'command', command: value.command };
    case 'done':
      return { kind: 'done', summary: value.summary };
    case 'help':
      return { kind: 'help', question: value.question };
  }
}
