// Reply modes found per model: tools first, schema when tools are refused, text when the schema
// is refused too; remembered per (endpoint, model), logged once per mode.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createReasoner,
  isModeRefusal,
  LlmHttpError,
  type ReasonerTask,
} from '../../src/adapters/llm/index.js';
import { ReplyModeRegistry } from '../../src/adapters/llm/modes.js';
import { createLogger, SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { decisionAsToolCall, type FakeLlmServer } from '../fakes/llm-server.js';
import { runCli } from '../helpers/cli.js';
import { startFakeOllama } from '../fakes/ollama-server.js';
import { startFakeOpenAi } from '../fakes/openai-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const TASK: ReasonerTask = { key: 'local:demo/app#1', title: 'Fix it', body: 'Fix the typo.' };
const DONE = { kind: 'text' as const, text: '{"action":"done","summary":"fixed"}' };

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

async function reasonerOn(wire: 'openai' | 'ollama', refuse: { tools?: boolean; schema?: boolean }) {
  const clock = new SimulatedClock();
  const server: FakeLlmServer =
    wire === 'openai' ? await startFakeOpenAi({ clock, refuse }) : await startFakeOllama({ clock, refuse });
  closers.push(() => server.close());
  const { logger, lines } = capturingLogger();
  const common = { model: `model-${wire}`, stream: true };
  const reasoner =
    wire === 'openai'
      ? createReasoner({ backend: 'openai', baseUrl: `${server.url}/v1`, ...common }, { clock, logger })
      : createReasoner({ backend: 'ollama', host: server.url, ...common }, { clock, logger });
  return { server, reasoner, lines };
}

const modeOf = (body: unknown): string => {
  const b = body as Record<string, unknown>;
  if (b.tools !== undefined) return 'tools';
  if (b.response_format !== undefined || typeof b.format === 'object') return 'schema';
  return 'text';
};

for (const wire of ['openai', 'ollama'] as const) {
  describe(`reply modes on the ${wire} wire`, () => {
    it('asks for tool calls first and stays there when the server takes them', async () => {
      const { server, reasoner, lines } = await reasonerOn(wire, {});
      server.enqueue(
        decisionAsToolCall({ kind: 'command', command: 'ls' }),
        decisionAsToolCall({ kind: 'done', summary: 'ok' }),
      );
      expect((await reasoner.next({ task: TASK, history: [] })).decision).toEqual({
        kind: 'command',
        command: 'ls',
      });
      expect((await reasoner.next({ task: TASK, history: [] })).decision).toEqual({
        kind: 'done',
        summary: 'ok',
      });
      expect(server.chatRequests.map((r) => modeOf(r.body))).toEqual(['tools', 'tools']);
      expect(lines.filter((l) => l.msg === 'model replies in tools mode')).toHaveLength(1);
    });

    it('falls back to the schema when tools are refused, and remembers it', async () => {
      const { server, reasoner, lines } = await reasonerOn(wire, { tools: true });
      server.enqueue(DONE, DONE);
      expect((await reasoner.next({ task: TASK, history: [] })).decision.kind).toBe('done');
      expect((await reasoner.next({ task: TASK, history: [] })).decision.kind).toBe('done');
      expect(server.chatRequests.map((r) => modeOf(r.body))).toEqual(['tools', 'schema', 'schema']);
      expect(lines.filter((l) => l.msg === 'model replies in schema mode')).toHaveLength(1);
      expect(lines.some((l) => l.msg === 'server refused tools mode')).toBe(true);
    });

    it('falls back to text when the schema is refused too', async () => {
      const { server, reasoner } = await reasonerOn(wire, { tools: true, schema: true });
      server.enqueue({ kind: 'text', text: '```bash\nls\n```' }, DONE);
      server.enqueue(DONE);
      await reasoner.next({ task: TASK, history: [] }).catch(() => undefined);
      await reasoner.next({ task: TASK, history: [] }).catch(() => undefined);
      const modes = server.chatRequests.map((r) => modeOf(r.body));
      expect(modes.slice(0, 3)).toEqual(['tools', 'schema', 'text']);
      expect(modes.slice(3).every((m) => m === 'text')).toBe(true);
    });
  });
}

describe('which errors are a refusal of the mode', () => {
  const http = (status: number, message: string) => new LlmHttpError(status, message, undefined);
  it('a 4xx naming tools refuses tools mode, not schema mode', () => {
    const ollama = http(400, 'registry.ollama.ai/library/phi3:mini does not support tools');
    expect(isModeRefusal('tools', ollama)).toBe(true);
    expect(isModeRefusal('schema', ollama)).toBe(false);
    expect(isModeRefusal('tools', http(400, "Invalid value for 'tool_choice': 'required'"))).toBe(true);
    expect(isModeRefusal('tools', http(400, 'tools param requires --jinja flag'))).toBe(true);
  });

  it('a 4xx naming the response format refuses schema mode', () => {
    const openai = http(
      400,
      "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
    );
    expect(isModeRefusal('schema', openai)).toBe(true);
    expect(isModeRefusal('tools', openai)).toBe(false);
    expect(isModeRefusal('schema', http(400, 'invalid format: expected "json" or a valid JSON schema'))).toBe(
      true,
    );
  });

  it('other errors are not: a 5xx, a missing model, rate limits, text mode', () => {
    expect(isModeRefusal('tools', http(500, 'tools crashed the runner'))).toBe(false);
    expect(isModeRefusal('tools', http(429, 'too many tool calls'))).toBe(false);
    expect(isModeRefusal('tools', http(404, 'model "m" not found, try pulling it first'))).toBe(false);
    expect(isModeRefusal('text', http(400, 'tools'))).toBe(false);
    expect(isModeRefusal('tools', new Error('does not support tools'))).toBe(false);
  });

  it('two refusals of one mode at once move the mode down once', () => {
    const registry = new ReplyModeRegistry();
    const a = registry.for('http://x/api/chat', 'm', silentLogger());
    const b = registry.for('http://x/api/chat', 'm', silentLogger());
    const refusal = http(400, 'm does not support tools');
    expect(a.fallback('tools', refusal)).toBe(true);
    expect(b.fallback('tools', refusal)).toBe(true);
    expect(a.current()).toBe('schema');
    expect(registry.for('http://x/api/chat', 'other', silentLogger()).current()).toBe('tools');
    expect(registry.for('http://y/api/chat', 'm', silentLogger()).current()).toBe('tools');
  });
});

describe('bzzz config print', () => {
  it('shows how a model is asked for its decisions', async () => {
    const result = await runCli(['config', 'print', '--json'], {
      BZZZ_LLM: 'ollama',
      BZZZ_MODEL: 'qwen2.5-coder:7b',
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      llm: 'ollama',
      reply_mode: 'negotiated per model: tools → schema → text',
    });
  }, 30_000);
});
