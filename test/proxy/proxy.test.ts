/**
 * The OpenAI-compatible proxy with the official `openai` SDK as its client, in front of a
 * loopback upstream: replies streamed and not, tools passed through, exact tokens and cost
 * charged, the virtual key checked, the upstream key never shown, `/v1/models`, a stream cut
 * in the middle charged for what was delivered, and the metrics as promtool reads them.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReasoner } from '../../src/adapters/llm/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { eventually } from '../helpers/cli.js';
import { promtoolCheck, samples } from '../node/metrics-support.js';
import { MINI, startProxyHarness, type ProxyHarness } from './harness.js';
import { REPLY_TEXT, USAGE } from './upstream.js';

let h: ProxyHarness;
let key: string;
const records = async (): Promise<number> => (await h.sink.summary()).requests;

beforeAll(async () => {
  h = await startProxyHarness();
  key = await h.key({ name: 'agent-1' });
});
afterAll(async () => {
  await h.close();
});

const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'run_command',
      description: 'Run one shell command',
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
    },
  },
];

describe('chat completions through the proxy', () => {
  it('forwards a request with the upstream key, unknown fields and tools unchanged, and charges its usage', async () => {
    const before = await records();
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'list the files' }],
      tools: TOOLS,
      tool_choice: 'required' as const,
      temperature: 0.2,
    };
    const reply = await h
      .client(key)
      .chat.completions.create({ ...params, ...{ bzzz_unknown_field: { kept: [1, 2] } } });
    const call = reply.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function).toEqual({
      name: 'run_command',
      arguments: '{"command":"ls -la"}',
    });
    expect(reply.usage).toMatchObject({ prompt_tokens: USAGE.prompt, completion_tokens: USAGE.completion });
    const seen = h.upstream.requests.at(-1)!;
    expect(seen.authorization).toBe(`Bearer ${h.upstream.key}`);
    expect(seen.body).toEqual({ ...params, bzzz_unknown_field: { kept: [1, 2] } });
    await eventually(async () => ((await records()) === before + 1 ? true : undefined), 20_000, 'the record');
    const summary = await h.sink.summary('key');
    const group = summary.groups.find((g) => g.group === 'agent-1')!;
    expect(group.prompt_tokens).toBeGreaterThanOrEqual(USAGE.prompt);
    const spent = await h.sink.spent({ key: 'agent-1' });
    expect(spent).toBeGreaterThan(0);
  });

  it('charges exactly the tokens the upstream reports, at the model price', async () => {
    const sink = await startProxyHarness();
    try {
      const k = await sink.key({ name: 'exact' });
      await sink
        .client(k)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      const summary = await eventually(async () => {
        const s = await sink.sink.summary('model');
        return s.requests === 1 ? s : undefined;
      });
      expect(summary.groups).toEqual([
        {
          group: 'gpt-4o-mini',
          requests: 1,
          prompt_tokens: USAGE.prompt,
          completion_tokens: USAGE.completion,
          cost_usd: expect.closeTo(USAGE.prompt * MINI.input + USAGE.completion * MINI.output, 15) as number,
        },
      ]);
    } finally {
      await sink.close();
    }
  });

  it('streams a reply, asks the upstream for usage and keeps the usage chunk from a client that did not ask', async () => {
    const exact = await startProxyHarness();
    try {
      const k = await exact.key({ name: 'streamer' });
      const stream = await exact.client(k).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'say hello' }],
        stream: true,
      });
      let text = '';
      let usageChunks = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usageChunks++;
      }
      expect(text).toBe(REPLY_TEXT);
      expect(usageChunks).toBe(0);
      expect(exact.upstream.requests[0]!.body.stream_options).toEqual({ include_usage: true });
      const s = await eventually(async () => {
        const got = await exact.sink.summary();
        return got.requests === 1 ? got : undefined;
      });
      expect(s).toMatchObject({ prompt_tokens: USAGE.prompt, completion_tokens: USAGE.completion });
      expect(s.cost_usd).toBeCloseTo(USAGE.prompt * MINI.input + USAGE.completion * MINI.output, 15);
    } finally {
      await exact.close();
    }
  });

  it('passes the usage chunk to a client that asked for it, and streams tool calls unchanged', async () => {
    const stream = await h.client(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'list the files' }],
      tools: TOOLS,
      stream: true,
      stream_options: { include_usage: true },
    });
    let args = '';
    let name = '';
    const usages: unknown[] = [];
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? '';
      args += call?.function?.arguments ?? '';
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect({ name, args }).toEqual({ name: 'run_command', args: '{"command":"ls -la"}' });
    expect(usages).toEqual([
      { prompt_tokens: USAGE.prompt, completion_tokens: USAGE.completion, total_tokens: 49 },
    ]);
  });

  it('lists the upstream models', async () => {
    const models = await h.client(key).models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });
});

describe('virtual keys', () => {
  it('answers 401 with an OpenAI-style error without a key or with a wrong one, forwarding nothing', async () => {
    const before = h.upstream.requests.length;
    const bare = await fetch(`${h.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_api_key' },
    });
    const wrong = h.client('sk-bzzz-not-a-key-of-this-proxy');
    const error = await wrong.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(h.upstream.requests.length).toBe(before);
  });

  it('takes a key added while it runs', async () => {
    const late = await h.key({ name: 'late-comer' });
    const reply = await h
      .client(late)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]!.message.content).toBe(REPLY_TEXT);
  });

  it('never lets the upstream key out: an upstream error echoing it, whole or masked, is redacted', async () => {
    h.upstream.script({ kind: 'echo-key', status: 401 }, { kind: 'echo-key', status: 403, masked: true });
    const client = h.client(key);
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const whole = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    const masked = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    expect(whole).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(masked).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const real = h.upstream.key;
    for (const e of [whole, masked] as Error[]) {
      expect(e.message).toContain('[redacted]');
      expect(e.message).not.toContain(real);
      expect(e.message).not.toContain(real.slice(0, 8));
      expect(e.message).not.toContain(real.slice(-4));
    }
    const metrics = await (await fetch(`${h.proxy.url}/metrics`)).text();
    expect(`${h.logs()}${metrics}`).not.toContain(real.slice(8, 20));
  });

  it('makes the reasoner send its task, and charges the request to it', async () => {
    h.upstream.script({ kind: 'reply' });
    const reasoner = createReasoner(
      { backend: 'openai', baseUrl: `${h.proxy.url}/v1`, apiKey: key, model: 'gpt-4o-mini', stream: true },
      { clock: systemClock, logger: silentLogger() },
    );
    const task = { key: 'local:demo/app#17', title: 'List the files', body: 'Run ls.' };
    const step = await reasoner.next({ task, history: [] });
    expect(step.decision).toEqual({ kind: 'command', command: 'ls -la' });
    // the header is the proxy's: it attributes the request and goes no further
    expect(h.upstream.requests.at(-1)!.task).toBeUndefined();
    const byTask = await eventually(async () => {
      const groups = (await h.sink.summary('task')).groups;
      return groups.find((g) => g.group === task.key);
    });
    expect(byTask).toMatchObject({
      requests: 1,
      prompt_tokens: USAGE.prompt,
      completion_tokens: USAGE.completion,
    });
  });
});

describe('a stream cut in the middle', () => {
  it('is charged the prompt estimate and the tokens of what was delivered', async () => {
    const cut = await startProxyHarness();
    try {
      const k = await cut.key({ name: 'cut' });
      cut.upstream.script({ kind: 'cut', chunks: 3 });
      const params = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'tell me something long' }],
        stream: true as const,
      };
      const stream = await cut.client(k).chat.completions.create(params);
      let text = '';
      const failure = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      const delivered = REPLY_TEXT.split(/(?<= )/)
        .slice(0, 3)
        .join('');
      expect(text).toBe(delivered);
      const record = await eventually(async () => {
        const s = await cut.sink.summary();
        return s.requests === 1 ? s : undefined;
      });
      // the rule of tokens.ts: four bytes a token, of the body as sent and of the text delivered
      expect(record.prompt_tokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(params)) / 4));
      expect(record.completion_tokens).toBe(Math.ceil(Buffer.byteLength(delivered) / 4));
      expect(record.cost_usd).toBeCloseTo(
        record.prompt_tokens * MINI.input + record.completion_tokens * MINI.output,
        15,
      );
    } finally {
      await cut.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests, tokens and cost per key and model, in a text promtool accepts', async () => {
    const m = await startProxyHarness();
    try {
      const k = await m.key({ name: 'metered' });
      const client = m.client(k);
      for (let i = 0; i < 2; i++)
        await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        });
      await m
        .client('sk-bzzz-wrong')
        .models.list()
        .catch(() => undefined);
      await fetch(`${m.proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      const text = await eventually(async () => {
        const t = await (await fetch(`${m.proxy.url}/metrics`)).text();
        return t.includes('bzzz_llm_request_duration_seconds_count{key="metered"') ? t : undefined;
      });
      const check = await promtoolCheck(text);
      expect(check.output).toBe('');
      expect(check.code).toBe(0);
      const value = (name: string, labels: Record<string, string>) =>
        samples(text).find(
          (s) => s.name === name && Object.entries(labels).every(([k2, v]) => s.labels[k2] === v),
        )?.value;
      const labels = { key: 'metered', model: 'gpt-4o-mini' };
      expect(value('bzzz_llm_requests_total', { ...labels, status: '200' })).toBe(2);
      expect(value('bzzz_llm_requests_total', { key: '(unknown)', status: '401' })).toBe(1);
      expect(value('bzzz_llm_tokens_total', { ...labels, kind: 'prompt' })).toBe(2 * USAGE.prompt);
      expect(value('bzzz_llm_tokens_total', { ...labels, kind: 'completion' })).toBe(2 * USAGE.completion);
      expect(value('bzzz_llm_cost_usd_total', labels)).toBeCloseTo(
        2 * (USAGE.prompt * MINI.input + USAGE.completion * MINI.output),
        12,
      );
      expect(value('bzzz_llm_request_duration_seconds_count', labels)).toBe(2);
    } finally {
      await m.close();
    }
  });
});

describe('bad requests', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${h.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers 400 or 413 with an OpenAI-style error and forwards nothing', async () => {
    const before = h.upstream.requests.length;
    const cases: [Response, number, string][] = [
      [await post('{"model": '), 400, 'invalid_json'],
      [await post('[1, 2]'), 400, 'invalid_json'],
      [await post('{"model": "gpt-4o-mini"}'), 400, 'invalid_body'],
      [await post('{"model": "gpt-4o-mini", "messages": [{}], "max_tokens": -3}'), 400, 'invalid_body'],
      [
        await post('{"model": "gpt-4o-mini", "messages": [{}]}', { 'x-bzzz-task': 'has a space' }),
        400,
        'invalid_header',
      ],
      [
        await post(`{"model": "gpt-4o-mini", "messages": ["${'a'.repeat(17 * 1024 * 1024)}"]}`),
        413,
        'body_too_large',
      ],
    ];
    for (const [response, status, code] of cases) {
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ error: { code, type: 'invalid_request_error' } });
    }
    expect(h.upstream.requests.length).toBe(before);
    const unreachable = await startProxyHarness();
    try {
      await unreachable.upstream.close();
      const refused = await unreachable
        .client(await unreachable.key({ name: 'u' }))
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.APIError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((refused as Error).message).toContain('unreachable');
      // counted once, and charged nothing: the upstream never answered
      const text = await (await fetch(`${unreachable.proxy.url}/metrics`)).text();
      const failures = samples(text).filter(
        (m) => m.name === 'bzzz_llm_requests_total' && m.labels.status === '502',
      );
      expect(failures.map((m) => m.value)).toEqual([1]);
      const usage = await eventually(async () => {
        const summary = await unreachable.sink.summary();
        return summary.requests === 1 ? summary : undefined;
      });
      expect(usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 });
    } finally {
      await unreachable.close();
    }
  });
});
