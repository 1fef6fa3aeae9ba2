/**
 * Small pieces both wire backends share: the finish reason in our words, a stable id for a
 * tool call the server sent without one (Ollama), and a tool call's arguments in either
 * wire's form (OpenAI wants a JSON string, Ollama an object).
 */
import type { FinishReason } from './conversation.js';

/** The server's `finish_reason` / `done_reason` in our words. */
export function finishReasonOf(raw: string | null | undefined): FinishReason | undefined {
  switch (raw) {
    case null:
    case undefined:
    case '':
      return undefined;
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return raw;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'other';
  }
}

/**
 * An id for a tool call that came without one: the same call at the same place gets the same
 * id, so a replayed conversation sends the same bytes.
 */
export function stableToolCallId(index: number, name: string, args: string): string {
  let hash = 0x811c9dc5;
  for (const char of `${index}\u0000${name}\u0000${args}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `call_${index}_${hash.toString(16).padStart(8, '0')}`;
}

/** Arguments as OpenAI sends them: a JSON string. */
export function argumentsAsString(args: string | Record<string, unknown>): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/** Arguments as Ollama sends them: an object (a string that is not a JSON object becomes `{}`). */
export function argumentsAsObject(args: string | Record<string, unknown>): Record<string, unknown> {
  if (typeof args !== 'string') return args;
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Not JSON: nothing usable to send back.
  }
  return {};
}
