// The context budget: a long task stays within three quarters of the window, folding the oldest steps deterministically.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatReasoner } from '../../src/adapters/llm/chat.js';
import { budgetedMessages } from '../../src/adapters/llm/context-budget.js';
import type { ReplyMode } from '../../src/adapters/llm/conversation.js';
import type { HistoryEntry, ReasonerTask, ReplyModes } from '../../src/adapters/llm/index.js';
import { estimateMessagesTokens, headMessages } from '../../src/adapters/llm/prompt.js';
import { loadConfig } from '../../src/config/index.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { ScriptBackend } from './script-backend.js';

const TASK: ReasonerTask = {
  key: 'local:demo/app#9',
  title: 'Make the test suite pass',
  body: 'Several tests fail after the refactoring. Make them pass without changing their assertions.',
  files: ['package.json', 'src', 'test', 'README.md'],
  network: false,
};

const output = (step: number) =>
  Array.from({ length: 30 }, (_, i) => `line ${i + 1} of step ${step}: ${'x'.repeat(40)}`).join('\n');

const command = (step: number): Extract<HistoryEntry, { kind: 'command' }> => ({
  kind: 'command',
  command: `npm test -- --grep case-${step}`,
  exitCode: step % 3 === 0 ? 1 : 0,
  stdout: output(step),
  stderr: '',
  toolCallId: `call_${step}`,
  reasoning: `Step ${step}: the next case to check is ${step}.`,
});

const modesOf = (mode: ReplyMode): ReplyModes => ({ current: () => mode, fallback: () => false });
const ADVICE_EARLY = {
  kind: 'advice',
  from: 'agent-b',
  text: 'The fixtures live in test/fixtures; do not edit them.',
} as const;
const ADVICE_LATE = { kind: 'advice', from: 'human', text: 'Run the tests with --runInBand.' } as const;

describe('the context budget', () => {
  it.each(['tools', 'text'] as const)(
    'keeps a task of 200 model steps within an 8k window (%s mode), the latest steps and advice verbatim',
    async (mode) => {
      const backend = new ScriptBackend();
      const reasoner = new ChatReasoner(
        'openai',
        backend,
        { model: 'small-8k', contextTokens: 8_192 },
        { clock: new SimulatedClock(), logger: silentLogger() },
        modesOf(mode),
      );
      const history: HistoryEntry[] = [];
      for (let step = 1; step <= 200; step++) {
        backend.enqueue(
          mode === 'tools'
            ? {
                text: '',
                toolCalls: [
                  {
                    id: `call_${step}`,
                    name: 'run_command',
                    arguments: { command: `npm test -- --grep case-${step}` },
                  },
                ],
                finishReason: 'tool_calls',
              }
            : { text: `{"action":"command","command":"npm test -- --grep case-${step}"}` },
        );
        const next = await reasoner.next({ task: TASK, history });
        expect(next.decision).toEqual({ kind: 'command', command: `npm test -- --grep case-${step}` });
        history.push(command(step));
        if (step === 20) history.push(ADVICE_EARLY);
        if (step === 190) history.push(ADVICE_LATE);
      }
      for (const call of backend.calls) {
        expect(estimateMessagesTokens(call.messages)).toBeLessThanOrEqual(0.75 * 8_192);
        expect(call.messages.slice(0, 2)).toEqual(headMessages(TASK, mode));
      }
      const last = backend.calls.at(-1)!.messages;
      const texts = last.map((m) => m.content);
      expect(texts).toContain(`Advice from agent-b:\n${ADVICE_EARLY.text}`);
      expect(texts).toContain(`Advice from human:\n${ADVICE_LATE.text}`);
      for (const step of [198, 199]) {
        expect(texts.some((t) => t.includes(output(step)))).toBe(true);
        const move = last.find(
          (m) => m.role === 'assistant' && m.reasoning === `Step ${step}: the next case to check is ${step}.`,
        );
        expect(move).toBeDefined();
      }
      if (mode === 'tools') {
        expect(last.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'call_199', name: 'run_command' });
      }
      const folded = texts.find((t) => t.startsWith('Earlier steps, one line each'));
      expect(folded).toBeDefined();
      expect(folded).toMatch(/^#\d+ npm test -- --grep case-\d+ → exit [01]: line 1 of step \d+: x+$/m);
    },
  );

  it('sends the history whole while it fits', () => {
    const history = [command(1), ADVICE_EARLY, command(2)];
    const messages = budgetedMessages(TASK, history, { mode: 'text', contextTokens: 8_192 });
    expect(messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'user',
      'assistant',
      'user',
    ]);
    expect(messages.some((m) => m.content.startsWith('Earlier steps'))).toBe(false);
  });

  it('folds the oldest steps first, one line each, and the same input folds the same way', () => {
    const history = Array.from({ length: 12 }, (_, i) => command(i + 1));
    const a = budgetedMessages(TASK, history, { mode: 'text', contextTokens: 4_096 });
    const b = budgetedMessages(TASK, history, { mode: 'text', contextTokens: 4_096 });
    expect(a).toEqual(b);
    expect(estimateMessagesTokens(a)).toBeLessThanOrEqual(3_072);
    const folded = a
      .find((m) => m.content.startsWith('Earlier steps'))!
      .content.split('\n')
      .slice(1);
    expect(folded[0]).toBe('#1 npm test -- --grep case-1 → exit 0: line 1 of step 1: ' + 'x'.repeat(40));
    const numbers = folded.map((l) => Number(/^#(\d+)/.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(a.at(-1)!.content).toContain(output(12));
  });

  it('counts the steps it had to omit when even one line each does not fit', () => {
    const history = Array.from({ length: 400 }, (_, i) => command(i + 1));
    const messages = budgetedMessages(TASK, history, { mode: 'text', contextTokens: 4_096 });
    expect(estimateMessagesTokens(messages)).toBeLessThanOrEqual(3_072);
    expect(messages.find((m) => m.content.startsWith('Earlier steps'))!.content).toMatch(
      /\(\d+ earlier steps omitted\)/,
    );
    expect(messages.at(-1)!.content).toContain(output(400));
  });

  it('takes the window the server reports when none is configured, else 8192', async () => {
    const history = Array.from({ length: 40 }, (_, i) => command(i + 1));
    const sizes: number[] = [];
    for (const window of [32_768, undefined]) {
      const backend = new ScriptBackend(window).enqueue({ text: '{"action":"done","summary":"ok"}' });
      const reasoner = new ChatReasoner(
        'ollama',
        backend,
        { model: 'm' },
        { clock: new SimulatedClock(), logger: silentLogger() },
      );
      await reasoner.next({ task: TASK, history });
      sizes.push(estimateMessagesTokens(backend.calls[0]!.messages));
    }
    expect(sizes[0]).toBeGreaterThan(8_192);
    expect(sizes[0]).toBeLessThanOrEqual(0.75 * 32_768);
    expect(sizes[1]).toBeLessThanOrEqual(0.75 * 8_192);
  });
});

describe('BZZZ_CONTEXT_TOKENS', () => {
  it('is the context_tokens key: absent by default, a whole number of tokens when set', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bzzz-context-'));
    expect(loadConfig({ env: {}, cwd }).context_tokens).toBeUndefined();
    expect(loadConfig({ env: { BZZZ_CONTEXT_TOKENS: '4096' }, cwd }).context_tokens).toBe(4_096);
    expect(() => loadConfig({ env: { BZZZ_CONTEXT_TOKENS: 'lots' }, cwd })).toThrow(/context_tokens/);
    expect(() => loadConfig({ env: { BZZZ_CONTEXT_TOKENS: '100' }, cwd })).toThrow(/context_tokens/);
  });
});
