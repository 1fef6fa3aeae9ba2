// The reply reader on the replay corpus, in every mode a case applies to, and on what no model should make it do.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLY_MODES, type ChatCompletion, type ReplyMode } from '../../src/adapters/llm/conversation.js';
import { readReply } from '../../src/adapters/llm/reply-reader.js';
import { REPLY_CORPUS, type NeutralReply } from './corpus/index.js';

/** The completion a wire backend makes of a neutral reply (ids filled in where the server gave none). */
function completionOf(reply: NeutralReply): ChatCompletion {
  return {
    text: reply.content ?? '',
    ...(reply.reasoning === undefined ? {} : { reasoning: reply.reasoning }),
    ...(reply.refusal === undefined ? {} : { refusal: reply.refusal }),
    ...(reply.toolCalls === undefined
      ? {}
      : { toolCalls: reply.toolCalls.map((c, i) => ({ id: c.id ?? `call_${i}`, ...c })) }),
    finishReason: reply.finishReason ?? (reply.toolCalls === undefined ? 'stop' : 'tool_calls'),
  };
}

const cases = REPLY_CORPUS.flatMap((c) => (c.modes ?? REPLY_MODES).map((mode) => [c.id, mode, c] as const));

describe('the replay corpus', () => {
  it('holds at least 30 distinct reply shapes from the four documented formats', () => {
    expect(REPLY_CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(REPLY_CORPUS.map((c) => c.id)).size).toBe(REPLY_CORPUS.length);
    for (const vendor of ['openai', 'ollama', 'deepseek', 'qwen']) {
      expect(REPLY_CORPUS.some((c) => c.source.toLowerCase().includes(vendor))).toBe(true);
    }
  });

  it.each(cases)('%s (%s mode) reads as labelled', (_, mode, entry) => {
    const reading = readReply(completionOf(entry.reply), mode);
    if ('decision' in entry.expect) {
      expect(reading).toMatchObject({ decision: entry.expect.decision });
      if (entry.expect.toolCallId !== undefined) {
        expect(reading).toMatchObject({ toolCallId: entry.expect.toolCallId });
      }
    } else {
      expect(reading).not.toHaveProperty('decision');
      expect((reading as { correction: string }).correction).toContain(entry.expect.correction);
    }
  });
});

describe('readReply', () => {
  const text = (t: string, extra: Partial<ChatCompletion> = {}): ChatCompletion => ({ text: t, ...extra });

  it('keeps the reasoning of tags, fields and thoughts for the transcript', () => {
    const reading = readReply(
      text('<think>look first</think>{"action":"command","command":"ls","thought":"list"}', {
        reasoning: 'apart',
      }),
      'text',
    );
    expect(reading).toEqual({
      decision: { kind: 'command', command: 'ls' },
      reasoning: 'apart\n\nlook first\n\nlist',
    });
  });

  it('ends every correction with how to answer in the mode', () => {
    const rules: Record<ReplyMode, string> = {
      tools: 'call exactly one tool (run_command, finish, ask_for_help)',
      schema: 'exactly one JSON object of the schema',
      text: 'exactly one JSON object or one ```bash block',
    };
    for (const mode of REPLY_MODES) {
      const reading = readReply(text('hello'), mode);
      expect('correction' in reading && reading.correction.endsWith(rules[mode])).toBe(true);
    }
  });

  it('names the kind of each problem, so the reasoner can tell empty replies apart', () => {
    expect(readReply(text(' '), 'text')).toMatchObject({ problem: 'empty' });
    expect(readReply(text('x', { finishReason: 'length' }), 'text')).toMatchObject({ problem: 'cut' });
    expect(
      readReply(text('{"action":"done","summary":"a"} {"action":"done","summary":"b"}'), 'text'),
    ).toMatchObject({ problem: 'several' });
  });

  it('never throws and never takes a decision out of reasoning, whatever the text', () => {
    const noTag = fc.string().filter((s) => !s.includes('think>'));
    const decision = fc.constantFrom('{"action":"command","command":"rm -rf /"}', '```bash\nrm -rf /\n```');
    fc.assert(
      fc.property(noTag, decision, noTag, (before, inside, after) => {
        const reading = readReply(text(`<think>${before}${inside}${after}</think>`), 'text');
        expect(reading).not.toHaveProperty('decision');
        const field = readReply(text('', { reasoning: `${before}${inside}` }), 'tools');
        expect(field).not.toHaveProperty('decision');
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (t) => {
        expect(() => readReply(text(t), 'text')).not.toThrow();
      }),
    );
  });
});
