/**
 * proxy.overhead: what the OpenAI-compatible proxy adds to a chat completion, against the
 * same loopback upstream called directly: p50/p99 latency added (requests one at a time,
 * interleaved) and requests/s through the proxy over direct (16 in flight). The upstream and
 * the proxy are processes of their own; a bare `node:http` pass-through beside them (in
 * `extra`) tells the cost of the extra process hop from the cost of the proxy's work; the key has limits and a budget, so every check of
 * the request path (key, budget lookup, buckets, the usage record in SQLite) runs.
 * Goals: ≤ 1 ms added p50, ≥ 0.9× direct throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addVirtualKey } from '../src/adapters/proxy/index.js';
import { hrtimeMs, median, percentile, progress, round, type Benchmark, type Figure } from './lib.js';

const PROCESS = fileURLToPath(new URL('./proxy-process.ts', import.meta.url));
const WARMUP = 200;
const ROUNDS = 1_500;
const IN_FLIGHT = 16;
const THROUGHPUT_MS = 3_000;
const THROUGHPUT_ROUNDS = 3;
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a bzzz agent.' },
    { role: 'user', content: 'Task local:bench/app#1: fix the typo in README.md.' },
  ],
  max_tokens: 256,
});

function start(args: string[]): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} process exited with ${code}`)));
  });
  return { child, line };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** One request at a time through `agent`, its reply read whole (node:http: a light client). */
function caller(baseUrl: string, key: string, agent: http.Agent): () => Promise<void> {
  const url = new URL(`${baseUrl}/chat/completions`);
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${key}`,
    'content-length': Buffer.byteLength(BODY),
  };
  const options = {
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers,
    agent,
  };
  return () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(options, (response) => {
        if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}`));
        response
          .on('data', () => undefined)
          .on('end', resolve)
          .on('error', reject);
      });
      request.on('error', reject);
      request.end(BODY);
    });
}

async function requestsPerSecond(call: () => Promise<void>): Promise<number> {
  const deadline = performance.now() + THROUGHPUT_MS;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await call();
      done++;
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (done * 1000) / (performance.now() - begun);
}

type Way = 'direct' | 'bare' | 'proxy';

async function measure(calls: Record<Way, () => Promise<void>>): Promise<Figure[]> {
  const ways = Object.keys(calls) as Way[];
  const lat: Record<Way, number[]> = { direct: [], bare: [], proxy: [] };
  // interleaved, so drift of the machine touches every way alike
  for (let i = 0; i < WARMUP + ROUNDS; i++)
    for (const way of ways) {
      const begun = process.hrtime.bigint();
      await calls[way]();
      if (i >= WARMUP) lat[way].push(hrtimeMs(begun));
    }
  const p = (way: Way, q: number) => percentile(lat[way], q);
  const added = (way: Way, q: number) => round(p(way, q) - p('direct', q), 3);
  const rates: Record<Way, number[]> = { direct: [], bare: [], proxy: [] };
  for (let r = 0; r < THROUGHPUT_ROUNDS; r++)
    for (const way of ways) rates[way].push(await requestsPerSecond(calls[way]));
  const rate = (way: Way) => median(rates[way]);
  progress(
    `proxy adds ${added('proxy', 50)} ms p50, ${added('proxy', 99)} ms p99 (a bare hop ${added('bare', 50)} ms); ` +
      `${round(rate('proxy'), 0)} req/s through it, ${round(rate('direct'), 0)} direct, ${round(rate('bare'), 0)} through a bare hop`,
  );
  return [
    {
      bench: 'proxy.overhead',
      value: added('proxy', 50),
      unit: 'ms',
      baseline: 'the upstream called directly, p50',
      baseline_value: round(p('direct', 50)),
      ratio: round(p('direct', 50) / p('proxy', 50)),
      extra: {
        p99_ms: added('proxy', 99),
        direct_p99_ms: round(p('direct', 99)),
        bare_hop_p50_ms: added('bare', 50),
        bare_hop_p99_ms: added('bare', 99),
      },
    },
    {
      bench: 'proxy.overhead.rps',
      value: round(rate('proxy'), 1),
      unit: 'req/s',
      baseline: `the upstream called directly, ${IN_FLIGHT} in flight`,
      baseline_value: round(rate('direct'), 1),
      ratio: round(rate('proxy') / rate('direct')),
      extra: { bare_hop_rps: round(rate('bare'), 1), bare_hop_ratio: round(rate('bare') / rate('direct')) },
    },
  ];
}

export default {
  name: 'proxy',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-bench-'));
    const upstream = start(['upstream']);
    const others: ReturnType<typeof start>[] = [];
    try {
      const [upstreamUrl, upstreamKey] = (await upstream.line).split(' ') as [string, string];
      const { key } = await addVirtualKey(join(dir, 'proxy-keys.yaml'), {
        name: 'bench',
        rpm: 1_000_000_000,
        tpm: 1_000_000_000,
        budgetUsd: 1_000_000,
      });
      const proxy = start(['proxy', upstreamUrl, upstreamKey, dir]);
      const hop = start(['bare', upstreamUrl, upstreamKey]);
      others.push(proxy, hop);
      const [proxyUrl, bareUrl] = await Promise.all([proxy.line, hop.line]);
      const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
      try {
        return await measure({
          direct: caller(upstreamUrl, upstreamKey, agent),
          bare: caller(bareUrl, upstreamKey, agent),
          proxy: caller(proxyUrl, key, agent),
        });
      } finally {
        agent.destroy();
      }
    } finally {
      await Promise.all(others.map((o) => stop(o.child)));
      await stop(upstream.child);
      await rm(dir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
