/**
 * A loopback OpenAI-compatible server: `POST /v1/chat/completions`, SSE `data:` chunks ending
 * in `data: [DONE]` (with the usage chunk when `stream_options.include_usage` is set), one JSON
 * completion when not streaming, and `{"error":{"message",...}}` bodies. Replies carry
 * `reasoning_content` (DeepSeek, Qwen), `refusal`, `finish_reason` and `tool_calls`, streamed
 * as OpenAI streams them: a first delta with the call's index, id and name, then argument
 * fragments. Refuses tools or `response_format` as a server without them does (HTTP 400
 * naming the parameter). Scripted with the same replies and faults as the Ollama fake.
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../src/lib/index.js';
import {
  finishOf,
  splitText,
  startScriptedLlmServer,
  usageOf,
  type Delivery,
  type FakeLlmServer,
  type Refusals,
  type WireFormat,
  type WireReply,
} from './llm-server.js';

export {
  decisionAsToolCall,
  toolCallReply,
  type FakeLlmReply,
  type FakeLlmServer,
  type RecordedRequest,
  type WireReply,
} from './llm-server.js';

let counter = 0;

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

const data = (value: unknown) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;

function toolCallsOf(reply: WireReply) {
  return reply.toolCalls?.map((call) => ({
    id: call.id ?? `call_${++counter}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

function writeWhole(res: ServerResponse, reply: WireReply, delivery: Delivery, model: string, usage: object) {
  const toolCalls = toolCallsOf(reply);
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: reply.content ?? (toolCalls === undefined && reply.refusal === undefined ? '' : null),
    refusal: reply.refusal ?? null,
  };
  if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
  if (toolCalls !== undefined) message.tool_calls = toolCalls;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: `chatcmpl-${++counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(reply) }],
      ...(delivery.omitUsage === true ? {} : { usage }),
    }),
  );
}

function writeStream(
  res: ServerResponse,
  reply: WireReply,
  delivery: Delivery,
  model: string,
  usage: object,
) {
  const id = `chatcmpl-${++counter}`;
  const pieces = delivery.chunks ?? 3;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': keep-alive comment\n\n');
  res.write(data(chunk(id, model, { role: 'assistant', content: '' }, null)));
  if (reply.reasoning !== undefined)
    for (const piece of splitText(reply.reasoning, pieces))
      res.write(data(chunk(id, model, { reasoning_content: piece }, null)));
  if (reply.content !== undefined || (reply.toolCalls === undefined && reply.refusal === undefined))
    for (const piece of splitText(reply.content ?? '', pieces))
      res.write(data(chunk(id, model, { content: piece }, null)));
  if (reply.refusal !== undefined)
    for (const piece of splitText(reply.refusal, pieces))
      res.write(data(chunk(id, model, { refusal: piece }, null)));
  for (const [index, call] of (toolCallsOf(reply) ?? []).entries()) {
    const opening = {
      index,
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: '' },
    };
    res.write(data(chunk(id, model, { tool_calls: [opening] }, null)));
    for (const piece of splitText(call.function.arguments, pieces))
      res.write(data(chunk(id, model, { tool_calls: [{ index, function: { arguments: piece } }] }, null)));
  }
  res.write(data(chunk(id, model, {}, finishOf(reply))));
  if (delivery.omitUsage !== true)
    res.write(data({ id, object: 'chat.completion.chunk', model, choices: [], usage }));
  res.end(data('[DONE]'));
}

const openAiWire: WireFormat = {
  path: '/v1/chat/completions',
  wantsStream: (body) => body.stream === true,
  uses: (body) => ({
    tools: Array.isArray(body.tools) && body.tools.length > 0,
    schema: (body.response_format as { type?: unknown } | undefined)?.type === 'json_schema',
  }),
  refusal: (feature) =>
    JSON.stringify({
      error:
        feature === 'tools'
          ? {
              message: 'tools is not supported in this model. This model does not support tools.',
              type: 'invalid_request_error',
              param: 'tools',
              code: null,
            }
          : {
              message:
                "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
              type: 'invalid_request_error',
              param: 'response_format',
              code: null,
            },
    }),
  reply(res, reply, delivery, stream, model) {
    const u = usageOf(reply, delivery);
    const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
    if (stream) writeStream(res, reply, delivery, model, usage);
    else writeWhole(res, reply, delivery, model, usage);
  },
  endless(res, stream, model) {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices":[{"message":{"content":"');
      return () => res.write('a'.repeat(512));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const id = `chatcmpl-${++counter}`;
    return () => res.write(data(chunk(id, model, { content: 'all work and no play '.repeat(20) }, null)));
  },
  truncated(res, stream, model) {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    if (stream) res.end(data(chunk(`chatcmpl-${++counter}`, model, { content: '{"action":"comm' }, null)));
    else res.end('{"choices":[{"message":{"cont');
  },
  midstreamError(res, stream, model, message) {
    const error = { error: { message, type: 'server_error', param: null, code: null } };
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    if (stream)
      res.end(data(chunk(`chatcmpl-${++counter}`, model, { content: '{"action":' }, null)) + data(error));
    else res.end(JSON.stringify(error));
  },
  garbage(res, stream) {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'text/html' });
    res.end('<html><body>502 Bad Gateway, but with a 200</body></html>\n');
  },
  errorBody: (message) =>
    JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } }),
};

/** Starts a fake OpenAI-compatible server; its base URL for clients is `${url}/v1`. */
export function startFakeOpenAi(options: { clock?: Clock; refuse?: Refusals } = {}): Promise<FakeLlmServer> {
  return startScriptedLlmServer(openAiWire, options);
}
