/**
 * A loopback upstream that speaks OpenAI's wire format, for the proxy's tests and benchmark:
 * `POST /v1/chat/completions` (one JSON completion, or SSE `data:` chunks ending in
 * `data: [DONE]`, with the usage chunk only when `stream_options.include_usage` is set) and
 * `GET /v1/models`. It checks the bearer key like a real server, echoing a wrong one in its
 * 401 as OpenAI does, and records every request it gets. A test scripts its next replies:
 * a plain text, a tool call of the first tool offered, an error that echoes the key, or a
 * stream cut after some chunks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  authorization: string | undefined;
  task: string | undefined;
  body: Record<string, unknown>;
}

export type Behaviour =
  | { kind: 'reply'; text?: string; usage?: { prompt: number; completion: number } | null }
  | { kind: 'cut'; chunks: number }
  | { kind: 'echo-key'; status: number; masked?: boolean }
  | { kind: 'status'; status: number; retryAfter?: string };

export interface FakeUpstream {
  readonly url: string;
  readonly key: string;
  readonly requests: SeenRequest[];
  /** The behaviour of the next requests, in order; then plain replies. */
  script(...next: Behaviour[]): void;
  close(): Promise<void>;
}

export const REPLY_TEXT = 'Hello from the loopback upstream: all good.';
export const USAGE = { prompt: 42, completion: 7 };

let ids = 0;

function chunk(model: string, delta: Record<string, unknown>, finish: string | null, id: string) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

const data = (value: unknown) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;

function firstTool(body: Record<string, unknown>): string | undefined {
  const tools = body.tools as { function?: { name?: string } }[] | undefined;
  return Array.isArray(tools) ? tools[0]?.function?.name : undefined;
}

function usageOf(u: { prompt: number; completion: number }) {
  return { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion };
}

function whole(res: ServerResponse, body: Record<string, unknown>, b: Extract<Behaviour, { kind: 'reply' }>) {
  const model = String(body.model);
  const tool = firstTool(body);
  const message = tool
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: tool, arguments: '{"command":"ls -la"}' } },
        ],
      }
    : { role: 'assistant', content: b.text ?? REPLY_TEXT, refusal: null };
  const usage = b.usage === null ? {} : { usage: usageOf(b.usage ?? USAGE) };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: `chatcmpl-${++ids}`,
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: tool ? 'tool_calls' : 'stop' }],
      ...usage,
    }),
  );
}

function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  return words.length > 0 ? words : [text];
}

function stream(res: ServerResponse, body: Record<string, unknown>, b: Behaviour) {
  const model = String(body.model);
  const id = `chatcmpl-${++ids}`;
  const wantsUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': keep-alive\n\n');
  res.write(data(chunk(model, { role: 'assistant', content: '' }, null, id)));
  const tool = firstTool(body);
  const parts = tool
    ? [
        {
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: tool, arguments: '' } }],
        },
        { tool_calls: [{ index: 0, function: { arguments: '{"command":' } }] },
        { tool_calls: [{ index: 0, function: { arguments: '"ls -la"}' } }] },
      ]
    : pieces(b.kind === 'reply' ? (b.text ?? REPLY_TEXT) : REPLY_TEXT).map((content) => ({ content }));
  if (b.kind === 'cut') {
    for (const part of parts.slice(0, b.chunks)) res.write(data(chunk(model, part, null, id)));
    // the connection dies in the middle of the reply
    setTimeout(() => res.destroy(), 20);
    return;
  }
  for (const part of parts) res.write(data(chunk(model, part, null, id)));
  res.write(data(chunk(model, {}, tool ? 'tool_calls' : 'stop', id)));
  const usage =
    b.kind === 'reply' && b.usage === null ? undefined : usageOf((b.kind === 'reply' && b.usage) || USAGE);
  if (wantsUsage && usage)
    res.write(data({ id, object: 'chat.completion.chunk', created: 1, model, choices: [], usage }));
  res.end(data('[DONE]'));
}

function error(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const part of req) text += (part as Buffer).toString();
  return text;
}

export async function startFakeUpstream(
  key = 'sk-upstream-REAL-7f3c9a2b4e1d8f60a5b7',
): Promise<FakeUpstream> {
  const requests: SeenRequest[] = [];
  const queue: Behaviour[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const authorization = req.headers.authorization;
      if (req.method === 'GET' && req.url === '/v1/models') {
        if (authorization !== `Bearer ${key}`) return error(res, 401, 'bad key');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            data: [{ id: 'gpt-4o-mini', object: 'model', created: 1, owned_by: 'loopback' }],
          }),
        );
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
        return error(res, 404, 'no such route');
      const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      const task = req.headers['x-bzzz-task'];
      requests.push({ authorization, task: typeof task === 'string' ? task : undefined, body });
      const b = queue.shift() ?? { kind: 'reply' };
      if (authorization !== `Bearer ${key}`)
        return error(res, 401, `Incorrect API key provided: ${authorization?.slice(7) ?? ''}`);
      if (b.kind === 'echo-key') {
        const shown = b.masked ? `${key.slice(0, 8)}****${key.slice(-4)}` : key;
        return error(
          res,
          b.status,
          `Incorrect API key provided: ${shown}. You can find your API key at https://example.invalid.`,
        );
      }
      if (b.kind === 'status')
        return error(res, b.status, 'slow down', b.retryAfter ? { 'retry-after': b.retryAfter } : {});
      if (body.stream === true) stream(res, body, b);
      else if (b.kind === 'reply') whole(res, body, b);
    })();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    key,
    requests,
    script: (...next) => queue.push(...next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
