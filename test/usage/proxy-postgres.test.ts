/**
 * With `BZZZ_DATABASE_URL`, the proxy's usage records go to PostgreSQL (the usage store every
 * node and proxy of a cluster shares), not to the data dir, and `bzzz proxy usage` reads them
 * there: a request made with the official `openai` SDK through a node's proxy is counted
 * exactly (the loopback upstream's usage), charged to its task, and nothing is in `usage.db`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVirtualKey } from '../../src/adapters/proxy/index.js';
import { openUsageStore } from '../../src/adapters/usage/index.js';
import { proxyUsage } from '../../src/cli/commands/proxy-admin.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { BzzzNode } from '../../src/node/node.js';
import { localUsagePath, proxySpec } from '../../src/node/proxy.js';
import { startPostgresServer, type PostgresServerHandle } from '../helpers/postgres-server.js';
import { startFakeUpstream, USAGE, type FakeUpstream } from '../proxy/upstream.js';

let dir: string;
let upstream: FakeUpstream;
let server: PostgresServerHandle;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-pg-'));
  upstream = await startFakeUpstream();
  server = await startPostgresServer();
});
afterAll(async () => {
  await upstream.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the proxy with BZZZ_DATABASE_URL', () => {
  it('keeps its usage in PostgreSQL, where `bzzz proxy usage` reads it', async () => {
    await writeFile(join(dir, 'upstream.key'), upstream.key);
    const env = {
      BZZZ_DATA_DIR: join(dir, 'data'),
      BZZZ_HTTP_PORT: '0',
      BZZZ_PROXY_PORT: '0',
      BZZZ_PROXY_UPSTREAM_URL: upstream.url,
      BZZZ_PROXY_UPSTREAM_KEY_FILE: 'upstream.key',
      BZZZ_NODE_NAME: 'node-pg',
      BZZZ_DATABASE_URL: server.url(await server.createDatabase()),
    };
    const config = loadConfig({ cwd: dir, env });
    const { key } = await addVirtualKey(join(config.data_dir, 'proxy-keys.yaml'), { name: 'agent-pg' });
    let proxyUrl: string | undefined;
    const logger = silentLogger();
    const node = await BzzzNode.start(config, {
      logger,
      infra: [proxySpec(config, { logger, clock: systemClock }, (url) => (proxyUrl = url))],
    });
    try {
      const client = new OpenAI({ baseURL: `${proxyUrl!}/v1`, apiKey: key, maxRetries: 0 });
      await client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-bzzz-task': 'local:demo/calc#1' } },
      );
    } finally {
      await node.stop();
    }
    expect(existsSync(localUsagePath(config))).toBe(false);

    const store = await openUsageStore(config, { logger, clock: systemClock });
    try {
      expect(await store.summary('task')).toMatchObject({
        requests: 1,
        prompt_tokens: USAGE.prompt,
        completion_tokens: USAGE.completion,
        groups: [{ group: 'local:demo/calc#1', requests: 1 }],
      });
      expect(await store.spent({ key: 'agent-pg' })).toBeGreaterThan(0);
    } finally {
      await store.stop();
    }

    const out: string[] = [];
    const io = {
      cwd: dir,
      env,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: () => true },
    } as unknown as Parameters<typeof proxyUsage>[0];
    expect(await proxyUsage(io, ['--json', '--by', 'key'])).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({
      requests: 1,
      prompt_tokens: USAGE.prompt,
      completion_tokens: USAGE.completion,
      groups: [{ group: 'agent-pg', requests: 1 }],
    });
  });
});
