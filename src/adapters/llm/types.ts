/**
 * The llm port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock, Logger } from '../../lib/index.js';
import type { RetryPolicy } from '../../lib/backoff.js';

/** The task as the reasoner sees it. */
export interface ReasonerTask {
  /** The task key, `local:demo/app#3`. */
  key: string;
  title: string;
  body: string;
}

/** One thing that happened while working on the task. */
export type HistoryEntry =
  /** A command ran in the sandbox (output already capped and redacted). */
  | { kind: 'command'; command: string; exitCode: number; stdout: string; stderr: string }
  /** Advice from another agent or a human (a `task_help_response`). */
  | { kind: 'advice'; from: string; text: string };

/** What to do next. */
export type Decision =
  | { kind: 'command'; command: string }
  | { kind: 'done'; summary: string }
  | { kind: 'help'; question: string };

/** Tokens spent on one step (all attempts included). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when the server reported no usage and it was estimated from text length. */
  estimated?: boolean;
}

/** The result of {@link Reasoner.next}. */
export interface ReasonerStep {
  decision: Decision;
  usage: TokenUsage;
  /** The model that answered (`scripted` for the scripted reasoner). */
  model: string;
}

export interface NextStepInput {
  task: ReasonerTask;
  history: readonly HistoryEntry[];
  /** Aborts the step (shutdown, lease lost, wall-time budget). */
  signal?: AbortSignal;
}

/** A reasoning backend. Stateless between calls: everything it needs is in the input. */
export interface Reasoner {
  readonly backend: 'scripted' | 'ollama' | 'openai';
  readonly model: string;
  /**
   * The next step. Throws the named errors of `errors.ts`: transport failures after their
   * retries, an unusable reply after its bounded re-asks, a failed scripted step.
   */
  next(input: NextStepInput): Promise<ReasonerStep>;
}

/** Options shared by the model-backed reasoners. */
export interface ChatReasonerOptions {
  model: string;
  /** Stream the reply (default true); the non-streaming path is the fallback for odd servers. */
  stream?: boolean;
  /** Cut a reply off past this many bytes on the wire (default 256 KiB). */
  maxReplyBytes?: number;
  /** Asks the server to stop after this many tokens (default 1024). */
  maxOutputTokens?: number;
  /** One request's timeout on the injected clock (default 120 s). */
  requestTimeoutMs?: number;
  /** How often to ask again after an unusable reply (default 2). */
  maxBadReplies?: number;
  temperature?: number;
  retry?: Partial<RetryPolicy>;
}

/** User options: which backend, and its settings. */
export type ReasonerInit =
  | { backend: 'scripted' }
  | ({
      backend: 'ollama';
      /** `OLLAMA_HOST`; default http://127.0.0.1:11434 */ host?: string;
    } & ChatReasonerOptions)
  | ({
      backend: 'openai';
      /** `BZZZ_OPENAI_BASE_URL`, up to and including `/v1` (https://api.openai.com/v1). */
      baseUrl: string;
      /** `BZZZ_OPENAI_API_KEY`; sent as a bearer token, never logged. */
      apiKey?: string;
    } & ChatReasonerOptions);

export interface ReasonerComponents {
  logger: Logger;
  clock: Clock;
}
