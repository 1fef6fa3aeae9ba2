/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio, DeepSeek, Ollama's `/v1`):
 * `POST {base}/chat/completions` with `fetch`, streaming SSE (with `include_usage`) or one JSON
 * reply. In `tools` mode the three tools go as functions with `tool_choice: "required"`; in
 * `schema` mode the decision schema goes as `response_format: json_schema`; `text` sends
 * neither. The API key goes only into the Authorization header.
 *
 * Hand-written rather than through the `openai` SDK: the `reasoner.overhead` bench measured
 * the SDK's call alone adding more than this whole backend (see the README's figures), and
 * the guards (byte cap, strict SSE, timeout on the injected clock) sit in one place here.
 */
import type { Clock } from '../../lib/clock.js';
import {
  DECISION_SCHEMA,
  TOOLS,
  type CallOptions,
  type ChatCompletion,
  type ChatMessage,
} from './conversation.js';
import { LlmProtocolError } from './errors.js';
import type { ChatReasonerOptions, ReasonerComponents } from './types.js';
import { parseCompletion, readStream } from './openai-reply.js';
import { argumentsAsString } from './tool-calls.js';
import { httpErrorFrom, limitBody, openCallScope, readCappedText, toCallError } from './wire.js';

/** The three tools as OpenAI `tools`. */
const OPENAI_TOOLS = TOOLS.map((tool) => ({
  type: 'function' as const,
  function: { name: tool.name, description: tool.description, parameters: tool.parameters },
}));

/**
 * The decision schema as `response_format`. Not `strict`: OpenAI's strict mode wants every
 * property required, and a decision has only the fields of its action.
 */
const RESPONSE_FORMAT = {
  type: 'json_schema' as const,
  json_schema: { name: 'decision', schema: DECISION_SCHEMA, strict: false },
};

/** What a mode adds to the request body. */
export function modeFields(mode: CallOptions['mode']): Record<string, unknown> {
  switch (mode) {
    case 'tools':
      return { tools: OPENAI_TOOLS, tool_choice: 'required' };
    case 'schema':
      return { response_format: RESPONSE_FORMAT };
    case 'text':
      return {};
  }
}

/**
 * Our messages in OpenAI's form. Reasoning of earlier turns is not sent back as a field
 * (DeepSeek answers 400 to `reasoning_content` in a request): it goes into the assistant
 * message's text as a `<think>` section, the form reasoning models write it in, so the model
 * sees its earlier thoughts (the reply reader never takes a decision from such a section).
 */
export function toOpenAiMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant': {
        const content = withThoughts(m.content, m.reasoning);
        if (m.toolCalls === undefined || m.toolCalls.length === 0) return { role: 'assistant', content };
        return {
          role: 'assistant',
          content: content === '' ? null : content,
          tool_calls: m.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: argumentsAsString(call.arguments) },
          })),
        };
      }
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    }
  });
}

function withThoughts(content: string, reasoning: string | undefined): string {
  if (reasoning === undefined || reasoning === '') return content;
  return content === '' ? `<think>${reasoning}</think>` : `<think>${reasoning}</think>\n${content}`;
}

export class OpenAiChatBackend {
  readonly endpoint: string;
  readonly #clock: Clock;

  constructor(
    private readonly init: ChatReasonerOptions & { baseUrl: string; apiKey?: string },
    components: ReasonerComponents,
  ) {
    this.endpoint = `${init.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#clock = components.clock;
  }

  /** OpenAI-compatible servers do not say; the budget falls back to its default. */
  contextWindow(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  async complete(messages: readonly ChatMessage[], options: CallOptions): Promise<ChatCompletion> {
    const scope = openCallScope(this.#clock, this.init.requestTimeoutMs ?? 120_000, options.signal);
    const stream = this.init.stream ?? true;
    const maxBytes = this.init.maxReplyBytes ?? 256 * 1024;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.init.apiKey !== undefined && this.init.apiKey !== '')
      headers.authorization = `Bearer ${this.init.apiKey}`;
    // the task a call is for, which the bzzz proxy charges it to (a key it could not carry: none)
    if (options.task !== undefined && /^[\x21-\x7e]{1,200}$/.test(options.task))
      headers['x-bzzz-task'] = options.task;
    const body = {
      model: this.init.model,
      messages: toOpenAiMessages(messages),
      max_tokens: this.init.maxOutputTokens ?? 1024,
      temperature: this.init.temperature ?? 0.2,
      ...modeFields(options.mode),
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
