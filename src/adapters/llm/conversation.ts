/**
 * The conversation with a chat model, in the shape common to Ollama and OpenAI-compatible
 * servers: the messages sent (tool calls and tool results included), what one call returns,
 * the three tools a model is offered, and the JSON schema of a decision for servers that take
 * a response schema instead of tools. The wire backends translate these to their formats; the
 * reply reader and the prompt builder speak only these.
 */

/** How a model is asked for its decision, best first; found per model and remembered. */
export const REPLY_MODES = ['tools', 'schema', 'text'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

/** One call of a tool by the model. */
export interface ToolCall {
  /** The server's id of the call; a tool result names it (`tool_call_id`). */
  id: string;
  name: string;
  /** As the server sent them: a JSON string (OpenAI) or an object (Ollama). */
  arguments: string | Record<string, unknown>;
}

/** A message sent to the model. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      /** The model's own reasoning of that turn, kept so it sees its earlier thoughts. */
      reasoning?: string;
      toolCalls?: ToolCall[];
    }
  | { role: 'tool'; content: string; toolCallId: string; name: string };

/** Why the model stopped, as the server said (`length`: cut at the token limit). */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

/** What one model call returns, whatever the wire. */
export interface ChatCompletion {
  /** The visible text (may be empty when the model called a tool). */
  text: string;
  /** Reasoning the server returned apart (`reasoning_content`, `thinking`). */
  reasoning?: string;
  toolCalls?: ToolCall[];
  finishReason?: FinishReason;
  /** A refusal the server returned apart (OpenAI `refusal`). */
  refusal?: string;
  /** Absent when the server reported none. */
  usage?: { inputTokens: number; outputTokens: number };
}

/** What a call asks of the server besides the messages. */
export interface CallOptions {
  mode: ReplyMode;
  signal?: AbortSignal | undefined;
  /** The task the call is for: sent as `x-bzzz-task`, which the bzzz proxy charges it to. */
  task?: string | undefined;
}

/** The tools every model-backed reasoner offers (names are part of the prompt and the corpus). */
export const TOOL_NAMES = { command: 'run_command', done: 'finish', help: 'ask_for_help' } as const;

/** A JSON schema (draft 2020-12 subset the servers accept). */
export type JsonSchema = Record<string, unknown>;

/** The three tools as a name, a description and the JSON schema of their arguments. */
export const TOOLS: readonly { name: string; description: string; parameters: JsonSchema }[] = [
  {
    name: TOOL_NAMES.command,
    description:
      'Run one non-interactive shell command with `sh -c` in the repository root inside the sandbox; you then see its exit code and output.',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string', description: 'The shell command.' } },
      required: ['command'],
      additionalProperties: false,
    },
  },
  {
    name: TOOL_NAMES.done,
    description:
      'Finish the task: the work in the repository is complete. bzzz then commits, pushes and opens the pull request.',
    parameters: {
      type: 'object',
      properties: { summary: { type: 'string', description: 'What you changed and why.' } },
      required: ['summary'],
      additionalProperties: false,
    },
  },
  {
    name: TOOL_NAMES.help,
    description: 'Ask another agent or a human for help when you are stuck.',
    parameters: {
      type: 'object',
      properties: { question: { type: 'string', description: 'What you need to know.' } },
      required: ['question'],
      additionalProperties: false,
    },
  },
];

/** The decision as one JSON object, for `response_format: json_schema` and Ollama's `format`. */
export const DECISION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    thought: { type: 'string' },
    action: { type: 'string', enum: ['command', 'done', 'help'] },
    command: { type: 'string' },
    summary: { type: 'string' },
    question: { type: 'string' },
  },
  required: ['action'],
  additionalProperties: false,
};
