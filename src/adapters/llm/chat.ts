/**
 * The reasoner over a chat model, whatever its wire format: builds the prompt within the
 * context budget, calls the backend in the model's reply mode with transport retries
 * (429/5xx/connection/timeout, exponential backoff honouring `Retry-After` on the injected
 * clock), reads the reply (reply-reader.ts), and asks again a bounded number of times when the
 * reply is unusable, telling the model exactly what was wrong. Which mode a model is asked in,
 * and the fallback when a server refuses it, come from the injected {@link ReplyModes}. Plan
 * review (a plan, a verdict, a reconciliation) asks in plain text (planning.ts).
 */
import type { Clock, Logger } from '../../lib/index.js';
import { describeError } from '../../lib/errors.js';
import { retryWithBackoff, type RetryVerdict } from '../../lib/backoff.js';
import { DEFAULT_CONTEXT_TOKENS, budgetedMessages } from './context-budget.js';
import {
  REPLY_MODES,
  type CallOptions,
  type ChatCompletion,
  type ChatMessage,
  type ReplyMode,
} from './conversation.js';
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
import {
  planMessages,
  readPlan,
  readReconciled,
  readReview,
  reconcileMessages,
  reviewMessages,
  type Reading,
} from './planning.js';
import { correctionMessages, estimateMessagesTokens, estimateTokens } from './prompt.js';
import { isDecision, readReply, type ReadCorrection } from './reply-reader.js';
import type {
  ChatReasonerOptions,
  NextStepInput,
  PlanInput,
  Reasoner,
  ReasonerComponents,
  ReasonerStep,
  ReconcileInput,
  ReplyModes,
  ReviewInput,
  ReviewResult,
  TokenUsage,
} from './types.js';

export type { ChatCompletion } from './conversation.js';

/** One wire format (Ollama, OpenAI). Throws only this port's named errors. */
export interface ChatBackend {
  /** The URL called, for errors and logs. */
  readonly endpoint: string;
  /** One model call in `options.mode` (tools offered, a response schema, or plain text). */
  complete(messages: readonly ChatMessage[], options: CallOptions): Promise<ChatCompletion>;
  /** The model's context window in tokens when the server reports it (Ollama's model info). */
  contextWindow?(signal?: AbortSignal): Promise<number | undefined>;
}

/** Always text, never a fallback: today's behaviour, for backends without negotiation. */
export const TEXT_ONLY: ReplyModes = { current: () => 'text', fallback: () => false };

/** Transport failures worth another attempt of the same request. */
function classifyTransport(error: unknown): RetryVerdict {
  if (error instanceof LlmHttpError) return { retry: error.retryable, retryAfterMs: error.retryAfterMs };
  if (error instanceof LlmUnavailableError || error instanceof LlmTimeoutError) return { retry: true };
  return { retry: false };
}

/** Broken replies worth asking again for. */
function isBrokenReply(error: unknown): error is Error {
  return error instanceof LlmProtocolError || error instanceof LlmReplyLimitError;
}

export class ChatReasoner implements Reasoner {
  readonly model: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #contextTokens: Promise<number> | undefined;

  constructor(
    readonly backend: 'ollama' | 'openai',
    private readonly chat: ChatBackend,
    private readonly options: ChatReasonerOptions,
    components: ReasonerComponents,
    private readonly modes: ReplyModes = TEXT_ONLY,
  ) {
    this.model = options.model;
    this.#clock = components.clock;
    this.#logger = components.logger.child({ reasoner: backend, model: options.model });
  }

  async next(input: NextStepInput): Promise<ReasonerStep> {
    if (input.signal?.aborted === true) throw new ReasonerAbortedError({ cause: input.signal.reason });
    const contextTokens = await this.#windowTokens(input.signal);
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    const attempts = (this.options.maxBadReplies ?? 2) + 1;
    let mode = this.modes.current();
    let corrections: ChatMessage[] = [];
    let fallbacks = 0;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const reserveTokens = corrections.length === 0 ? 0 : estimateMessagesTokens(corrections);
      const messages = [
        ...budgetedMessages(input.task, input.history, { mode, contextTokens, reserveTokens }),
        ...corrections,
      ];
      let completion: ChatCompletion;
      try {
        completion = await this.#complete(messages, { mode, signal: input.signal, task: input.task.key });
      } catch (error) {
        if (isBrokenReply(error)) {
          lastError = error;
          this.#warn(input, attempt, error, 'unusable reply from model server');
          continue;
        }
        if (!this.#fallBack(mode, error, fallbacks++, input.signal)) throw error;
        mode = this.modes.current();
        this.#logger.info({ mode }, 'model asked in another reply mode');
        corrections = [];
        attempt--;
        continue;
      }
      addUsage(usage, completion, messages);
      const reading = readReply(completion, mode);
      if (isDecision(reading)) {
        return { ...reading, usage, model: this.model, mode };
      }
      lastError = errorOf(reading, completion);
      this.#warn(input, attempt, lastError, 'unusable reply from model');
      corrections = [...corrections, ...correctionMessages(completion, reading.correction)];
    }
    throw withAttempts(lastError, attempts);
  }

  plan(input: PlanInput): Promise<string> {
    return this.#ask(planMessages(input.task), readPlan, input);
  }

  review(input: ReviewInput): Promise<ReviewResult> {
    return this.#ask(reviewMessages(input.task, input.plan), readReview, input);
  }

  reconcile(input: ReconcileInput): Promise<string | null> {
    return this.#ask(reconcileMessages(input.task, input.plan, input.suggestions), readReconciled, input);
  }

  /**
   * One plain-text question (plan review: no tools, whatever the model's reply mode), with the
   * transport retries, asked again with a correction while the reply does not answer it. It is
   * charged to the task it is about (`x-bzzz-task`: a review to the task whose plan it reads).
   */
  async #ask<T>(
    messages: readonly ChatMessage[],
    read: (text: string) => Reading<T>,
    { task, signal }: { task: { key: string }; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const attempts = (this.options.maxBadReplies ?? 2) + 1;
    let asked = [...messages];
    let text = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (signal?.aborted === true) throw new ReasonerAbortedError({ cause: signal.reason });
      const completion = await this.#complete(asked, {
        mode: 'text',
        task: task.key,
        ...(signal === undefined ? {} : { signal }),
      });
      text = completion.text;
      const reading = read(text);
      if (reading.ok) return reading.value;
      this.#logger.warn({ attempt, correction: reading.correction }, 'unusable plan review reply from model');
      asked = [...asked, ...correctionMessages(completion, reading.correction)];
    }
    if (text.trim() === '') throw new EmptyReplyError(attempts);
    throw new ReplyParseError('not the answer asked for', text, attempts);
  }

  #fallBack(mode: ReplyMode, error: unknown, fallbacks: number, signal: AbortSignal | undefined): boolean {
    if (signal?.aborted === true || error instanceof ReasonerAbortedError) return false;
    return fallbacks < REPLY_MODES.length && this.modes.fallback(mode, error);
  }

  #warn(input: NextStepInput, attempt: number, error: Error, message: string): void {
    this.#logger.warn({ task: input.task.key, attempt, err: describeError(error) }, message);
  }

  /** The window the messages must fit: configured, else reported by the server once, else 8192. */
  #windowTokens(signal: AbortSignal | undefined): Promise<number> {
    if (this.options.contextTokens !== undefined) return Promise.resolve(this.options.contextTokens);
    this.#contextTokens ??= (async () => {
      try {
        return (await this.chat.contextWindow?.(signal)) ?? DEFAULT_CONTEXT_TOKENS;
      } catch (error) {
        this.#logger.warn({ err: describeError(error) }, 'no context window from the server, assuming 8192');
        return DEFAULT_CONTEXT_TOKENS;
      }
    })();
    return this.#contextTokens;
  }

  #complete(messages: readonly ChatMessage[], options: CallOptions) {
    return retryWithBackoff(() => this.chat.complete(messages, options), {
      clock: this.#clock,
      policy: this.options.retry,
      classify: classifyTransport,
      signal: options.signal,
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
  total.inputTokens += estimateMessagesTokens(messages);
  total.outputTokens += estimateTokens(completion.text) + estimateTokens(completion.reasoning ?? '');
  total.estimated = true;
}

/** The error an unusable reply stands for, should it be the last. */
function errorOf(reading: ReadCorrection, completion: ChatCompletion): Error {
  if (reading.problem === 'empty') return new EmptyReplyError();
  return new ReplyParseError(reading.correction, completion.text);
}

/** The final bad-reply error, saying how many times the model was asked. */
function withAttempts(error: Error | undefined, attempts: number): Error {
  if (error instanceof ReplyParseError) return new ReplyParseError(error.reason, error.excerpt, attempts);
  if (error instanceof EmptyReplyError) return new EmptyReplyError(attempts);
  return error ?? new EmptyReplyError(attempts);
}
