/**
 * Token estimates, for what the upstream did not count: a limit needs a figure before the
 * reply, and a stream cut before its usage chunk still has to be charged. The rule is one
 * token per four bytes of UTF-8 (rounded up), the usual figure for English text and code on
 * OpenAI's tokenizers: of the request body as sent for the prompt, of the text delivered to
 * the client (content, reasoning, refusal, tool-call names and arguments) for the completion.
 */

const encoder = new TextEncoder();

/** Tokens in `text` by the four-bytes rule. */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  // ASCII text is one byte a character: skip the encoding on the common path
  // eslint-disable-next-line no-control-regex
  const bytes = /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
  return Math.ceil(bytes / 4);
}

/** Tokens a body of `bytes` bytes stands for. */
export const estimateBytesTokens = (bytes: number): number => Math.ceil(bytes / 4);

/** The text a chat completion choice carries (a whole message or a stream's delta). */
export function choiceText(part: unknown): string {
  if (typeof part !== 'object' || part === null) return '';
  const p = part as Record<string, unknown>;
  let text = '';
  for (const field of ['content', 'reasoning_content', 'reasoning', 'refusal'])
    if (typeof p[field] === 'string') text += p[field];
  if (Array.isArray(p.tool_calls))
    for (const call of p.tool_calls as unknown[]) {
      const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
      if (typeof fn?.name === 'string') text += fn.name;
      if (typeof fn?.arguments === 'string') text += fn.arguments;
    }
  return text;
}

/** Prompt and completion tokens as the upstream reported them, when it did. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** The `usage` object of a completion or chunk, when it is a well-formed one. */
export function usageOf(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const usage = (value as { usage?: unknown }).usage;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const { prompt_tokens: p, completion_tokens: c } = usage as Record<string, unknown>;
  const count = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 1e9;
  if (!count(p)) return undefined;
  return { promptTokens: p as number, completionTokens: count(c) ? (c as number) : 0 };
}
