/**
 * Limits shared through a real redis-server: two limiters on one Redis draw on one bucket,
 * a Redis that stops answering leaves each process on its own buckets, and two `bzzz proxy`
 * processes on one Redis enforce one limit (a request through the first empties the bucket
 * the second sees), both writing their usage where `bzzz proxy usage` reads it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/adapters/proxy/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { eventually, runCli, spawnCli } from '../helpers/cli.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { startFakeUpstream, type FakeUpstream } from './upstream.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const limiter = (prefix: string) =>
  new RedisRateLimiter({ redisUrl: redis.url, prefix }, { clock: systemClock, logger: silentLogger() });

describe('the Redis limiter', () => {
  it('shares one bucket between two connections', async () => {
    const [a, b] = [limiter('shared'), limiter('shared')];
    await Promise.all([a.start(), b.start()]);
    try {
      const rpm = [{ id: 'rpm:key:k', capacity: 2, cost: 1 }];
      expect(await a.take(rpm)).toEqual({ ok: true });
      expect(await b.take(rpm)).toEqual({ ok: true });
      const refused = await a.take(rpm);
      expect(refused.ok).toBe(false);
      expect(!refused.ok && refused.bucket).toBe('rpm:key:k');
      // one token comes back every 30 s; some of that time has passed on Redis's clock
      expect(!refused.ok && refused.retryAfterMs > 0 && refused.retryAfterMs <= 30_000).toBe(true);
      expect((await b.take(rpm)).ok).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('settles against what was used, and keeps clusters apart', async () => {
    const [a, other] = [limiter('settle'), limiter('another-cluster')];
    await Promise.all([a.start(), other.start()]);
    try {
      const tokens = (cost: number) => [{ id: 'tpm:key:k', capacity: 100, cost }];
      expect((await a.take(tokens(90))).ok).toBe(true);
      expect((await a.take(tokens(90))).ok).toBe(false);
      expect((await other.take(tokens(90))).ok).toBe(true);
      await a.settle(tokens(-85));
      expect((await a.take(tokens(90))).ok).toBe(true);
    } finally {
      await Promise.all([a.close(), other.close()]);
    }
  });

  it('falls back to per-process buckets while Redis does not answer', async () => {
    const a = limiter('paused');
    await a.start();
    redis.pause();
    try {
      const rpm = [{ id: 'rpm:key:k', capacity: 1, cost: 1 }];
      expect(await a.take(rpm)).toEqual({ ok: true });
      expect((await a.take(rpm)).ok).toBe(false);
    } finally {
      redis.resume();
      await a.close();
    }
  });
});

describe('two bzzz proxy processes on one Redis', () => {
  let upstream: FakeUpstream;
  let dir: string;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    dir = await mkdtemp(join(tmpdir(), 'bzzz-proxy-redis-'));
    await writeFile(join(dir, 'upstream.key'), `${upstream.key}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'enforce one limit, and both charge the usage bzzz proxy usage shows',
    { timeout: 240_000 },
    async () => {
      const added = await runCli([
        'proxy',
        'key',
        'add',
        '--name',
        'shared',
        '--rpm',
        '1',
        '--data-dir',
        dir,
      ]);
      expect(added.code).toBe(0);
      const key = added.stdout.trim().split('\n').at(-1)!;
      const env = {
        BZZZ_PROXY_UPSTREAM_URL: upstream.url,
        BZZZ_PROXY_UPSTREAM_KEY_FILE: join(dir, 'upstream.key'),
        BZZZ_REDIS_URL: redis.url,
        BZZZ_LOG_LEVEL: 'warn',
      };
      const proxies = [0, 1].map(() => spawnCli(['proxy', '--port', '0', '--data-dir', dir], env));
      try {
        const urls = await Promise.all(
          proxies.map((p) =>
            eventually(
              () => /listening on (http:\/\/\S+\/v1)/.exec(p.output().stdout)?.[1],
              60_000,
              'the proxy listening',
              () => p.output().stderr,
            ),
          ),
        );
        const [a, b] = urls.map((baseURL) => new OpenAI({ baseURL, apiKey: key, maxRetries: 0 }));
        const ask = (client: OpenAI) =>
          client.chat.completions
            .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
            .catch((e: unknown) => e);
        expect(await ask(a!)).not.toBeInstanceOf(Error);
        const refused = await ask(b!);
        expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
        const retryAfter = Number(
          (refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'),
        );
        expect(retryAfter >= 1 && retryAfter <= 60).toBe(true);
        expect(await ask(a!)).toBeInstanceOf(OpenAI.RateLimitError);
        expect(upstream.requests).toHaveLength(1);
      } finally {
        for (const p of proxies) p.kill('SIGTERM');
        await Promise.all(
          proxies.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))),
        );
      }
      expect(proxies.map((p) => p.exitCode)).toEqual([0, 0]);
      const usage = await runCli(['proxy', 'usage', '--json', '--data-dir', dir]);
      expect(usage.code).toBe(0);
      expect(JSON.parse(usage.stdout)).toMatchObject({
        requests: 1,
        prompt_tokens: 42,
        completion_tokens: 7,
        groups: [{ group: 'shared', requests: 1, prompt_tokens: 42, completion_tokens: 7 }],
      });
    },
  );
});
