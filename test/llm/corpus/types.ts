/**
 * The format of the replay corpus: model replies in a neutral form that both wire formats can
 * express, each labelled with what the reply reader must make of it. The wire fakes serve the
 * neutral `reply` as OpenAI chat completions (SSE and one JSON document) and as Ollama
 * `/api/chat` (NDJSON and one document); the reader's unit test reads it directly.
 */
import type { Decision } from '../../../src/adapters/llm/index.js';
import type { FinishReason, ReplyMode } from '../../../src/adapters/llm/conversation.js';

/** A tool call as the model made it; `id` absent where the server gives none (Ollama). */
export interface NeutralToolCall {
  id?: string;
  name: string;
  /** A JSON string (OpenAI's wire) or an object (Ollama's wire), as the source documents it. */
  arguments: string | Record<string, unknown>;
}

/** One reply as a model would produce it, whatever the wire. */
export interface NeutralReply {
  /** The visible text (`message.content`); absent or empty with a tool call. */
  content?: string;
  /** Reasoning sent apart: DeepSeek's `reasoning_content`, Ollama's `thinking`. */
  reasoning?: string;
  toolCalls?: NeutralToolCall[];
  /** Default `stop`, or `tool_calls` when there are tool calls. */
  finishReason?: FinishReason;
  /** OpenAI's `message.refusal`. */
  refusal?: string;
}

/** What the reader must give: the decision, or a correction containing `correction`. */
export type Expected = { decision: Decision; toolCallId?: string } | { correction: string };

export interface ReplyCase {
  /** Stable, kebab-case. */
  id: string;
  description: string;
  /** The public documentation the shape is written from. */
  source: string;
  reply: NeutralReply;
  expect: Expected;
  /** The modes in which a server may send this reply (default: all three). */
  modes?: readonly ReplyMode[];
  /**
   * The raw streamed form where the streaming itself is the point (tool-call argument deltas):
   * OpenAI SSE `data:` payloads as documented; the fakes may send them verbatim.
   */
  wire?: { openaiStream?: readonly object[] };
}
