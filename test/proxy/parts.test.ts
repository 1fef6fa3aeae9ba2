/**
 * The proxy's parts on their own: the SSE relay on awkward streams (events split anywhere,
 * CRLF, comments, garbage, no `[DONE]`, an endless event), the redactor on the forms servers
 * echo a key in, prices matched by model name, and the keys file refused with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { PriceTable, ProxyConfigError, parseKeysFile, redactorFor } from '../../src/adapters/proxy/index.js';
import { relaySse, type RelayEnd } from '../../src/adapters/proxy/sse-relay.js';

const encoder = new TextEncoder();

/** The pieces one read at a time, then the end (or the error). */
function upstreamOf(pieces: string[], error?: Error): ReadableStream<Uint8Array> {
  const queue = [...pieces];
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else if (error) controller.error(error);
      else controller.close();
    },
  });
}

async function relay(pieces: string[], stripUsage: boolean, error?: Error) {
  let ended: RelayEnd | undefined;
  const out = relaySse(upstreamOf(pieces, error), { stripUsage, onEnd: (e) => (ended = e) });
  let text = '';
  let failure: unknown;
  try {
    for await (const chunk of out) text += new TextDecoder().decode(chunk);
  } catch (e) {
    failure = e;
  }
  return { text, ended: ended!, failure };
}

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}`;
const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 3 } })}`;

describe('the SSE relay', () => {
  it('passes events byte for byte however they are split, and drops the usage chunk when asked', async () => {
    const whole = `: ping\r\n\r\n${chunk('Hel')}\r\n\r\n${chunk('lo')}\n\n${usage}\n\ndata: [DONE]\n\n`;
    const pieces = whole.match(/[\s\S]{1,7}/g)!;
    const kept = await relay(pieces, false);
    expect(kept.text).toBe(whole);
    expect(kept.ended).toEqual({
      reason: 'done',
      usage: { promptTokens: 11, completionTokens: 3 },
      deliveredTokens: 2,
    });
    const stripped = await relay(pieces, true);
    expect(stripped.text).toBe(whole.replace(`${usage}\n\n`, ''));
    expect(stripped.ended.usage).toEqual({ promptTokens: 11, completionTokens: 3 });
  });

  it('passes garbage on without counting it, and takes usage as the end of a stream without [DONE]', async () => {
    const { text, ended, failure } = await relay(
      ['data: {not json\n\n', `${chunk('abcd')}\n\n`, `${usage}\n\n`],
      true,
    );
    expect(failure).toBeUndefined();
    expect(text).toBe(`data: {not json\n\n${chunk('abcd')}\n\n`);
    expect(ended.reason).toBe('done');
  });

  it('ends as cut, with what was delivered, when the upstream stops or fails before the end', async () => {
    const stopped = await relay([`${chunk('12345678')}\n\n`, 'data: {"choi'], false);
    expect(stopped.failure).toBeInstanceOf(Error);
    expect(stopped.ended).toEqual({ reason: 'cut', usage: undefined, deliveredTokens: 2 });
    const failed = await relay([`${chunk('1234')}\n\n`], false, new Error('socket reset'));
    expect(failed.ended).toEqual({ reason: 'cut', usage: undefined, deliveredTokens: 1 });
  });

  it('cuts an event that never ends', async () => {
    let ended: RelayEnd | undefined;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(encoder.encode('data: aaaaaaaaaaaaaaaa')),
    });
    const out = relaySse(endless, { stripUsage: false, maxEventBytes: 4096, onEnd: (e) => (ended = e) });
    await expect(
      (async () => {
        for await (const _ of out);
      })(),
    ).rejects.toThrow('longer than 4096 bytes');
    expect(ended?.reason).toBe('cut');
  });
});

describe('the redactor', () => {
  const key = 'sk-proj-Q3f9XbT2LmN8vR4kW7yZ1cD6';
  const redact = redactorFor(key);
  it('hides the key whole, masked or in pieces, and leaves other words alone', () => {
    expect(redact(`Incorrect API key provided: ${key}.`)).toBe('Incorrect API key provided: [redacted].');
    expect(redact('key sk-proj-****cD6 and sk-p***Z1cD6 rejected')).toBe(
      'key [redacted] and [redacted] rejected',
    );
    expect(redact(`prefix ${key.slice(0, 14)}`)).toBe('prefix [redacted]');
    expect(redact('invalid_request_error: model gpt-4o-mini not found')).toBe(
      'invalid_request_error: model gpt-4o-mini not found',
    );
    expect(redactorFor(undefined)('anything')).toBe('anything');
  });
});

describe('prices', () => {
  const table = new PriceTable({ 'my-model': { input: 1, output: 2 }, '*': { input: 10, output: 10 } });
  it('matches exact names, provider prefixes, dated versions, then the default', () => {
    expect(table.priceOf('gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
    expect(table.priceOf('gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(table.priceOf('gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
    expect(table.priceOf('openai/my-model')).toEqual({ input: 1, output: 2 });
    expect(table.priceOf('llama3')).toEqual({ input: 10, output: 10 });
    expect(new PriceTable().priceOf('llama3')).toBeUndefined();
    expect(table.costOf('my-model', 1_000_000, 500_000)).toBe(2);
  });
});

describe('the keys file', () => {
  it('names the problem of a bad file', () => {
    const bad = (text: string) => {
      try {
        parseKeysFile(text, 'keys.yaml');
      } catch (error) {
        expect(error).toBeInstanceOf(ProxyConfigError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(bad('keys: [')).toMatch(/^proxy: keys.yaml: not valid YAML/);
    expect(bad('keys:\n  - { name: a, sha256: abc }')).toBe(
      'proxy: keys.yaml: keys.0.sha256: 64 lowercase hex digits',
    );
    const sha = 'a'.repeat(64);
    expect(
      bad(`keys:\n  - { name: a, sha256: ${sha} }\n  - { name: a, sha256: ${'b'.repeat(64)} }`),
    ).toContain('the key name a appears twice');
    expect(bad(`keys:\n  - { name: a, sha256: ${sha}, colour: red }`)).toContain('keys.0');
    expect(bad('models:\n  gpt-4o: { rpm: -1 }')).toContain('models.gpt-4o.rpm');
    expect(bad('')).toBe('accepted');
  });
});
