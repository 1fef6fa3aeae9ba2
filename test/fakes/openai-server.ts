/**
 * A loopback OpenAI-compatible server: `POST /v1/chat/completions`, SSE `data:` chunks ending
 * in `data: [DONE]` (with the usage chunk when `stream_options.include_usage` is set), one JSON
 * completion when not streaming, and `{"error":{"message",...}}` bodies. Scripted with the same
 * replies and faults as the Ollama fake.
 */
import type { Clock } from '../../src/lib/index.js';
import {
  splitText,
  startScriptedLlmServer,
  usageOf,
  type FakeLlmServer,
  type WireFormat,
} from './ollama-server.js';

export type { FakeLlmReply, FakeLlmServer, RecordedRequest } from './ollama-server.js';

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

const openAiWire: WireFormat = {
  path: '/v1/chat/completions',
  wantsStream: (body) => body.stream === true,
  text(res, reply, stream, model) {
    const id = `chatcmpl-${++counter}`;
    const u = usageOf(reply);
    const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.text }, finish_reason: 'stop' }],
          ...(reply.omitUsage === true ? {} : { usage }),
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': keep-alive comment\n\n');
    res.write(data(chunk(id, model, { role: 'assistant', content: '' }, null)));
    for (const piece of splitText(reply.text, reply.chunks ?? 3))
      res.write(data(chunk(id, model, { content: piece }, null)));
    res.write(data(chunk(id, model, {}, 'stop')));
    if (reply.omitUsage !== true)
      res.write(data({ id, object: 'chat.completion.chunk', model, choices: [], usage }));
    res.end(data('[DONE]'));
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
export function startFakeOpenAi(options: { clock?: Clock } = {}): Promise<FakeLlmServer> {
  return startScriptedLlmServer(openAiWire, options);
}
