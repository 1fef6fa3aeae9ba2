/**
 * The reasoner over a chat model, whatever its wire format: builds the prompt, calls the
 * backend with transport retries (429/5xx/connection/timeout, exponential backoff honouring
 * `Retry-After` on the injected clock), parses the reply strictly, and asks again a bounded
 * number of times when the reply is unusable, telling the model what was wrong.
 */
import type { Clock, Logger } from '../../lib/index.js';
import { describeError } from '../../lib/errors.js';
import { retryWithBackoff, type RetryVerdict } from '../../lib/backoff.js';
import {
  EmptyReplyError,
  LlmHttpError,
  LlmProtocolError,
  LlmReplyLimitError,
  LlmTimeoutError,
  LlmUnavailableError,
  ReasonerAbortedError,
  ReplyParseError,
} from './errors.js';
import type {
  ChatReasonerOptions,
  NextStepInput,
  Reasoner,
  ReasonerComponents,
  ReasonerStep,
  TokenUsage,
} from './types.js';
import { buildMessages, correctionMessage, estimateTokens, type ChatMessage } from './prompt.js';
import { parseDecision } from './reply-parser.js';

/** What one model call returns. */
export interface ChatCompletion {
  text: string;
  /** Absent when the server reported none. */
  usage?: { inputTokens: number; outputTokens: number };
}

/** One wire format (Ollama, OpenAI). Throws only this port's named errors. */
export interface ChatBackend {
  /** The URL called, for errors and logs. */
  readonly endpoint: string;
  complete(messages: readonly ChatMessage[], signal: AbortSignal | undefined): Promise<ChatCompletion>;
}

/** Transport failures worth another attempt of the same request. */
function classifyTransport(error: unknown): RetryVerdict {
  if (error instanceof LlmHttpError) return { retry: error.retryable, retryAfterMs: error.retryAfterMs };
  if (error instanceof LlmUnavailableError || error instanceof LlmTimeoutError) return { retry: true };
  return { retry: false };
}

/** Replies worth asking again for. */
function isBadReply(error: unknown): error is Error {
  return (
    error instanceof ReplyParseError ||
    error instanceof EmptyReplyError ||
    error instanceof LlmProtocolError ||
    error instanceof LlmReplyLimitError
  );
}

export class ChatReasoner implements Reasoner {
  readonly model: string;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(
    readonly backend: 'ollama' | 'openai',
    private readonly chat: ChatBackend,
    private readonly options: ChatReasonerOptions,
    components: ReasonerComponents,
  ) {
    this.model = options.model;
    this.#clock = components.clock;
    this.#logger = components.logger.child({ reasoner: backend, model: options.model });
  }

  async next(input: NextStepInput): Promise<ReasonerStep> {
    if (input.signal?.aborted === true) throw new ReasonerAbortedError({ cause: input.signal.reason });
    const messages = buildMessages(input.task, input.history);
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    const maxBadReplies = this.options.maxBadReplies ?? 2;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= maxBadReplies + 1; attempt++) {
      let text: string;
      try {
        const completion = await this.#complete(messages, input.signal);
        text = completion.text;
        addUsage(usage, completion, messages);
      } catch (error) {
        if (!isBadReply(error)) throw error;
        lastError = error;
        this.#logger.warn(
          { task: input.task.key, attempt, err: describeError(error) },
          'unusable reply from model server',
        );
        continue;
      }
      try {
        return { decision: parseDecision(text), usage, model: this.model };
      } catch (error) {
        if (!isBadReply(error)) throw error;
        lastError = error;
        this.#logger.warn(
          { task: input.task.key, attempt, err: describeError(error) },
          'unusable reply from model',
        );
        messages.push({ role: 'assistant', content: text.slice(0, 2_000) });
        messages.push(correctionMessage(error instanceof ReplyParseError ? error.reason : 'empty reply'));
      }
    }
    throw withAttempts(lastError, maxBadReplies + 1);
  }

  #complete(messages: readonly ChatMessage[], signal: AbortSignal | undefined) {
    return retryWithBackoff(() => this.chat.complete(messages, signal), {
      clock: this.#clock,
      policy: this.options.retry,
      classify: classifyTransport,
      signal,
      onRetry: (error, attempt, delayMs) =>
        this.#logger.warn(
          { attempt, delayMs, err: describeError(error) },
          'model server call failed, retrying',
        ),
    });
  }
}

function addUsage(total: TokenUsage, completion: ChatCompletion, messages: readonly ChatMessage[]): void {
  if (completion.usage !== undefined) {
    total.inputTokens += completion.usage.inputTokens;
    total.outputTokens += completion.usage.outputTokens;
    return;
  }
  total.inputTokens += estimateTokens(messages.map((m) => m.content).join('\n'));
  total.outputTokens += estimateTokens(completion.text);
  total.estimated = true;
}

/** The final bad-reply error, saying how many times the model was asked. */
function withAttempts(error: Error | undefined, attempts: number): Error {
  if (error instanceof ReplyParseError) return new ReplyParseError(error.reason, error.excerpt, attempts);
  if (error instanceof EmptyReplyError) return new EmptyReplyError(attempts);
  return error ?? new EmptyReplyError(attempts);
}
