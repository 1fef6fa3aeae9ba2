/**
 * A strict reader of server-sent events as OpenAI-compatible servers send them: `data:` lines,
 * events separated by a blank line, `:` comments; the stream ends at `data: [DONE]`. A line
 * that is none of the SSE fields is garbage and fails at once.
 */
import { LlmProtocolError } from './errors.js';

const FIELD = /^(data|event|id|retry)(?::|$)/;

/**
 * Yields each event's data (multi-line data joined by `\n`) until `[DONE]` or the end of the
 * body; `state.sawDone` tells the caller which of the two it was.
 */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
  state: { sawDone: boolean },
): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) {
            const event = data.join('\n');
            data = [];
            if (event === '[DONE]') {
              state.sawDone = true;
              return;
            }
            yield event;
          }
          continue;
        }
        if (line.startsWith(':')) continue;
        const field = FIELD.exec(line);
        if (field === null)
          throw new LlmProtocolError(`not server-sent events: ${JSON.stringify(line.slice(0, 80))}`);
        if (field[1] === 'data') data.push(line.slice(5).replace(/^ /, ''));
      }
      if (done) break;
    }
    // A last event not followed by a blank line still counts.
    if (data.length > 0) {
      const event = data.join('\n');
      if (event === '[DONE]') state.sawDone = true;
      else yield event;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
