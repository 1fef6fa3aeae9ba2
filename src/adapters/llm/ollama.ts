/**
 * Ollama's `/api/chat` through the `ollama` client, streaming NDJSON by default. The client is
 * given a guarded `fetch` so that every byte it reads passes the timeout, abort and byte cap of
 * this port, garbage lines fail fast, and `Retry-After` is seen; each chunk is validated before
 * use. No `ollama` type leaves this file.
 */
import { Ollama } from 'ollama';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.js';
import type { LegacyChatBackend as ChatBackend, ChatCompletion } from './chat.js'; // TEMP (wp-read): until this wire takes CallOptions
import { LlmHttpError, LlmProtocolError } from './errors.js';
import { parseRetryAfter } from '../../lib/backoff.js';
import type { ChatReasonerOptions, ReasonerComponents } from './types.js';
import type { ChatMessage } from './prompt.js';
import { limitBody, openCallScope, toCallError, type CallScope } from './wire.js';

/** One NDJSON chunk (or the whole non-streaming reply) as far as we use it. */
const chunkSchema = z.object({
  message: z.object({ content: z.string().nullish() }).optional(),
  done: z.boolean().optional(),
  prompt_eval_count: z.number().int().nonnegative().optional(),
  eval_count: z.number().int().nonnegative().optional(),
});

interface CallMeta {
  responded: boolean;
  retryAfter: string | null;
}

export class OllamaChatBackend implements ChatBackend {
  readonly endpoint: string;
  readonly #clock: Clock;

  constructor(
    private readonly init: ChatReasonerOptions & { host?: string },
    components: ReasonerComponents,
  ) {
    this.endpoint = `${(init.host ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')}/api/chat`;
    this.#clock = components.clock;
  }

  async complete(messages: readonly ChatMessage[], signal: AbortSignal | undefined): Promise<ChatCompletion> {
    const scope = openCallScope(this.#clock, this.init.requestTimeoutMs ?? 120_000, signal);
    const meta: CallMeta = { responded: false, retryAfter: null };
    const stream = this.init.stream ?? true;
    const client = new Ollama({
      host: this.init.host ?? 'http://127.0.0.1:11434',
      fetch: this.#guardedFetch(scope, meta, stream),
    });
    const request = {
      model: this.init.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      format: 'json',
      options: { num_predict: this.init.maxOutputTokens ?? 1024, temperature: this.init.temperature ?? 0.2 },
    };
    try {
      if (!stream) return toCompletion([parseChunk(await client.chat({ ...request, stream: false }))]);
      const chunks: z.infer<typeof chunkSchema>[] = [];
      const iterator = await client.chat({ ...request, stream: true });
      try {
        for await (const raw of iterator) chunks.push(parseChunk(raw));
      } finally {
        iterator.abort();
      }
      return toCompletion(chunks);
    } catch (error) {
      throw this.#mapError(error, scope, meta);
    } finally {
      scope.dispose();
    }
  }

  #guardedFetch(scope: CallScope, meta: CallMeta, ndjson: boolean): typeof fetch {
    const maxBytes = this.init.maxReplyBytes ?? 256 * 1024;
    return async (input, init) => {
      const signal = init?.signal ? AbortSignal.any([init.signal, scope.signal]) : scope.signal;
      const response = await fetch(input, { ...init, signal });
      meta.responded = true;
      meta.retryAfter = response.headers.get('retry-after');
      if (response.body === null) return response;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(limitBody(response.body, maxBytes, scope, ndjson && response.ok), {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    };
  }

  #mapError(error: unknown, scope: CallScope, meta: CallMeta): Error {
    const failure = scope.failure();
    if (failure !== undefined) return failure;
    if (isResponseError(error)) {
      return new LlmHttpError(
        error.status_code,
        error.error,
        parseRetryAfter(meta.retryAfter, this.#clock.now()),
        {
          cause: error,
        },
      );
    }
    if (error instanceof SyntaxError) return new LlmProtocolError('reply is not JSON', { cause: error });
    return toCallError(error, scope, this.endpoint, meta.responded);
  }
}

function isResponseError(error: unknown): error is { error: string; status_code: number } {
  return (
    error instanceof Error &&
    error.name === 'ResponseError' &&
    typeof (error as { status_code?: unknown }).status_code === 'number'
  );
}

function parseChunk(raw: unknown): z.infer<typeof chunkSchema> {
  const parsed = chunkSchema.safeParse(raw);
  if (!parsed.success)
    throw new LlmProtocolError(`unexpected chat chunk: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function toCompletion(chunks: z.infer<typeof chunkSchema>[]): ChatCompletion {
  const last = chunks.at(-1);
  if (last?.done !== true) throw new LlmProtocolError('reply ended without "done": true');
  const text = chunks.map((c) => c.message?.content ?? '').join('');
  if (last.prompt_eval_count === undefined && last.eval_count === undefined) return { text };
  return { text, usage: { inputTokens: last.prompt_eval_count ?? 0, outputTokens: last.eval_count ?? 0 } };
}
