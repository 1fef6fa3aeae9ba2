/**
 * A loopback Ollama server speaking `/api/chat` (NDJSON streaming, one JSON reply, `{"error"}`
 * bodies), scripted per test with a queue of replies and faults: empty reply, garbage, an
 * endless stream, a stream cut short, HTTP errors with `Retry-After`, a server that never
 * answers. The queue machinery is shared with the OpenAI fake (`openai-server.ts`).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/lib/index.js';

/** One scripted answer. */
export type FakeLlmReply =
  /** A normal reply with this model text, split into `chunks` stream chunks (default 3). */
  | {
      kind: 'text';
      text: string;
      usage?: { input: number; output: number };
      omitUsage?: boolean;
      chunks?: number;
    }
  /** Bytes that are not the wire format at all. */
  | { kind: 'garbage' }
  /** Valid chunks, forever, until the client hangs up. */
  | { kind: 'endless' }
  /** The reply stops half way: no end marker. */
  | { kind: 'truncated' }
  /** An HTTP error with the server's JSON error body (or `raw`). */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string; raw?: string }
  /** Starts a 200 reply, then reports an error inside it (Ollama's `{"error"}` line, an SSE error event). */
  | { kind: 'midstream-error'; message: string }
  /** Accepts the request and never answers. */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** `clock.now()` when the request arrived (the test's clock, if given). */
  at: number;
}

export interface FakeLlmServer {
  /** Base URL: Ollama's host, or the OpenAI base without `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  enqueue(...replies: FakeLlmReply[]): void;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  /** Streams the client hung up on before their end (an endless stream cut off). */
  readonly cutStreams: number;
  close(): Promise<void>;
}

/** How one wire format writes each kind of reply. */
export interface WireFormat {
  path: string;
  /** Whether the request asked for a stream. */
  wantsStream(body: Record<string, unknown>): boolean;
  text(
    res: ServerResponse,
    reply: Extract<FakeLlmReply, { kind: 'text' }>,
    stream: boolean,
    model: string,
  ): void;
  /** Starts an endless reply and returns a function writing one more piece of it. */
  endless(res: ServerResponse, stream: boolean, model: string): () => void;
  truncated(res: ServerResponse, stream: boolean, model: string): void;
  midstreamError(res: ServerResponse, stream: boolean, model: string, message: string): void;
  garbage(res: ServerResponse, stream: boolean): void;
  errorBody(message: string): string;
}

/** Starts a scripted server for `wire`; an unscripted request gets HTTP 500 "no scripted reply". */
export async function startScriptedLlmServer(
  wire: WireFormat,
  options: { clock?: Clock } = {},
): Promise<FakeLlmServer> {
  const queue: FakeLlmReply[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let cutStreams = 0;
  const now = () => options.clock?.now() ?? Date.now();

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = Buffer.concat(parts).toString('utf8');
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: now() });
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
      if (req.method !== 'POST' || req.url !== wire.path) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(wire.errorBody(`no route ${req.url ?? ''}`));
        return;
      }
      const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const model = typeof record.model === 'string' ? record.model : 'unknown';
      const stream = wire.wantsStream(record);
      const reply = queue.shift() ?? { kind: 'error', status: 500, message: 'no scripted reply' };
      switch (reply.kind) {
        case 'text':
          wire.text(res, reply, stream, model);
          return;
        case 'garbage':
          wire.garbage(res, stream);
          return;
        case 'truncated':
          wire.truncated(res, stream, model);
          return;
        case 'midstream-error':
          wire.midstreamError(res, stream, model, reply.message);
          return;
        case 'hang':
          return;
        case 'error': {
          const headers: Record<string, string> = {
            'content-type': reply.raw === undefined ? 'application/json' : 'text/plain',
          };
          if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
          res.writeHead(reply.status, headers).end(reply.raw ?? wire.errorBody(reply.message ?? 'error'));
          return;
        }
        case 'endless': {
          const more = wire.endless(res, stream, model);
          let open = true;
          res.on('close', () => {
            if (open) cutStreams += 1;
            open = false;
          });
          const pump = () => {
            if (!open || res.destroyed) return;
            more();
            setTimeout(pump, 1);
          };
          pump();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    get cutStreams() {
      return cutStreams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Splits `text` into `n` roughly equal pieces (at least one, possibly empty). */
export function splitText(text: string, n: number): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / n));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** Default usage of a text reply. */
export function usageOf(reply: Extract<FakeLlmReply, { kind: 'text' }>): { input: number; output: number } {
  return reply.usage ?? { input: 42, output: Math.ceil(reply.text.length / 4) };
}

const ollamaWire: WireFormat = {
  path: '/api/chat',
  wantsStream: (body) => body.stream !== false,
  text(res, reply, stream, model) {
    const usage = usageOf(reply);
    const final = {
      model,
      created_at: new Date().toISOString(),
      done: true,
      done_reason: 'stop',
      total_duration: 1000,
      load_duration: 10,
      prompt_eval_duration: 100,
      eval_duration: 500,
      ...(reply.omitUsage === true ? {} : { prompt_eval_count: usage.input, eval_count: usage.output }),
    };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ ...final, message: { role: 'assistant', content: reply.text } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const piece of splitText(reply.text, reply.chunks ?? 3))
      res.write(`${JSON.stringify(chunk(model, piece))}\n`);
    res.end(`${JSON.stringify({ ...final, message: { role: 'assistant', content: '' } })}\n`);
  },
  endless(res, stream, model) {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"model":"m","message":{"role":"assistant","content":"');
      return () => res.write('a'.repeat(512));
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    return () => res.write(`${JSON.stringify(chunk(model, 'all work and no play '.repeat(20)))}\n`);
  },
  truncated(res, stream, model) {
    res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
    if (stream) res.end(`${JSON.stringify(chunk(model, '{"action":"comm'))}\n`);
    else res.end('{"model":"m","message":{"role":"assis');
  },
  midstreamError(res, stream, model, message) {
    res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
    if (stream)
      res.end(`${JSON.stringify(chunk(model, '{"action":'))}\n${JSON.stringify({ error: message })}\n`);
    else res.end(JSON.stringify({ error: message }));
  },
  garbage(res) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>502 Bad Gateway, but with a 200</body></html>\n');
  },
  errorBody: (message) => JSON.stringify({ error: message }),
};

function chunk(model: string, content: string) {
  return {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content },
    done: false,
  };
}

/** Starts a fake Ollama; point `OLLAMA_HOST` (the reasoner's `host`) at `url`. */
export function startFakeOllama(options: { clock?: Clock } = {}): Promise<FakeLlmServer> {
  return startScriptedLlmServer(ollamaWire, options);
}
