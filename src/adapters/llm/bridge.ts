/**
 * TEMPORARY (removed at the merge of issue 12): lets today's text-only `ChatReasoner` drive
 * the new wire backends. Each call is made in the model's current reply mode, moving down on
 * a refusal; a single tool call is handed on as the decision's JSON text. The merged
 * `ChatReasoner` calls `complete(messages, { mode, signal })` and `ReplyModes` itself.
 */
import type { ChatBackend, ChatCompletion as TextCompletion } from './chat.js';
import { TOOL_NAMES, type CallOptions, type ChatCompletion, type ChatMessage } from './conversation.js';
import type { ReplyModes } from './modes.js';
import { argumentsAsObject } from './tool-calls.js';

/** A wire backend of the new contract. */
export interface WireBackend {
  readonly endpoint: string;
  complete(messages: readonly ChatMessage[], options: CallOptions): Promise<ChatCompletion>;
  contextWindow(): Promise<number | undefined>;
}

const ACTIONS: Record<string, string> = {
  [TOOL_NAMES.command]: 'command',
  [TOOL_NAMES.done]: 'done',
  [TOOL_NAMES.help]: 'help',
};

function asText(completion: ChatCompletion): string {
  const [call, ...more] = completion.toolCalls ?? [];
  if (call === undefined || more.length > 0) return completion.text;
  const action = ACTIONS[call.name];
  if (action === undefined) return completion.text;
  return JSON.stringify({ action, ...argumentsAsObject(call.arguments) });
}

export function textBackend(backend: WireBackend, modes: ReplyModes): ChatBackend {
  return {
    endpoint: backend.endpoint,
    async complete(messages, signal) {
      for (;;) {
        const mode = modes.current();
        try {
          const completion = await backend.complete(messages, { mode, signal });
          const out: TextCompletion = { text: asText(completion) };
          if (completion.usage !== undefined) out.usage = completion.usage;
          return out;
        } catch (error) {
          if (!modes.refused(mode, error)) throw error;
        }
      }
    },
  };
}
