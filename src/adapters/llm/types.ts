/**
 * The llm port's interface and its options, apart from the factory in index.ts so that
 * implementations import them without an import cycle. index.ts re-exports every name.
 */
import type { Clock, Logger } from '../../lib/index.js';
import type { RetryPolicy } from '../../lib/backoff.js';
import type { HistoryEntry } from '../../protocol/history.js';
import type { ReplyMode } from './conversation.js';

/** The task as the reasoner sees it. */
export interface ReasonerTask {
  /** The task key, `local:demo/app#3`. */
  key: string;
  title: string;
  body: string;
  /** The top-level entries of the repository root, for the prompt (`src/`, `package.json`). */
  files?: string[];
  /** Whether commands in the sandbox reach the network; unknown when absent. */
  network?: boolean;
}

/** One thing that happened while working on the task (defined with the protocol). */
export type { HistoryEntry } from '../../protocol/history.js';

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
  /** How the model was asked (model-backed reasoners), for the transcript. */
  mode?: ReplyMode;
  /** The model's reasoning of this step, for the transcript and the history. */
  reasoning?: string;
  /** The tool call the decision came from; a command's history entry keeps it. */
  toolCallId?: string;
}

export interface NextStepInput {
  task: ReasonerTask;
  history: readonly HistoryEntry[];
  /** Aborts the step (shutdown, lease lost, wall-time budget). */
  signal?: AbortSignal;
}

/** What writing a plan for a task takes. */
export interface PlanInput {
  task: ReasonerTask;
  signal?: AbortSignal;
}

/** What reviewing another agent's plan takes. */
export interface ReviewInput extends PlanInput {
  plan: string;
}

/** A reviewer's verdict on a plan: `approve` with a reason, or `suggest` a change. */
export interface ReviewResult {
  verdict: 'approve' | 'suggest';
  reason: string;
}

/** A peer's suggestion on the plan. */
export interface Suggestion {
  from: string;
  text: string;
}

/** What reconciling several suggestions on a plan takes. */
export interface ReconcileInput extends PlanInput {
  plan: string;
  suggestions: readonly Suggestion[];
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
  /** The agent's plan for the task, as text for its peers to review (a scripted task's steps). */
  plan(input: PlanInput): Promise<string>;
  /** A verdict on another agent's plan; the scripted reasoner has none to give (it throws). */
  review(input: ReviewInput): Promise<ReviewResult>;
  /** One instruction that follows every suggestion, or null when they cannot all be followed. */
  reconcile(input: ReconcileInput): Promise<string | null>;
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
  /**
   * The context window the messages must fit (`BZZZ_CONTEXT_TOKENS`); default the window the
   * server reports for the model, else 8192. Past three quarters, the oldest steps are folded.
   */
  contextTokens?: number;
  temperature?: number;
  retry?: Partial<RetryPolicy>;
}

/**
 * Which reply mode a model is asked in, and the fallback when a server refuses one: the seam
 * where mode negotiation plugs into the chat reasoner. The default asks in `text` always.
 */
export interface ReplyModes {
  /** The mode to ask the model in now. */
  current(): ReplyMode;
  /**
   * A call in `mode` failed with `error` after its retries. True when the model is now asked
   * in another mode (`current()` changed) and the step should go on in it; false to throw.
   */
  fallback(mode: ReplyMode, error: unknown): boolean;
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
