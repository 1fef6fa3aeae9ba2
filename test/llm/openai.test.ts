// The OpenAI-compatible reasoner against a loopback server speaking /v1/chat/completions.
import { describe, expect, it } from 'vitest';
import { createReasoner } from '../../src/adapters/llm/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { reasonerCompliance, remoteReasonerCompliance } from '../compliance/reasoner.js';
import { decisionAsToolCall, startFakeOpenAi } from '../fakes/openai-server.js';

reasonerCompliance('openai', async () => {
  const clock = new SimulatedClock();
  const server = await startFakeOpenAi({ clock });
  const reasoner = createReasoner(
    { backend: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-test', model: 'gpt-4o-mini' },
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

remoteReasonerCompliance('openai', async (options) => {
  const clock = new SimulatedClock();
  const server = await startFakeOpenAi({ clock });
  const reasoner = createReasoner(
    { backend: 'openai', baseUrl: `${server.url}/v1/`, apiKey: 'sk-test', ...options },
    { clock, logger: silentLogger() },
  );
  return { reasoner, clock, server, close: () => server.close() };
});

describe('openai reasoner', () => {
  it('sends the API key as a bearer token and asks for usage in the stream', async () => {
    const clock = new SimulatedClock();
    const server = await startFakeOpenAi({ clock });
    try {
      const reasoner = createReasoner(
        {
          backend: 'openai',
          baseUrl: `${server.url}/v1`,
          apiKey: 'sk-secret',
          model: 'gpt-4o-mini',
          maxOutputTokens: 256,
        },
        { clock, logger: silentLogger() },
      );
      server.enqueue({ kind: 'text', text: '{"action":"done","summary":"ok"}' });
      await reasoner.next({ task: { key: 'local:a/b#1', title: 't', body: 'b' }, history: [] });
      expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-secret');
      expect(server.requests[0]!.body).toMatchObject({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 256,
      });
    } finally {
      await server.close();
    }
  });

  it('sends no Authorization header without a key (local servers)', async () => {
    const clock = new SimulatedClock();
    const server = await startFakeOpenAi({ clock });
    try {
      const reasoner = createReasoner(
        { backend: 'openai', baseUrl: `${server.url}/v1`, model: 'local', stream: false },
        { clock, logger: silentLogger() },
      );
      server.enqueue({ kind: 'text', text: '{"action":"done","summary":"ok"}' });
      await reasoner.next({ task: { key: 'local:a/b#1', title: 't', body: 'b' }, history: [] });
      expect(server.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
