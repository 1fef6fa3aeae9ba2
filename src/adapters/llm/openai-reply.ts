/**
 * Reading an OpenAI-compatible chat completion, whole or streamed: the visible text, the
 * reasoning (`reasoning_content`, as DeepSeek and Qwen send it, or `reasoning`), the tool calls
 * (streamed as deltas keyed by `index`: the first names the call, the rest add argument
 * fragments), the refusal, the finish reason and the usage. Bodies are validated with zod.
 */
import { z } from 'zod';
import type { ChatCompletion, ToolCall } from './conversation.js';
import { LlmProtocolError } from './errors.js';
import { readSseData } from './sse.js';
import { finishReasonOf, stableToolCallId } from './tool-calls.js';
import { serverMessage } from './wire.js';

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});

const toolCallSchema = z.object({
  index: z.number().int().nonnegative().optional(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** A message or a delta: the same fields, all optional. */
const messageSchema = z.object({
  content: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  reasoning: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(toolCallSchema).nullish(),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: messageSchema, finish_reason: z.string().nullish() })).min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  choices: z
    .array(z.object({ delta: messageSchema.nullish(), finish_reason: z.string().nullish() }))
    .optional(),
  usage: usageSchema.nullish(),
});

type Usage = z.infer<typeof usageSchema>;

/** The completion being assembled from a whole message or from deltas. */
class Assembly {
  text = '';
  reasoning = '';
  refusal = '';
  finish: string | undefined;
  usage: Usage | undefined;
  readonly #calls = new Map<number, { id: string; name: string; args: string }>();

  add(part: z.infer<typeof messageSchema>): void {
    this.text += part.content ?? '';
    this.reasoning += part.reasoning_content ?? part.reasoning ?? '';
    this.refusal += part.refusal ?? '';
    for (const delta of part.tool_calls ?? []) {
      // A server that numbers nothing sends each call whole: a new id is a new call.
      const last = Math.max(-1, ...this.#calls.keys());
      const fresh = delta.id != null && delta.id !== '' && this.#calls.get(last)?.id !== delta.id;
      const index = delta.index ?? (fresh && last >= 0 ? last + 1 : Math.max(0, last));
      const call = this.#calls.get(index) ?? { id: '', name: '', args: '' };
      if (delta.id != null && delta.id !== '') call.id = delta.id;
      call.name += delta.function?.name ?? '';
      call.args += delta.function?.arguments ?? '';
      this.#calls.set(index, call);
    }
  }

  completion(): ChatCompletion {
    const out: ChatCompletion = { text: this.text };
    if (this.reasoning !== '') out.reasoning = this.reasoning;
    if (this.refusal !== '') out.refusal = this.refusal;
    const calls: ToolCall[] = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        id: c.id === '' ? stableToolCallId(index, c.name, c.args) : c.id,
        name: c.name,
        arguments: c.args,
      }));
    if (calls.length > 0) out.toolCalls = calls;
    const finishReason = finishReasonOf(this.finish);
    if (finishReason !== undefined) out.finishReason = finishReason;
    if (this.usage !== undefined)
      out.usage = { inputTokens: this.usage.prompt_tokens, outputTokens: this.usage.completion_tokens };
    return out;
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LlmProtocolError(`${what} is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
}

/** One JSON completion (`stream: false`, or a server that ignored `stream: true`). */
export function parseCompletion(text: string): ChatCompletion {
  const parsed = completionSchema.safeParse(parseJson(text, 'reply'));
  if (!parsed.success) {
    throw new LlmProtocolError(
      serverMessage(text) ?? `unexpected completion: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  const assembly = new Assembly();
  const [choice] = parsed.data.choices;
  if (choice !== undefined) {
    assembly.add(choice.message);
    assembly.finish = choice.finish_reason ?? undefined;
  }
  assembly.usage = parsed.data.usage ?? undefined;
  return assembly.completion();
}

/** A streamed completion: SSE chunks until `[DONE]` (or at least a finish reason). */
export async function readStream(body: ReadableStream<Uint8Array>): Promise<ChatCompletion> {
  const state = { sawDone: false };
  const assembly = new Assembly();
  for await (const data of readSseData(body, state)) {
    const json = parseJson(data, 'SSE data');
    const message = serverMessage(data);
    if (message !== undefined) throw new LlmProtocolError(`server error in stream: ${message}`);
    const parsed = chunkSchema.safeParse(json);
    if (!parsed.success)
      throw new LlmProtocolError(`unexpected stream chunk: ${parsed.error.issues[0]?.message ?? ''}`);
    // Only the first choice is ours (we never ask for `n` > 1).
    const choice = parsed.data.choices?.[0];
    if (choice?.delta != null) assembly.add(choice.delta);
    if (choice?.finish_reason != null) assembly.finish = choice.finish_reason;
    if (parsed.data.usage != null) assembly.usage = parsed.data.usage;
  }
  if (!state.sawDone && assembly.finish === undefined)
    throw new LlmProtocolError('stream ended before [DONE]');
  return assembly.completion();
}
