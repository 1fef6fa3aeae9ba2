// The wire backends against loopback servers speaking the real protocols: what each reply mode
// sends, and tool calls, reasoning, refusals and finish reasons read back, streaming or not.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ReplyMode } from '../../src/adapters/llm/conversation.js';
import { OllamaChatBackend } from '../../src/adapters/llm/ollama.js';
import { OpenAiChatBackend } from '../../src/adapters/llm/openai.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { startFakeOllama } from '../fakes/ollama-server.js';
import { startFakeOpenAi } from '../fakes/openai-server.js';
import type { FakeLlmServer, WireReply } from '../fakes/llm-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

type Wire = 'openai' | 'ollama';

async function backendOn(wire: Wire, stream: boolean, options: { contextLength?: number } = {}) {
  const clock = new SimulatedClock();
  const components = { clock, logger: silentLogger() };
  const server: FakeLlmServer =
    wire === 'openai' ? await startFakeOpenAi({ clock }) : await startFakeOllama({ clock, ...options });
  closers.push(() => server.close());
  const common = { model: 'm', stream, requestTimeoutMs: 60_000 };
  const backend =
    wire === 'openai'
      ? new OpenAiChatBackend({ ...common, baseUrl: `${server.url}/v1` }, components)
      : new OllamaChatBackend({ ...common, host: server.url }, components);
  return { server, backend };
}

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a bzzz agent.' },
  { role: 'user', content: 'Task: fix the typo.' },
];

async function replay(wire: Wire, stream: boolean, reply: WireReply, mode: ReplyMode = 'tools') {
  const { server, backend } = await backendOn(wire, stream);
  server.enqueue({ kind: 'reply', reply, chunks: 4 });
  return backend.complete(MESSAGES, { mode });
}

for (const wire of ['openai', 'ollama'] as const) {
  for (const stream of [true, false]) {
    describe(`${wire} wire (${stream ? 'streaming' : 'one reply'})`, () => {
      it('reads a tool call with its arguments, and says the model stopped for it', async () => {
        const completion = await replay(wire, stream, {
          toolCalls: [{ name: 'run_command', arguments: { command: "sed -i 's/a/b/' README.md" } }],
        });
        expect(completion.text).toBe('');
        expect(completion.toolCalls).toHaveLength(1);
        const [call] = completion.toolCalls!;
        expect(call!.name).toBe('run_command');
        expect(call!.id.length).toBeGreaterThan(0);
        const args: unknown =
          typeof call!.arguments === 'string' ? JSON.parse(call!.arguments) : call!.arguments;
        expect(args).toEqual({ command: "sed -i 's/a/b/' README.md" });
        if (wire === 'openai') expect(completion.finishReason).toBe('tool_calls');
      });

      it('reads parallel tool calls apart, in order', async () => {
        const completion = await replay(wire, stream, {
          content: 'Two things.',
          toolCalls: [
            { name: 'run_command', arguments: '{"command":"ls"}' },
            { name: 'finish', arguments: '{"summary":"done"}' },
          ],
        });
        expect(completion.text).toBe('Two things.');
        expect(completion.toolCalls?.map((c) => c.name)).toEqual(['run_command', 'finish']);
        expect(new Set(completion.toolCalls?.map((c) => c.id)).size).toBe(2);
      });

      it('keeps reasoning apart from the text', async () => {
        const completion = await replay(wire, stream, {
          reasoning: 'The README has a typo; sed fixes it.',
          content: '{"action":"done","summary":"ok"}',
        });
        expect(completion.reasoning).toBe('The README has a typo; sed fixes it.');
        expect(completion.text).toBe('{"action":"done","summary":"ok"}');
      });

      it('says when a reply was cut at the token limit', async () => {
        const completion = await replay(wire, stream, { content: '{"action":"comm', finishReason: 'length' });
        expect(completion.finishReason).toBe('length');
        expect(completion.text).toBe('{"action":"comm');
      });

      it('gives the same id to a call without one every time (replays send the same bytes)', async () => {
        const reply = { toolCalls: [{ name: 'finish', arguments: { summary: 'x' } }] };
        const first = await replay(wire, stream, reply);
        const second = await replay(wire, stream, reply);
        if (wire === 'ollama') expect(first.toolCalls?.[0]?.id).toBe(second.toolCalls?.[0]?.id);
        else expect(first.toolCalls?.[0]?.id).toMatch(/^call_/);
      });

      it('reads the usage the server counted', async () => {
        const { server, backend } = await backendOn(wire, stream);
        server.enqueue({ kind: 'reply', reply: { content: 'x' }, usage: { input: 11, output: 3 } });
        const completion = await backend.complete(MESSAGES, { mode: 'text' });
        expect(completion.usage).toEqual({ inputTokens: 11, outputTokens: 3 });
      });

      it('sends tool calls and tool results back in the wire form', async () => {
        const { server, backend } = await backendOn(wire, stream);
        server.enqueue({ kind: 'text', text: 'ok' });
        await backend.complete(
          [
            ...MESSAGES,
            {
              role: 'assistant',
              content: '',
              reasoning: 'look first',
              toolCalls: [{ id: 'call_1', name: 'run_command', arguments: '{"command":"ls"}' }],
            },
            { role: 'tool', content: 'exit code 0\nREADME.md', toolCallId: 'call_1', name: 'run_command' },
          ],
          { mode: 'tools' },
        );
        const { messages } = server.requests[0]!.body as { messages: Record<string, unknown>[] };
        if (wire === 'openai') {
          expect(messages.slice(2)).toEqual([
            {
              role: 'assistant',
              // the earlier reasoning as text: DeepSeek refuses `reasoning_content` in a request
              content: '<think>look first</think>',
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'run_command', arguments: '{"command":"ls"}' },
                },
              ],
            },
            { role: 'tool', tool_call_id: 'call_1', content: 'exit code 0\nREADME.md' },
          ]);
        } else {
          expect(messages.slice(2)).toEqual([
            {
              role: 'assistant',
              content: '',
              thinking: 'look first',
              tool_calls: [{ function: { name: 'run_command', arguments: { command: 'ls' } } }],
            },
            { role: 'tool', content: 'exit code 0\nREADME.md', tool_name: 'run_command' },
          ]);
        }
      });
    });
  }
}

for (const stream of [true, false]) {
  it(`openai wire reads a refusal apart from the text (${stream ? 'streaming' : 'one reply'})`, async () => {
    const completion = await replay('openai', stream, { refusal: "I'm sorry, I can't help with that." });
    expect(completion.refusal).toBe("I'm sorry, I can't help with that.");
    expect(completion.text).toBe('');
    expect(completion.toolCalls).toBeUndefined();
  });
}

describe('what each reply mode asks of the server', () => {
  it('openai: tools with tool_choice required; a json_schema response format; neither', async () => {
    const { server, backend } = await backendOn('openai', true);
    server.enqueue({ kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }, { kind: 'text', text: 'c' });
    for (const mode of ['tools', 'schema', 'text'] as const) await backend.complete(MESSAGES, { mode });
    const [tools, schema, text] = server.requests.map((r) => r.body as Record<string, unknown>);
    expect(tools).toMatchObject({ tool_choice: 'required' });
    expect((tools!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual([
      'run_command',
      'finish',
      'ask_for_help',
    ]);
    expect(tools).not.toHaveProperty('response_format');
    expect(schema).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'decision', strict: false } },
    });
    expect(schema).not.toHaveProperty('tools');
    expect(text).not.toHaveProperty('tools');
    expect(text).not.toHaveProperty('response_format');
  });

  it('ollama: tools; the decision schema as format; no forced JSON in text mode', async () => {
    const { server, backend } = await backendOn('ollama', true);
    server.enqueue({ kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }, { kind: 'text', text: 'c' });
    for (const mode of ['tools', 'schema', 'text'] as const) await backend.complete(MESSAGES, { mode });
    const [tools, schema, text] = server.requests.map((r) => r.body as Record<string, unknown>);
    expect((tools!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual([
      'run_command',
      'finish',
      'ask_for_help',
    ]);
    expect(tools).not.toHaveProperty('format');
    expect(schema).toMatchObject({ format: { type: 'object', required: ['action'] } });
    expect(schema).not.toHaveProperty('tools');
    expect(text).not.toHaveProperty('format');
    expect(text).not.toHaveProperty('tools');
  });
});

describe('ollama model window', () => {
  it('reads the context length from /api/show once', async () => {
    const { server, backend } = await backendOn('ollama', true, { contextLength: 8192 });
    const ollama = backend as OllamaChatBackend;
    expect(await ollama.contextWindow()).toBe(8192);
    expect(await ollama.contextWindow()).toBe(8192);
    expect(server.requests.filter((r) => r.path === '/api/show')).toHaveLength(1);
    expect(server.requests[0]!.body).toMatchObject({ model: 'm' });
  });

  it('is unknown when the server does not say', async () => {
    const { backend } = await backendOn('ollama', true);
    expect(await (backend as OllamaChatBackend).contextWindow()).toBeUndefined();
  });

  it('openai servers do not say', async () => {
    const { backend } = await backendOn('openai', true);
    expect(await backend.contextWindow()).toBeUndefined();
  });
});
