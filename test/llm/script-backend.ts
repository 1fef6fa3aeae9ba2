// An in-memory chat backend for the reasoner's loop: answers from a queue of completions, records every call.
import type { ChatBackend } from '../../src/adapters/llm/chat.js';
import type { CallOptions, ChatCompletion, ChatMessage } from '../../src/adapters/llm/conversation.js';

export interface RecordedCall {
  messages: ChatMessage[];
  mode: CallOptions['mode'];
}

export class ScriptBackend implements ChatBackend {
  readonly endpoint = 'memory://chat';
  readonly calls: RecordedCall[] = [];
  readonly #queue: (ChatCompletion | Error | ((call: RecordedCall) => ChatCompletion))[] = [];

  constructor(private readonly window?: number) {}

  enqueue(...replies: (ChatCompletion | Error | ((call: RecordedCall) => ChatCompletion))[]): this {
    this.#queue.push(...replies);
    return this;
  }

  complete(messages: readonly ChatMessage[], options: CallOptions): Promise<ChatCompletion> {
    const call = { messages: structuredClone([...messages]), mode: options.mode };
    this.calls.push(call);
    const next = this.#queue.shift();
    if (next === undefined) return Promise.reject(new Error('script backend: no reply queued'));
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(typeof next === 'function' ? next(call) : next);
  }

  contextWindow(): Promise<number | undefined> {
    return Promise.resolve(this.window);
  }
}
