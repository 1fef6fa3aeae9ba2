/**
 * The proxy as a service of a node: a child of `infra` started from the configuration, its
 * series on the node's `/metrics`, its usage in the node's `<data_dir>/usage.db`, stopped
 * with the node.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalUsageSink, addVirtualKey } from '../../src/adapters/proxy/index.js';
import { loadConfig } from '../../src/config/index.js';
import { BzzzNode } from '../../src/node/node.js';
import { NodeMetrics } from '../../src/node/metrics.js';
import { localUsagePath, proxySpec } from '../../src/node/proxy.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startFakeUpstream, type FakeUpstream } from './upstream.js';

let dir: string;
let upstream: FakeUpstream;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-node-'));
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the proxy in a node', () => {
  it('serves on its port, counts on the node metrics, and keeps usage in the data dir', async () => {
    await writeFile(join(dir, 'upstream.key'), upstream.key);
    const config = loadConfig({
      cwd: dir,
      env: {
        BZZZ_DATA_DIR: join(dir, 'data'),
        BZZZ_HTTP_PORT: '0',
        BZZZ_PROXY_PORT: '0',
        BZZZ_PROXY_UPSTREAM_URL: upstream.url,
        BZZZ_PROXY_UPSTREAM_KEY_FILE: 'upstream.key',
        BZZZ_NODE_NAME: 'node-p',
      },
    });
    const { key } = await addVirtualKey(join(config.data_dir, 'proxy-keys.yaml'), { name: 'agent-1' });
    const metrics = new NodeMetrics({ node: 'node-p', cluster: config.cluster });
    let proxyUrl: string | undefined;
    const logger = silentLogger();
    const node = await BzzzNode.start(config, {
      metrics,
      logger,
      infra: [
        proxySpec(
          config,
          { logger, clock: systemClock, registry: metrics.registry },
          (url) => (proxyUrl = url),
        ),
      ],
    });
    try {
      const client = new OpenAI({ baseURL: `${proxyUrl!}/v1`, apiKey: key, maxRetries: 0 });
      const reply = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(reply.choices[0]!.message.content).toBeTruthy();
      const text = await (await fetch(`${node.httpUrl!}/metrics`)).text();
      expect(text).toMatch(
        /bzzz_llm_requests_total\{key="agent-1",model="gpt-4o-mini",status="200",node="node-p",cluster="local"\} 1/,
      );
    } finally {
      await node.stop();
    }
    const sink = new LocalUsageSink(localUsagePath(config));
    try {
      expect(await sink.summary('key')).toMatchObject({
        requests: 1,
        groups: [{ group: 'agent-1', prompt_tokens: 42, completion_tokens: 7 }],
      });
    } finally {
      sink.close();
    }
  });
});
