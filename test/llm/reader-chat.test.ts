// The chat reasoner's loop over the reply reader: tool results under their ids, corrections, bounded re-asks, the mode seam.
import { describe, expect, it } from 'vitest';
import { ChatReasoner } from '../../src/adapters/llm/chat.js';
import type { ReplyMode } from '../../src/adapters/llm/conversation.js';
import {
  LlmHttpError,
  type HistoryEntry,
  type ReasonerTask,
  type ReplyModes,
} from '../../src/adapters/llm/index.js';
import { systemPrompt } from '../../src/adapters/llm/prompt.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { ScriptBackend } from './script-backend.js';

const TASK: ReasonerTask = { key: 'local:demo/app#3', title: 'Fix the typo', body: 'README says recieve.' };
const LS: HistoryEntry = {
  kind: 'command',
  command: 'ls',
  exitCode: 0,
  stdout: 'README.md\n',
  stderr: '',
  toolCallId: 'call_ls',
  reasoning: 'Look around first.',
};
const call = (id: string, command: string) => ({
  id,
  name: 'run_command',
  arguments: JSON.stringify({ command }),
});

function reasonerWith(backend: ScriptBackend, modes?: ReplyModes, maxBadReplies = 2) {
  return new ChatReasoner(
    'openai',
    backend,
    { model: 'm', maxBadReplies, contextTokens: 8_192 },
    { clock: new SimulatedClock(), logger: silentLogger() },
    modes,
  );
}

const fixed = (mode: ReplyMode): ReplyModes => ({ current: () => mode, fallback: () => false });

describe('ChatReasoner over the reply reader', () => {
  it('in tools mode sends a command result as a tool message under its call id, with the earlier reasoning', async () => {
    const backend = new ScriptBackend().enqueue({
      text: '',
      reasoning: 'Now fix it.',
      toolCalls: [call('call_sed', "sed -i 's/recieve/receive/' README.md")],
      finishReason: 'tool_calls',
    });
    const step = await reasonerWith(backend, fixed('tools')).next({ task: TASK, history: [LS] });
    expect(step).toMatchObject({
      decision: { kind: 'command', command: "sed -i 's/recieve/receive/' README.md" },
      toolCallId: 'call_sed',
      reasoning: 'Now fix it.',
      mode: 'tools',
    });
    const { messages, mode } = backend.calls[0]!;
    expect(mode).toBe('tools');
    expect(messages[0]!.content).toContain('calling exactly one tool per reply');
    expect(messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: '',
        reasoning: 'Look around first.',
        toolCalls: [{ id: 'call_ls', name: 'run_command', arguments: '{"command":"ls"}' }],
      },
      {
        role: 'tool',
        toolCallId: 'call_ls',
        name: 'run_command',
        content: 'exit code 0\nstdout:\nREADME.md\n',
      },
    ]);
  });

  it('runs none of several tool calls, says so, and takes the single call asked for again', async () => {
    const backend = new ScriptBackend().enqueue(
      { text: '', toolCalls: [call('a', 'npm ci'), call('b', 'npm test')], finishReason: 'tool_calls' },
      { text: '', toolCalls: [call('c', 'npm ci')], finishReason: 'tool_calls' },
    );
    const step = await reasonerWith(backend, fixed('tools')).next({ task: TASK, history: [] });
    expect(step).toMatchObject({ decision: { kind: 'command', command: 'npm ci' }, toolCallId: 'c' });
    expect(backend.calls[1]!.messages.slice(-2)).toEqual([
      { role: 'assistant', content: '(called run_command, run_command)' },
      {
        role: 'user',
        content:
          'Your last reply could not be used: found 2 tool calls (run_command, run_command) and ran none; call exactly one tool (run_command, finish, ask_for_help).',
      },
    ]);
  });

  it('reads text when a server ignored the tools', async () => {
    const backend = new ScriptBackend().enqueue({ text: 'Sure.\n```bash\ngit status\n```' });
    const step = await reasonerWith(backend, fixed('tools')).next({ task: TASK, history: [] });
    expect(step.decision).toEqual({ kind: 'command', command: 'git status' });
    expect(step.toolCallId).toBeUndefined();
  });

  it('asks again after a reply cut at the token limit, never parsing it, and gives up after the bound', async () => {
    const cut = { text: '{"action":"done","summary":"ok"}', finishReason: 'length' as const };
    const backend = new ScriptBackend().enqueue(cut, cut, cut);
    await expect(reasonerWith(backend).next({ task: TASK, history: [] })).rejects.toMatchObject({
      name: 'ReplyParseError',
      attempts: 3,
      reason: expect.stringContaining('cut at the token limit') as unknown,
    });
    expect(backend.calls).toHaveLength(3);
    expect(backend.calls[2]!.messages.filter((m) => m.content.includes('answer shorter'))).toHaveLength(2);
  });

  it('falls back to the mode the seam chooses when a server refuses one, without counting a bad reply', async () => {
    let mode: ReplyMode = 'tools';
    const seen: [ReplyMode, string][] = [];
    const modes: ReplyModes = {
      current: () => mode,
      fallback: (failed, error) => {
        seen.push([failed, (error as Error).name]);
        mode = failed === 'tools' ? 'schema' : 'text';
        return true;
      },
    };
    const refused = new LlmHttpError(400, 'tools are not supported by this model', undefined);
    const backend = new ScriptBackend().enqueue(refused, refused, {
      text: '{"action":"done","summary":"ok"}',
    });
    const step = await reasonerWith(backend, modes, 0).next({ task: TASK, history: [] });
    expect(step).toMatchObject({ decision: { kind: 'done', summary: 'ok' }, mode: 'text' });
    expect(seen).toEqual([
      ['tools', 'LlmHttpError'],
      ['schema', 'LlmHttpError'],
    ]);
    expect(backend.calls.map((c) => c.mode)).toEqual(['tools', 'schema', 'text']);
    expect(backend.calls[1]!.messages[0]!.content).toContain('exactly one JSON object');
  });

  it('throws a refused call when the seam has no other mode', async () => {
    const backend = new ScriptBackend().enqueue(new LlmHttpError(400, 'bad request', undefined));
    await expect(reasonerWith(backend).next({ task: TASK, history: [] })).rejects.toMatchObject({
      name: 'LlmHttpError',
      status: 400,
    });
  });
});

describe('the system prompt', () => {
  it('tells the environment: sandbox, working directory, top-level files, network, who opens the PR', () => {
    const prompt = systemPrompt(
      { ...TASK, files: ['package.json', 'src', 'README.md'], network: false },
      'text',
    );
    expect(prompt).toContain('sandbox');
    expect(prompt).toContain('repository root, which is the working directory');
    expect(prompt).toContain('The repository root holds: package.json, src, README.md.');
    expect(prompt).toContain('The network is not reachable');
    expect(prompt).toContain('bzzz commits your changes, pushes the branch and opens the pull request');
    expect(prompt).toContain('"action":"command"');
    expect(prompt).toContain('```bash block');
  });
});
