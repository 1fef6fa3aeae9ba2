/**
 * Ollama's `/api/chat` through the `ollama` client, streaming NDJSON by default, and
 * `/api/show` for the model's context window. The client is given a guarded `fetch` so that
 * every byte it reads passes the timeout, abort and byte cap of this port, garbage lines fail
 * fast, and `Retry-After` is seen; each chunk is validated before use. The reply mode's
 * request fields and the reply's reading are in `ollama-reply.ts`. No `ollama` type leaves
 * this file.
 */
import { Ollama } from 'ollama';
import type { Clock } from '../../lib/clock.js';
import type { CallOptions, ChatCompletion, ChatMessage } from './conversation.js';
import { LlmHttpError, LlmProtocolError } from './errors.js';
import { parseRetryAfter } from '../../lib/backoff.js';
import type { ChatReasonerOptions, ReasonerComponents } from './types.js';
import {
  contextLengthOf,
  ollamaModeFields,
  parseChunk,
  toCompletion,
  toOllamaMessages,
  type OllamaChunk,
} from './ollama-reply.js';
import { limitBody, openCallScope, toCallError, type CallScope } from './wire.js';

interface CallMeta {
  responded: boolean;
  retryAfter: string | null;
}

/** How long `/api/show` may take before the window counts as unknown. */
const SHOW_TIMEOUT_MS = 10_000;

export class OllamaChatBackend {
  readonly endpoint: string;
  readonly #host: string;
  readonly #clock: Clock;
  #window: Promise<number | undefined> | undefined;

  constructor(
    private readonly init: ChatReasonerOptions & { host?: string },
    components: ReasonerComponents,
  ) {
    this.#host = (init.host ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
    this.endpoint = `${this.#host}/api/chat`;
    this.#clock = components.clock;
  }

  /**
   * The model's context window from `/api/show` (`model_info["<arch>.context_length"]`),
   * asked once; undefined when the server does not say or cannot be asked.
   */
  contextWindow(): Promise<number | undefined> {
    this.#window ??= this.#show();
    return this.#window;
  }

  async #show(): Promise<number | undefined> {
    const scope = openCallScope(this.#clock, SHOW_TIMEOUT_MS);
    const meta: CallMeta = { responded: false, retryAfter: null };
    try {
      const client = new Ollama({ host: this.#host, fetch: this.#guardedFetch(scope, meta, false) });
      const shown = await client.show({ model: this.init.model });
      return contextLengthOf(shown.model_info);
    } catch {
      return undefined;
    } finally {
      scope.dispose();
    }
  }

  async complete(messages: readonly ChatMessage[], options: CallOptions): Promise<ChatCompletion> {
    const scope = openCallScope(this.#clock, this.init.requestTimeoutMs ?? 120_000, options.signal);
    const meta: CallMeta = { responded: false, retryAfter: null };
    const stream = this.init.stream ?? true;
    const client = new Ollama({ host: this.#host, fetch: this.#guardedFetch(scope, meta, stream) });
    const request = {
      model: this.init.model,
      messages: toOllamaMessages(messages),
      ...ollamaModeFields(options.mode),
      options: { num_predict: this.init.maxOutputTokens ?? 1024, temperature: this.init.temperature ?? 0.2 },
    };
    try {
      if (!stream) return toCompletion([parseChunk(await client.chat({ ...request, stream: false }))]);
      const chunks: OllamaChunk[] = [];
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
