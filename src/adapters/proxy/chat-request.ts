/**
 * A chat completion request as the proxy reads it: only what it needs (the model, whether it
 * streams, the token cap, whether the client asked for stream usage), checked; everything
 * else (messages, tools, tool_choice, response_format, fields the proxy never heard of) goes
 * upstream as the client sent it. A non-streaming body is forwarded byte for byte; a
 * streaming one gets `stream_options.include_usage: true`, so every stream is counted.
 */
import { z } from 'zod';
import { BadProxyRequestError } from './errors.js';

const tokenCap = z.number().int().min(0).max(100_000_000);
const fields = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(z.unknown()).min(1),
  stream: z.boolean().nullish(),
  max_tokens: tokenCap.nullish(),
  max_completion_tokens: tokenCap.nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});

export interface ChatRequest {
  /** The body as received. */
  raw: string;
  model: string;
  stream: boolean;
  /** The client asked for the usage chunk of a stream. */
  clientWantsUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`, else undefined. */
  maxTokens: number | undefined;
  /** The body to send upstream. */
  upstreamBody(): string;
}

export function parseChatRequest(raw: string): ChatRequest {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadProxyRequestError('the request body is not JSON', 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadProxyRequestError('the request body must be a JSON object', 'invalid_json');
  const parsed = fields.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadProxyRequestError(`${issue.path.join('.') || 'body'}: ${issue.message}`, 'invalid_body');
  }
  const body = value as Record<string, unknown>;
  const { model, stream, max_tokens, max_completion_tokens, stream_options } = parsed.data;
  const streaming = stream === true;
  const clientWantsUsage = stream_options?.include_usage === true;
  return {
    raw,
    model,
    stream: streaming,
    clientWantsUsage,
    maxTokens: max_completion_tokens ?? max_tokens ?? undefined,
    upstreamBody: () =>
      !streaming || clientWantsUsage
        ? raw
        : JSON.stringify({ ...body, stream_options: { ...(stream_options ?? {}), include_usage: true } }),
  };
}

/** A header naming a task or node: printable ASCII without spaces, at most 200 characters. */
const ATTRIBUTE = /^[\x21-\x7e]{1,200}$/;

/** The task and node a request names (`x-bzzz-task`, `x-bzzz-node`). */
export function attributionOf(header: (name: string) => string | undefined): {
  task: string | null;
  node: string | undefined;
} {
  const task = header('x-bzzz-task');
  const node = header('x-bzzz-node');
  for (const [name, value] of [
    ['x-bzzz-task', task],
    ['x-bzzz-node', node],
  ] as const)
    if (value !== undefined && !ATTRIBUTE.test(value))
      throw new BadProxyRequestError(
        `${name}: printable ASCII without spaces, 1 to 200 characters`,
        'invalid_header',
      );
  return { task: task ?? null, node };
}
