/**
 * reasoner.overhead: the time bzzz adds to one model step beyond the HTTP round trip, on a
 * loopback OpenAI-compatible server streaming a tool call: p50/p99 of `Reasoner.next` minus
 * p50/p99 of a raw `fetch` of the same stream (goal ≤ 1 ms p50). Beside it, the wire alone:
 * the hand-written backend and the official `openai` SDK's bare streamed call (no guards, no
 * reading of the reply: a lower bound of an SDK backend), which chose the OpenAI wire.
 *
 * reasoner.corpus: the share of the replay corpus read as labelled, per reply mode, over both
 * wires, streaming and not (goal 100%; baseline: the labelled count).
 */
import OpenAI from 'openai';
import { createReasoner, REPLY_MODES, type ReplyMode } from '../src/adapters/llm/index.js';
import { OpenAiChatBackend } from '../src/adapters/llm/openai.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { decisionAsToolCall, type FakeLlmServer } from '../test/fakes/llm-server.js';
import { startFakeOpenAi } from '../test/fakes/openai-server.js';
import { REPLY_CORPUS } from '../test/llm/corpus/index.js';
import { applies, matches, replayEntry } from '../test/llm/corpus-run.js';
import { hrtimeMs, percentile, progress, round, type Benchmark, type Figure } from './lib.js';

const ROUNDS = 400;
const WARMUP = 50;
const MODEL = 'bench-model';
const TASK = { key: 'local:bench/app#1', title: 'Bench', body: 'Fix the typo in README.md.' };
const REPLY = decisionAsToolCall({ kind: 'command', command: "sed -i 's/recieve/receive/' README.md" });

type Way = 'raw' | 'step' | 'fetch' | 'sdk';

function ways(server: FakeLlmServer): Record<Way, () => Promise<unknown>> {
  const baseUrl = `${server.url}/v1`;
  const components = { clock: systemClock, logger: silentLogger() };
  const reasoner = createReasoner(
    { backend: 'openai', baseUrl, apiKey: 'sk-bench', model: MODEL },
    components,
  );
  const backend = new OpenAiChatBackend({ baseUrl, apiKey: 'sk-bench', model: MODEL }, components);
  const sdk = new OpenAI({ baseURL: baseUrl, apiKey: 'sk-bench', maxRetries: 0 });
  const messages = [
    { role: 'system' as const, content: 'You are a bzzz agent.' },
    { role: 'user' as const, content: `Task ${TASK.key}: ${TASK.title}\n\n${TASK.body}` },
  ];
  const rawBody = JSON.stringify({
    model: MODEL,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  return {
    raw: async () => {
      const response = await fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: rawBody,
      });
      return response.text();
    },
    step: () => reasoner.next({ task: TASK, history: [] }),
    fetch: () => backend.complete(messages, { mode: 'tools' }),
    sdk: async () => {
      const stream = await sdk.chat.completions.create({
        model: MODEL,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let n = 0;
      for await (const chunk of stream) n += chunk.choices.length;
      return n;
    },
  };
}

async function overhead(): Promise<Figure> {
  const server = await startFakeOpenAi();
  try {
    const run = ways(server);
    const order: Way[] = ['raw', 'step', 'fetch', 'sdk'];
    const lat: Record<Way, number[]> = { raw: [], step: [], fetch: [], sdk: [] };
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      // Interleaved, so drift of the machine touches every way alike.
      for (const way of order) {
        server.enqueue(REPLY);
        const start = process.hrtime.bigint();
        await run[way]();
        if (i >= WARMUP) lat[way].push(hrtimeMs(start));
      }
    }
    const p = (way: Way, q: number) => percentile(lat[way], q);
    const over = (way: Way, q: number) => round(p(way, q) - p('raw', q), 3);
    progress(
      `overhead p50: step ${over('step', 50)} ms, hand-written wire ${over('fetch', 50)} ms, sdk call ${over('sdk', 50)} ms (raw ${round(p('raw', 50))} ms)`,
    );
    return {
      bench: 'reasoner.overhead',
      value: over('step', 50),
      unit: 'ms',
      baseline: 'raw fetch round trip, p50',
      baseline_value: round(p('raw', 50)),
      ratio: round(p('raw', 50) / p('step', 50)),
      extra: {
        p99_ms: over('step', 99),
        raw_p99_ms: round(p('raw', 99)),
        wire_fetch_p50_ms: over('fetch', 50),
        wire_fetch_p99_ms: over('fetch', 99),
        wire_sdk_call_p50_ms: over('sdk', 50),
        wire_sdk_call_p99_ms: over('sdk', 99),
      },
    };
  } finally {
    await server.close();
  }
}

async function corpus(): Promise<Figure[]> {
  const entries = REPLY_CORPUS;
  const figures: Figure[] = [];
  for (const mode of REPLY_MODES as readonly ReplyMode[]) {
    let runs = 0;
    let read = 0;
    for (const wire of ['openai', 'ollama'] as const)
      for (const stream of [true, false])
        for (const entry of entries.filter((e) => applies(e, wire, mode))) {
          runs += 1;
          if (matches(entry, await replayEntry(entry, wire, stream, mode))) read += 1;
        }
    progress(`corpus ${mode}: ${read}/${runs} read as labelled`);
    figures.push({
      bench: `reasoner.corpus.${mode}`,
      value: round((100 * read) / runs, 1),
      unit: '%',
      baseline: 'labelled replays',
      baseline_value: runs,
      ratio: round(read / runs),
      extra: { read, runs },
    });
  }
  return figures;
}

export default {
  name: 'reasoner',
  async run() {
    return [await overhead(), ...(await corpus())];
  },
} satisfies Benchmark;
