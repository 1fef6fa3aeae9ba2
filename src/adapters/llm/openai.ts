/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio, Ollama's `/v1`):
 * `POST {base}/chat/completions` with `fetch`, streaming SSE (with `include_usage`) or one JSON
 * reply. Bodies are validated with zod; the API key goes only into the Authorization header.
 */
import { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import type { LegacyChatBackend as ChatBackend, ChatCompletion } from './chat.js'; // TEMP (wp-read): until this wire takes CallOptions
import { LlmProtocolError } from './errors.js';
import type { ChatReasonerOptions, ReasonerComponents } from './types.js';
import type { ChatMessage } from './prompt.js';
import { readSseData } from './sse.js';
import {
  httpErrorFrom,
  limitBody,
  openCallScope,
  readCappedText,
  serverMessage,
  toCallError,
} from './wire.js';

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});

const completionSchema = z.object({
  choices: z
    .array(
      z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional(),
  usage: usageSchema.nullish(),
});

export class OpenAiChatBackend implements ChatBackend {
  readonly endpoint: string;
  readonly #clock: Clock;

  constructor(
    private readonly init: ChatReasonerOptions & { baseUrl: string; apiKey?: string },
    components: ReasonerComponents,
  ) {
    this.endpoint = `${init.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#clock = components.clock;
  }

  async complete(messages: readonly ChatMessage[], signal: AbortSignal | undefined): Promise<ChatCompletion> {
    const scope = openCallScope(this.#clock, this.init.requestTimeoutMs ?? 120_000, signal);
    const stream = this.init.stream ?? true;
    const maxBytes = this.init.maxReplyBytes ?? 256 * 1024;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.init.apiKey !== undefined && this.init.apiKey !== '')
      headers.authorization = `Bearer ${this.init.apiKey}`;
    const body = {
      model: this.init.model,
      messages,
      max_tokens: this.init.maxOutputTokens ?? 1024,
      temperature: this.init.temperature ?? 0.2,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
    let responded = false;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: scope.signal,
      });
      responded = true;
      if (!response.ok) throw await httpErrorFrom(response, scope, this.#clock);
      const type = response.headers.get('content-type') ?? '';
      // A server that ignores `stream: true` answers with one JSON document.
      if (!stream || type.includes('application/json')) {
        return parseCompletion(await readCappedText(response, maxBytes, scope));
      }
      if (response.body === null) throw new LlmProtocolError('streamed reply without a body');
      return await readStream(limitBody(response.body, maxBytes, scope));
    } catch (error) {
      throw toCallError(error, scope, this.endpoint, responded);
    } finally {
      scope.dispose();
    }
  }
}

function parseCompletion(text: string): ChatCompletion {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LlmProtocolError(`reply is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw new LlmProtocolError(
      serverMessage(text) ?? `unexpected completion: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  const { choices, usage } = parsed.data;
  const content = choices[0]?.message.content ?? '';
  return usage == null
    ? { text: content }
    : { text: content, usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } };
}

async function readStream(body: ReadableStream<Uint8Array>): Promise<ChatCompletion> {
  const state = { sawDone: false };
  let text = '';
  let finished = false;
  let usage: ChatCompletion['usage'];
  for await (const data of readSseData(body, state)) {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (error) {
      throw new LlmProtocolError(`SSE data is not JSON: ${JSON.stringify(data.slice(0, 80))}`, {
        cause: error,
      });
    }
    const message = serverMessage(data);
    if (message !== undefined) throw new LlmProtocolError(`server error in stream: ${message}`);
    const parsed = chunkSchema.safeParse(json);
    if (!parsed.success)
      throw new LlmProtocolError(`unexpected stream chunk: ${parsed.error.issues[0]?.message ?? ''}`);
    for (const choice of parsed.data.choices ?? []) {
      text += choice.delta?.content ?? '';
      if (choice.finish_reason != null) finished = true;
    }
    if (parsed.data.usage != null) {
      usage = {
        inputTokens: parsed.data.usage.prompt_tokens,
        outputTokens: parsed.data.usage.completion_tokens,
      };
    }
  }
  if (!state.sawDone && !finished) throw new LlmProtocolError('stream ended before [DONE]');
  return usage === undefined ? { text } : { text, usage };
}
