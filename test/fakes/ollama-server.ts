/**
 * A loopback Ollama server speaking `/api/chat` (NDJSON streaming, one JSON reply, `{"error"}`
 * bodies; `message.thinking`, `message.tool_calls` with object arguments, `done_reason`) and
 * `/api/show` (`model_info` with the model's `context_length`), scripted per test with a queue
 * of replies and faults (see `llm-server.ts`). Refuses tools as Ollama does for a model
 * without them: HTTP 400 `{"error":"... does not support tools"}`.
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
  startScriptedLlmServer,
  splitText,
  toolCallReply,
  type FakeLlmReply,
  type FakeLlmServer,
  type RecordedRequest,
  type WireFormat,
  type WireReply,
} from './llm-server.js';

function chunk(model: string, message: Record<string, unknown>) {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', ...message },
    done: false,
  };
}

/** Ollama always sends object arguments; a string that is not JSON goes as it is. */
function objectArguments(args: string | Record<string, unknown>): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

function writeReply(
  res: ServerResponse,
  reply: WireReply,
  delivery: Delivery,
  stream: boolean,
  model: string,
) {
  const usage = usageOf(reply, delivery);
  const content = (reply.content ?? '') + (reply.refusal ?? '');
  const toolCalls = reply.toolCalls?.map((call) => ({
    ...(call.id === undefined ? {} : { id: call.id }),
    function: { name: call.name, arguments: objectArguments(call.arguments) },
  }));
  const final = {
    model,
    created_at: new Date().toISOString(),
    done: true,
    done_reason: finishOf(reply) === 'length' ? 'length' : 'stop',
    total_duration: 1000,
    load_duration: 10,
    prompt_eval_duration: 100,
    eval_duration: 500,
    ...(delivery.omitUsage === true ? {} : { prompt_eval_count: usage.input, eval_count: usage.output }),
  };
  if (!stream) {
    const message: Record<string, unknown> = { role: 'assistant', content };
    if (reply.reasoning !== undefined) message.thinking = reply.reasoning;
    if (toolCalls !== undefined) message.tool_calls = toolCalls;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ ...final, message }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const pieces = delivery.chunks ?? 3;
  if (reply.reasoning !== undefined)
    for (const piece of splitText(reply.reasoning, pieces))
      res.write(`${JSON.stringify(chunk(model, { content: '', thinking: piece }))}\n`);
  if (content !== '' || toolCalls === undefined)
    for (const piece of splitText(content, pieces))
      res.write(`${JSON.stringify(chunk(model, { content: piece }))}\n`);
  for (const call of toolCalls ?? [])
    res.write(`${JSON.stringify(chunk(model, { content: '', tool_calls: [call] }))}\n`);
  res.end(`${JSON.stringify({ ...final, message: { role: 'assistant', content: '' } })}\n`);
}

const ollamaWire: WireFormat = {
  path: '/api/chat',
  wantsStream: (body) => body.stream !== false,
  uses: (body) => ({
    tools: Array.isArray(body.tools) && body.tools.length > 0,
    schema: typeof body.format === 'object' && body.format !== null,
  }),
  refusal: (feature, model) =>
    JSON.stringify({
      error:
        feature === 'tools'
          ? `registry.ollama.ai/library/${model} does not support tools`
          : 'invalid format: expected "json" or a valid JSON schema',
    }),
  reply: writeReply,
  endless(res, stream, model) {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"model":"m","message":{"role":"assistant","content":"');
      return () => res.write('a'.repeat(512));
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    return () =>
      res.write(`${JSON.stringify(chunk(model, { content: 'all work and no play '.repeat(20) }))}\n`);
  },
  truncated(res, stream, model) {
    res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
    if (stream) res.end(`${JSON.stringify(chunk(model, { content: '{"action":"comm' }))}\n`);
    else res.end('{"model":"m","message":{"role":"assis');
  },
  midstreamError(res, stream, model, message) {
    res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
    if (stream)
      res.end(
        `${JSON.stringify(chunk(model, { content: '{"action":' }))}\n${JSON.stringify({ error: message })}\n`,
      );
    else res.end(JSON.stringify({ error: message }));
  },
  garbage(res) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>502 Bad Gateway, but with a 200</body></html>\n');
  },
  errorBody: (message) => JSON.stringify({ error: message }),
  routes: {
    '/api/show': (res, body, options) => {
      const arch = 'llama';
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
        JSON.stringify({
          modelfile: `FROM ${String(body.model)}`,
          parameters: 'temperature 0.2',
          template: '{{ .Prompt }}',
          details: { format: 'gguf', family: arch, parameter_size: '8B', quantization_level: 'Q4_K_M' },
          model_info: {
            'general.architecture': arch,
            'general.parameter_count': 8030261248,
            ...(options.contextLength === undefined
              ? {}
              : { [`${arch}.context_length`]: options.contextLength }),
            [`${arch}.embedding_length`]: 4096,
          },
          capabilities: ['completion', 'tools'],
          modified_at: new Date().toISOString(),
        }),
      );
    },
  },
};

/** Starts a fake Ollama; point `OLLAMA_HOST` (the reasoner's `host`) at `url`. */
export function startFakeOllama(
  options: { clock?: Clock; refuse?: Refusals; contextLength?: number } = {},
): Promise<FakeLlmServer> {
  return startScriptedLlmServer(ollamaWire, options);
}
