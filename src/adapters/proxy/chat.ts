/**
 * `POST /v1/chat/completions` for an authenticated virtual key, in the order that spends
 * nothing on a request that will be refused: read the request, check the budgets of its key
 * and task (402, before anything is forwarded), take its rate-limit buckets (429 with
 * `Retry-After`), forward it, relay the reply, and charge what it used.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../../lib/clock.js';
import type { Accountant, ExchangeFacts } from './accountant.js';
import { attributionOf, parseChatRequest, type ChatRequest } from './chat-request.js';
import { BudgetExceededError, RateLimitedError, UpstreamError } from './errors.js';
import type { ProxyPolicy, VirtualKey } from './keys.js';
import { bucketsFor, type RateLimiter } from './limiter.js';
import type { Redactor } from './redact.js';
import { relaySse } from './sse-relay.js';
import { choiceText, estimateBytesTokens, usageOf } from './tokens.js';
import type { Upstream, UpstreamReply } from './upstream.js';
import type { UsageSink } from './usage-sink.js';
import { readCapped, upstreamFailure } from './upstream-reply.js';

export interface ChatDeps {
  policy(): ProxyPolicy;
  sink: UsageSink;
  limiter: RateLimiter;
  upstream: Upstream;
  accountant: Accountant;
  clock: Clock;
  redact: Redactor;
  /** The node requests are attributed to when they name none. */
  node: string;
}

export interface IncomingChat {
  key: VirtualKey;
  body: string;
  header: (name: string) => string | undefined;
  signal: AbortSignal | undefined;
  /** Cuts the client's connection (a stream the upstream cut). */
  abort?: () => void;
  /** Told the model as soon as the body is read (for the metrics of a refusal). */
  onModel?: (model: string) => void;
}

/** Refuses a request whose key or task has spent its budget. */
async function checkBudgets(deps: ChatDeps, key: VirtualKey, task: string | null): Promise<void> {
  if (key.budgetUsd !== undefined) {
    const spent = await deps.sink.spent({ key: key.name });
    if (spent >= key.budgetUsd) throw new BudgetExceededError('key', key.name, spent, key.budgetUsd);
  }
  const taskBudget = deps.policy().taskBudgetUsd;
  if (task !== null && taskBudget !== undefined) {
    const spent = await deps.sink.spent({ task });
    if (spent >= taskBudget) throw new BudgetExceededError('task', task, spent, taskBudget);
  }
}

/** The facts of an admitted request: budgets checked, buckets taken. */
async function admit(deps: ChatDeps, incoming: IncomingChat, request: ChatRequest): Promise<ExchangeFacts> {
  const started = performance.now();
  const { task, node } = attributionOf(incoming.header);
  await checkBudgets(deps, incoming.key, task);
  const promptEstimate = estimateBytesTokens(Buffer.byteLength(request.raw));
  const reservedTokens = promptEstimate + (request.maxTokens ?? 0);
  const buckets = bucketsFor(
    incoming.key,
    request.model,
    deps.policy().models.get(request.model),
    reservedTokens,
  );
  const taken = await deps.limiter.take(buckets);
  if (!taken.ok) throw new RateLimitedError(taken.bucket, Math.max(1, Math.ceil(taken.retryAfterMs / 1000)));
  return {
    id: randomUUID(),
    at: deps.clock.now(),
    started,
    key: incoming.key,
    node: node ?? deps.node,
    task,
    model: request.model,
    stream: request.stream,
    promptEstimate,
    buckets,
    reservedTokens,
  };
}

export async function handleChat(deps: ChatDeps, incoming: IncomingChat): Promise<Response> {
  const request = parseChatRequest(incoming.body);
  incoming.onModel?.(request.model);
  const facts = await admit(deps, incoming, request);
  const scope = deps.upstream.scope(incoming.signal);
  let reply: UpstreamReply;
  try {
    reply = await deps.upstream.chat(request.upstreamBody(), scope);
  } catch (error) {
    scope.dispose();
    if (!(error instanceof UpstreamError)) throw error;
    // charged (and counted) here: the reply is this error's, not the error handler's
    void deps.accountant.charge(facts, { status: error.status, deliveredTokens: 0, replied: false });
    return error.response();
  }
  if (reply.status < 200 || reply.status >= 300) {
    const failure = await upstreamFailure(reply, deps.redact).finally(() => scope.dispose());
    void deps.accountant.charge(facts, { status: failure.status, deliveredTokens: 0, replied: false });
    return failure;
  }
  if (request.stream && reply.contentType.includes('text/event-stream'))
    return relayed(deps, facts, request, reply, () => scope.dispose(), incoming.abort);
  return whole(deps, facts, reply).finally(() => scope.dispose());
}

function relayed(
  deps: ChatDeps,
  facts: ExchangeFacts,
  request: ChatRequest,
  reply: UpstreamReply,
  dispose: () => void,
  abort: (() => void) | undefined,
): Response {
  const body = relaySse(Readable.toWeb(reply.body) as ReadableStream<Uint8Array>, {
    stripUsage: !request.clientWantsUsage,
    ...(abort === undefined ? {} : { abort }),
    onEnd: (end) => {
      dispose();
      void deps.accountant.charge(facts, {
        status: 200,
        usage: end.usage,
        deliveredTokens: end.deliveredTokens,
        replied: true,
      });
    },
  });
  return new Response(body, {
    status: reply.status,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  });
}

/** A reply in one JSON document: passed on as received, its usage charged. */
async function whole(deps: ChatDeps, facts: ExchangeFacts, reply: UpstreamReply): Promise<Response> {
  // a 2xx reply that breaks off or is not a completion: charged as a reply without usage
  const broken = (error: UpstreamError): Response => {
    void deps.accountant.charge(facts, { status: error.status, deliveredTokens: 0, replied: true });
    return error.response();
  };
  let text: string;
  try {
    text = await readCapped(reply.body, 64 * 1024 * 1024);
  } catch (error) {
    if (error instanceof UpstreamError) return broken(error);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (typeof json !== 'object' || json === null)
    return broken(
      new UpstreamError(
        'upstream_invalid_reply',
        'the upstream answered with something that is not a completion',
      ),
    );
  const choices = (json as { choices?: unknown }).choices;
  const delivered = Array.isArray(choices)
    ? choices.reduce<number>(
        (n, c) => n + Buffer.byteLength(choiceText((c as { message?: unknown } | null)?.message)),
        0,
      )
    : 0;
  void deps.accountant.charge(facts, {
    status: reply.status,
    usage: usageOf(json),
    deliveredTokens: estimateBytesTokens(delivered),
    replied: true,
  });
  return new Response(text, { status: reply.status, headers: { 'content-type': 'application/json' } });
}
