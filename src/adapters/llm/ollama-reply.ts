/**
 * Ollama's `/api/chat` in our words and back: the request's messages, tools and `format` per
 * reply mode, and the reply (streamed NDJSON chunks or one object) read into a completion —
 * `message.thinking` as reasoning, `message.tool_calls` (object arguments, ids made stable
 * when the server sends none), `done_reason` as the finish reason, the eval counts as usage.
 */
import { z } from 'zod';
import {
  DECISION_SCHEMA,
  TOOLS,
  type CallOptions,
  type ChatCompletion,
  type ChatMessage,
} from './conversation.js';
import { LlmProtocolError } from './errors.js';
import { argumentsAsObject, argumentsAsString, finishReasonOf, stableToolCallId } from './tool-calls.js';

/** One NDJSON chunk (or the whole non-streaming reply) as far as we use it. */
const chunkSchema = z.object({
  message: z
    .object({
      content: z.string().nullish(),
      thinking: z.string().nullish(),
      tool_calls: z
        .array(
          z.object({
            id: z.string().nullish(),
            function: z.object({
              name: z.string(),
              arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
            }),
          }),
        )
        .nullish(),
    })
    .optional(),
  done: z.boolean().optional(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().int().nonnegative().optional(),
  eval_count: z.number().int().nonnegative().optional(),
});

export type OllamaChunk = z.infer<typeof chunkSchema>;

const OLLAMA_TOOLS = TOOLS.map((tool) => ({
  type: 'function',
  function: { name: tool.name, description: tool.description, parameters: tool.parameters },
}));

/**
 * What a mode adds to the request. Text mode forces no `format: "json"`: a text reply may
 * rightly be a fenced bash block.
 */
export function ollamaModeFields(mode: CallOptions['mode']): {
  tools?: typeof OLLAMA_TOOLS;
  format?: object;
} {
  switch (mode) {
    case 'tools':
      return { tools: OLLAMA_TOOLS };
    case 'schema':
      return { format: DECISION_SCHEMA };
    case 'text':
      return {};
  }
}

/** An Ollama message (the `ollama` package's `Message` shape). */
export interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

/** Our messages in Ollama's form; the model's earlier reasoning goes back as `thinking`. */
export function toOllamaMessages(messages: readonly ChatMessage[]): OllamaMessage[] {
  return messages.map((m): OllamaMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant': {
        const out: OllamaMessage = { role: 'assistant', content: m.content };
        if (m.reasoning !== undefined && m.reasoning !== '') out.thinking = m.reasoning;
        if (m.toolCalls !== undefined && m.toolCalls.length > 0)
          out.tool_calls = m.toolCalls.map((c) => ({
            function: { name: c.name, arguments: argumentsAsObject(c.arguments) },
          }));
        return out;
      }
      case 'tool':
        return { role: 'tool', content: m.content, tool_name: m.name };
    }
  });
}

export function parseChunk(raw: unknown): OllamaChunk {
  const parsed = chunkSchema.safeParse(raw);
  if (!parsed.success)
    throw new LlmProtocolError(`unexpected chat chunk: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** The chunks of one reply (one chunk when not streaming) as a completion. */
export function toCompletion(chunks: readonly OllamaChunk[]): ChatCompletion {
  const last = chunks.at(-1);
  if (last?.done !== true) throw new LlmProtocolError('reply ended without "done": true');
  const out: ChatCompletion = { text: chunks.map((c) => c.message?.content ?? '').join('') };
  const reasoning = chunks.map((c) => c.message?.thinking ?? '').join('');
  if (reasoning !== '') out.reasoning = reasoning;
  const calls = chunks.flatMap((c) => c.message?.tool_calls ?? []);
  if (calls.length > 0) {
    out.toolCalls = calls.map((call, index) => {
      const args = call.function.arguments ?? {};
      return {
        id: call.id ?? stableToolCallId(index, call.function.name, argumentsAsString(args)),
        name: call.function.name,
        arguments: args,
      };
    });
  }
  const finishReason = finishReasonOf(last.done_reason);
  if (finishReason !== undefined) out.finishReason = finishReason;
  if (last.prompt_eval_count !== undefined || last.eval_count !== undefined)
    out.usage = { inputTokens: last.prompt_eval_count ?? 0, outputTokens: last.eval_count ?? 0 };
  return out;
}

/** `<arch>.context_length` from `/api/show`'s `model_info`. */
export function contextLengthOf(modelInfo: unknown): number | undefined {
  if (typeof modelInfo !== 'object' || modelInfo === null) return undefined;
  const info = modelInfo as Record<string, unknown>;
  const arch = info['general.architecture'];
  const exact = typeof arch === 'string' ? info[`${arch}.context_length`] : undefined;
  const value = exact ?? Object.entries(info).find(([key]) => key.endsWith('.context_length'))?.[1];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
