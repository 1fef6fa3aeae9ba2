/**
 * A proxy in the test's process in front of the loopback upstream: a keys file made with the
 * same writer `bzzz proxy key add` uses, a usage sink the test reads, and the official
 * `openai` SDK as the client (no retries, so a 429 is seen as it is).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { pino } from 'pino';
import {
  MemoryUsageSink,
  addVirtualKey,
  openProxy,
  type NewKeyOptions,
  type ProxyServer,
  type UsageSink,
} from '../../src/adapters/proxy/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { startFakeUpstream, type FakeUpstream } from './upstream.js';

export interface ProxyHarness {
  proxy: ProxyServer;
  upstream: FakeUpstream;
  sink: UsageSink;
  dir: string;
  /** Every line the proxy logged. */
  logs(): string;
  /** A new virtual key (the file is read again on its first use). */
  key(options: NewKeyOptions): Promise<string>;
  client(key: string, headers?: Record<string, string>): OpenAI;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Top-level sections of the keys file besides `keys` (`models`, `task_budget_usd`). */
  policy?: string;
  prices?: string;
  redisUrl?: string;
  sink?: UsageSink;
}

export async function startProxyHarness(options: HarnessOptions = {}): Promise<ProxyHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-'));
  const keysFile = join(dir, 'proxy-keys.yaml');
  if (options.policy !== undefined) await writeFile(keysFile, options.policy);
  let pricesFile: string | undefined;
  if (options.prices !== undefined) {
    pricesFile = join(dir, 'prices.yaml');
    await writeFile(pricesFile, options.prices);
  }
  let logged = '';
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    }),
  );
  const upstream = await startFakeUpstream();
  const sink = options.sink ?? new MemoryUsageSink();
  const proxy = await openProxy(
    {
      host: '127.0.0.1',
      port: 0,
      upstreamUrl: upstream.url,
      upstreamKey: upstream.key,
      keysFile,
      pricesFile,
      redisUrl: options.redisUrl,
      cluster: 'test',
      node: 'proxy-node',
    },
    { clock: systemClock, logger, sink },
  );
  return {
    proxy,
    upstream,
    sink,
    dir,
    logs: () => logged,
    key: async (o) => (await addVirtualKey(keysFile, o)).key,
    client: (key, headers) =>
      new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers ?? {} }),
    close: async () => {
      await proxy.stop();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** gpt-4o-mini's built-in price, USD per token. */
export const MINI = { input: 0.15 / 1e6, output: 0.6 / 1e6 };
