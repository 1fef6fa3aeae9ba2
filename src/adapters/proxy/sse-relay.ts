/**
 * Relaying a streamed completion (SSE `data:` events ending in `data: [DONE]`) event by event,
 * reading each on the way: the usage the upstream reports (it is always asked for it), and
 * the text delivered to the client, for the estimate when the usage never comes. The usage
 * chunk (`"choices": []` with `usage`) is dropped when the client did not ask for it; every
 * other event passes unchanged, byte for byte, comments included.
 *
 * How it ends decides what is charged (see `accountant.ts`): `done` after `[DONE]` (or a usage
 * chunk, for servers that send no `[DONE]`); `cut` when the upstream's stream ended or failed
 * before that (the client's stream is then failed too, so
 * it knows); `closed` when the client went away (the upstream request is cancelled). Without a
 * usage chunk, the completion is charged as the estimate of what was delivered.
 */
import { toError } from '../../lib/errors.js';
import { choiceText, estimateBytesTokens, usageOf, type Usage } from './tokens.js';

export interface RelayEnd {
  reason: 'done' | 'cut' | 'closed';
  usage?: Usage | undefined;
  deliveredTokens: number;
}

export interface RelayOptions {
  /** Drop the usage chunk (the client did not ask for `include_usage`). */
  stripUsage: boolean;
  /** An event longer than this ends the stream as cut (default 1 MiB). */
  maxEventBytes?: number;
  /** Called once, however the stream ends. */
  onEnd(end: RelayEnd): void;
  /**
   * Cuts the client's connection, so that it sees the stream cut (default: the stream
   * errors, which the HTTP server reports its own way).
   */
  abort?: () => void;
}

const SEPARATOR = /\r\n\r\n|\n\n|\r\r/g;
const encoder = new TextEncoder();

/** What one event is, for the relay. */
function readEvent(event: string): { done: boolean; json?: Record<string, unknown> } {
  let data: string | undefined;
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  if (data === undefined) return { done: false };
  if (data.trim() === '[DONE]') return { done: true };
  try {
    const json: unknown = JSON.parse(data);
    return typeof json === 'object' && json !== null
      ? { done: false, json: json as Record<string, unknown> }
      : { done: false };
  } catch {
    return { done: false };
  }
}

/** The events of a stream as they arrive: what to pass on, and what was learnt of them. */
class EventReader {
  #buffer = '';
  readonly #decoder = new TextDecoder();
  usage: Usage | undefined;
  deliveredBytes = 0;
  sawDone = false;

  constructor(private readonly stripUsage: boolean) {}

  /** Bytes not yet part of a complete event. */
  get pendingLength(): number {
    return this.#buffer.length;
  }

  /** The complete events `chunk` finishes that go to the client, as text (at the end: the rest). */
  push(chunk: Uint8Array | undefined): string {
    this.#buffer +=
      chunk === undefined ? this.#decoder.decode() : this.#decoder.decode(chunk, { stream: true });
    let out = '';
    let from = 0;
    SEPARATOR.lastIndex = 0;
    for (let m = SEPARATOR.exec(this.#buffer); m !== null; m = SEPARATOR.exec(this.#buffer)) {
      const start = from;
      from = m.index + m[0].length;
      if (this.#take(this.#buffer.slice(start, m.index))) out += this.#buffer.slice(start, from);
    }
    this.#buffer = this.#buffer.slice(from);
    if (chunk === undefined && this.#buffer.trim() !== '') out += this.#buffer;
    return out;
  }

  /** Reads one event; false when it is the usage chunk a client did not ask for. */
  #take(event: string): boolean {
    const read = readEvent(event);
    if (read.done) this.sawDone = true;
    const reported = usageOf(read.json);
    if (reported !== undefined) this.usage = reported;
    const choices = read.json?.choices;
    if (!Array.isArray(choices)) return true;
    if (this.stripUsage && reported !== undefined && choices.length === 0) return false;
    for (const choice of choices as ({ delta?: unknown; message?: unknown } | null)[])
      this.deliveredBytes += encoder.encode(choiceText(choice?.delta ?? choice?.message)).byteLength;
    return true;
  }
}

/** The relayed stream of `upstream`'s body. */
export function relaySse(
  upstream: ReadableStream<Uint8Array>,
  options: RelayOptions,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const events = new EventReader(options.stripUsage);
  const maxEvent = options.maxEventBytes ?? 1024 * 1024;
  let ended = false;
  const end = (reason: RelayEnd['reason']): void => {
    if (ended) return;
    ended = true;
    options.onEnd({
      reason,
      usage: events.usage,
      deliveredTokens: estimateBytesTokens(events.deliveredBytes),
    });
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: Error): void => {
    end('cut');
    if (options.abort === undefined) return controller.error(error);
    options.abort();
    try {
      controller.close();
    } catch {
      // cancelled already, by the connection's end
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          return fail(controller, toError(error));
        }
        const out = events.push(chunk.done ? undefined : chunk.value);
        if (out !== '') controller.enqueue(encoder.encode(out));
        if (chunk.done) {
          // a server that sends no [DONE] but did report usage finished its reply
          if (!events.sawDone && events.usage === undefined)
            return fail(controller, new Error('the upstream stream ended before [DONE]'));
          end('done');
          return controller.close();
        }
        if (events.pendingLength > maxEvent) {
          await reader.cancel().catch(() => undefined);
          return fail(controller, new Error(`an upstream event is longer than ${maxEvent} bytes`));
        }
        if (out !== '') return;
      }
    },
    cancel(reason) {
      end('closed');
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}
