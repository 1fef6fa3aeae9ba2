/**
 * The machinery of the loopback model servers (Ollama in `ollama-server.ts`, OpenAI-compatible
 * in `openai-server.ts`): a queue of scripted replies and faults per test, each written by the
 * wire format in its real form. A reply is given in a neutral shape ({@link WireReply}: text,
 * reasoning, tool calls, finish reason, refusal), the shape the replay corpus is written in.
 * A server can be told to refuse tools or a response schema the way real servers do (HTTP 400
 * naming them); a refused request does not use up a scripted reply.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/lib/index.js';

/** One model reply in neutral form; each wire writes it its own way. */
export interface WireReply {
  content?: string;
  /** Reasoning the server returns apart (`reasoning_content`, Ollama's `thinking`). */
  reasoning?: string;
  toolCalls?: { name: string; arguments: string | Record<string, unknown>; id?: string }[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** OpenAI's `refusal` (Ollama has none: written as content there). */
  refusal?: string;
}

/** How a scripted reply is delivered. */
export interface Delivery {
  usage?: { input: number; output: number };
  omitUsage?: boolean;
  /** Stream pieces per text field (default 3). */
  chunks?: number;
}

/** One scripted answer. */
export type FakeLlmReply =
  /** A normal reply with this model text. */
  | ({ kind: 'text'; text: string } & Delivery)
  /** A reply in neutral form (tool calls, reasoning, refusal, finish reason). */
  | ({ kind: 'reply'; reply: WireReply } & Delivery)
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

/** What the server refuses, as a model or server without that feature does. */
export interface Refusals {
  tools?: boolean;
  schema?: boolean;
}

export interface FakeLlmServer {
  /** Base URL: Ollama's host, or the OpenAI base without `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests to the chat path only (not `/api/show`). */
  readonly chatRequests: RecordedRequest[];
  enqueue(...replies: FakeLlmReply[]): void;
  /** What the server refuses from now on. */
  refuse: Refusals;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  /** Streams the client hung up on before their end (an endless stream cut off). */
  readonly cutStreams: number;
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  refuse?: Refusals;
  /** The model's context window `/api/show` reports (Ollama). */
  contextLength?: number;
}

/** How one wire format writes each kind of reply. */
export interface WireFormat {
  path: string;
  /** Whether the request asked for a stream. */
  wantsStream(body: Record<string, unknown>): boolean;
  /** Which mode's features the request uses. */
  uses(body: Record<string, unknown>): { tools: boolean; schema: boolean };
  /** The server's words when it refuses a feature (sent with HTTP 400). */
  refusal(feature: 'tools' | 'schema', model: string): string;
  reply(res: ServerResponse, reply: WireReply, delivery: Delivery, stream: boolean, model: string): void;
  /** Starts an endless reply and returns a function writing one more piece of it. */
  endless(res: ServerResponse, stream: boolean, model: string): () => void;
  truncated(res: ServerResponse, stream: boolean, model: string): void;
  midstreamError(res: ServerResponse, stream: boolean, model: string, message: string): void;
  garbage(res: ServerResponse, stream: boolean): void;
  errorBody(message: string): string;
  /** Other routes (`POST /api/show`). */
  routes?: Record<
    string,
    (res: ServerResponse, body: Record<string, unknown>, options: ServerOptions) => void
  >;
}

function serveScripted(
  wire: WireFormat,
  res: ServerResponse,
  reply: FakeLlmReply,
  stream: boolean,
  model: string,
  onCut: () => void,
): void {
  switch (reply.kind) {
    case 'text':
      return wire.reply(res, { content: reply.text }, reply, stream, model);
    case 'reply':
      return wire.reply(res, reply.reply, reply, stream, model);
    case 'garbage':
      return wire.garbage(res, stream);
    case 'truncated':
      return wire.truncated(res, stream, model);
    case 'midstream-error':
      return wire.midstreamError(res, stream, model, reply.message);
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
        if (open) onCut();
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
}

/** Starts a scripted server for `wire`; an unscripted request gets HTTP 500 "no scripted reply". */
export async function startScriptedLlmServer(
  wire: WireFormat,
  options: ServerOptions = {},
): Promise<FakeLlmServer> {
  const queue: FakeLlmReply[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let cutStreams = 0;
  let refuse: Refusals = { ...options.refuse };
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
      const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const route = req.method === 'POST' ? wire.routes?.[req.url ?? ''] : undefined;
      if (route !== undefined) return route(res, record, options);
      if (req.method !== 'POST' || req.url !== wire.path) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(wire.errorBody(`no route ${req.url ?? ''}`));
        return;
      }
      const model = typeof record.model === 'string' ? record.model : 'unknown';
      const uses = wire.uses(record);
      const refused =
        uses.tools && refuse.tools === true
          ? 'tools'
          : uses.schema && refuse.schema === true
            ? 'schema'
            : undefined;
      if (refused !== undefined) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(wire.refusal(refused, model));
        return;
      }
      const reply = queue.shift() ?? { kind: 'error', status: 500, message: 'no scripted reply' };
      serveScripted(wire, res, reply, wire.wantsStream(record), model, () => (cutStreams += 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get chatRequests() {
      return requests.filter((r) => r.path === wire.path);
    },
    enqueue: (...replies) => queue.push(...replies),
    get refuse() {
      return refuse;
    },
    set refuse(value: Refusals) {
      refuse = { ...value };
    },
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

/** The usage a reply reports (default: 42 in, a quarter of its characters out). */
export function usageOf(reply: WireReply, delivery: Delivery): { input: number; output: number } {
  const length =
    (reply.content ?? '').length +
    (reply.reasoning ?? '').length +
    JSON.stringify(reply.toolCalls ?? []).length * (reply.toolCalls === undefined ? 0 : 1);
  return delivery.usage ?? { input: 42, output: Math.ceil(length / 4) };
}

/** The finish reason a reply ends with. */
export function finishOf(reply: WireReply): string {
  return (
    reply.finishReason ??
    (reply.toolCalls !== undefined && reply.toolCalls.length > 0 ? 'tool_calls' : 'stop')
  );
}

/** A tool call of one of the three tools, as a scripted reply (what a tool-calling model sends). */
export function toolCallReply(
  name: string,
  args: Record<string, unknown>,
  extra: Omit<WireReply, 'toolCalls'> & Delivery = {},
): FakeLlmReply {
  const { usage, omitUsage, chunks, ...reply } = extra;
  return {
    kind: 'reply',
    reply: { ...reply, toolCalls: [{ name, arguments: args }] },
    ...(usage === undefined ? {} : { usage }),
    ...(omitUsage === undefined ? {} : { omitUsage }),
    ...(chunks === undefined ? {} : { chunks }),
  };
}

/** A decision as the tool call a tool-calling model makes for it. */
export function decisionAsToolCall(
  decision:
    | { kind: 'command'; command: string }
    | { kind: 'done'; summary: string }
    | { kind: 'help'; question: string },
): FakeLlmReply {
  switch (decision.kind) {
    case 'command':
      return toolCallReply('run_command', { command: decision.command });
    case 'done':
      return toolCallReply('finish', { summary: decision.summary });
    case 'help':
      return toolCallReply('ask_for_help', { question: decision.question });
  }
}
