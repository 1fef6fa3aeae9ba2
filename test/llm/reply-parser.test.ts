// The strict reply parser and the Retry-After reader: what a model or a server may send, and what is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecision } from '../../src/adapters/llm/index.js';
import { parseRetryAfter } from '../../src/lib/backoff.js';

describe('parseDecision', () => {
  it('accepts the three forms, trimmed, with an optional thought', () => {
    expect(parseDecision(' {"action":"command","command":"  ls -la "} ')).toEqual({
      kind: 'command',
      command: 'ls -la',
    });
    expect(parseDecision('{"action":"done","summary":"ok","thought":"easy"}')).toEqual({
      kind: 'done',
      summary: 'ok',
    });
    expect(parseDecision('```\n{"action":"help","question":"why?"}\n```')).toEqual({
      kind: 'help',
      question: 'why?',
    });
  });

  it.each([
    ['prose', 'I will run ls', 'not a single JSON object'],
    [
      'two objects',
      '{"action":"done","summary":"a"}{"action":"done","summary":"b"}',
      'not a single JSON object',
    ],
    ['an array', '[{"action":"done","summary":"a"}]', 'not a JSON object'],
    ['an unknown action', '{"action":"deploy","target":"prod"}', 'action'],
    ['an extra field', '{"action":"command","command":"ls","sudo":true}', 'Unrecognized key'],
    ['an empty command', '{"action":"command","command":"   "}', 'command'],
    ['a missing summary', '{"action":"done"}', 'summary'],
    ['a NUL byte', '{"action":"command","command":"ls\\u0000"}', 'NUL'],
  ])('refuses %s', (_, reply, reason) => {
    expect(() => parseDecision(reply)).toThrow(expect.objectContaining({ name: 'ReplyParseError' }));
    try {
      parseDecision(reply);
    } catch (error) {
      expect((error as { reason: string }).reason).toContain(reason);
    }
  });

  it('calls an empty reply empty', () => {
    expect(() => parseDecision('  \n ')).toThrow(expect.objectContaining({ name: 'EmptyReplyError' }));
  });

  it('never throws anything but its two named errors, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            parseDecision(text);
          } catch (error) {
            expect(['ReplyParseError', 'EmptyReplyError']).toContain((error as Error).name);
          }
        },
      ),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
