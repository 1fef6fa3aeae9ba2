// The Ollama reasoner against a loopback server speaking Ollama's /api/chat.
import { describe, expect, it } from 'vitest';
import { createReasoner } from '../../src/adapters/llm/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { reasonerCompliance, remoteReasonerCompliance } from '../compliance/reasoner.js';
import { decisionAsToolCall, startFakeOllama } from '../fakes/ollama-server.js';

reasonerCompliance('ollama', async () => {
  const clock = new SimulatedClock();
  const server = await startFakeOllama({ clock });
  const reasoner = createReasoner(
    { backend: 'ollama', host: server.url, model: 'qwen2.5-coder:7b' },
    { clock, logger: silentLogger() },
  );
  return {
    reasoner,
    clock,
    script(commands) {
      // As a tool-calling model answers: one native tool call per step.
      for (const command of commands) server.enqueue(decisionAsToolCall({ kind: 'command', command }));
      server.enqueue(decisionAsToolCall({ kind: 'done', summary: 'all steps ran' }));
      return { key: 'local:demo/app#1', title: 'A task', body: 'Do it.' };
    },
    close: () => server.close(),
  };
});

remoteReasonerCompliance('ollama', async (options) => {
  const clock = new SimulatedClock();
  const server = await startFakeOllama({ clock });
  const reasoner = createReasoner(
    { backend: 'ollama', host: server.url, ...options },
    { clock, logger: silentLogger() },
  );
  return { reasoner, clock, server, close: () => server.close() };
});

describe('ollama reasoner', () => {
  it('offers the tools first, forces no JSON format, and caps the tokens it may generate', async () => {
    const clock = new SimulatedClock();
    const server = await startFakeOllama({ clock });
    try {
      const reasoner = createReasoner(
        { backend: 'ollama', host: server.url, model: 'llama3', maxOutputTokens: 300 },
        { clock, logger: silentLogger() },
      );
      server.enqueue({ kind: 'text', text: '{"action":"done","summary":"nothing to do"}' });
      await reasoner.next({ task: { key: 'local:a/b#1', title: 't', body: 'b' }, history: [] });
      expect(server.chatRequests[0]).toMatchObject({
        path: '/api/chat',
        body: { model: 'llama3', stream: true, options: { num_predict: 300 } },
      });
      const body = server.chatRequests[0]!.body as { tools?: unknown[]; format?: unknown };
      expect(body.tools).toHaveLength(3);
      expect(body.format).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
