/**
 * The node records every task's outcome: a task worked by a model (the OpenAI wire format on
 * loopback, reporting its usage) ends `done`, and its outcome — holder, node, rounds, the
 * tokens the model reported, times, pull request — is in PostgreSQL (`BZZZ_DATABASE_URL`), read
 * back by `bzzz task list --history --json`. Without a database URL, a task whose node
 * stops while it waits on its model is recorded `stopped` in `<data_dir>/history.db`. The
 * node's health shows the store.
 */
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { createUsageStore, type TaskOutcomeRecord } from '../../src/adapters/usage/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startMainJob, type MainJob } from '../../src/node/main-job.js';
import { eventually, runCli } from '../helpers/cli.js';
import { startPostgresServer, type PostgresServerHandle } from '../helpers/postgres-server.js';
import {
  decisionAsToolCall,
  startFakeOpenAi,
  type FakeLlmReply,
  type FakeLlmServer,
} from '../fakes/openai-server.js';

let server: PostgresServerHandle;
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  await server?.stop();
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(llm: FakeLlmServer, extra: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-history-'));
  chmodSync(dir, 0o755);
  const env = {
    BZZZ_DATA_DIR: join(dir, 'data'),
    BZZZ_HTTP_PORT: '0',
    BZZZ_SANDBOX: 'bwrap',
    BZZZ_LLM: 'openai',
    BZZZ_OPENAI_BASE_URL: `${llm.url}/v1`,
    BZZZ_OPENAI_API_KEY: 'sk-test',
    BZZZ_MODEL: 'fake-model',
    BZZZ_POLL_INTERVAL_MS: '100',
    BZZZ_NODE_NAME: 'historian',
    // no plan review: the fake model's queued replies are the steps' own
    BZZZ_PLAN_REVIEW_MS: '0',
    ...extra,
  };
  const config = loadConfig({ env, cwd: dir });
  const forge = new LocalForge(
    { dir: join(dir, 'data', 'forge') },
    { logger: silentLogger(), clock: systemClock },
  );
  const key = await forge.addTask({ title: 'Write ok.txt', repo: 'demo/history', body: 'Create ok.txt.' });
  const job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await job.stop();
    stopped = true;
  };
  closers.push(stop);
  return { job, key, env, dir, stop };
}

/** A scripted decision whose reply reports this usage. */
function costing(reply: FakeLlmReply, input: number, output: number): FakeLlmReply {
  if (reply.kind !== 'reply') throw new Error('a tool call reply was expected');
  return { ...reply, usage: { input, output } };
}

async function ended(job: MainJob): Promise<TaskOutcomeRecord> {
  return eventually(async () => (await job.pipeline.usage.tasks())[0], 90_000, 'a task outcome');
}

describe('task history from a node', () => {
  it('records a finished task with the tokens its model reported, in PostgreSQL', async () => {
    const llm = await startFakeOpenAi();
    closers.push(() => llm.close());
    llm.enqueue(
      costing(decisionAsToolCall({ kind: 'command', command: "printf 'ok\\n' > ok.txt" }), 1000, 50),
      costing(decisionAsToolCall({ kind: 'done', summary: 'wrote ok.txt' }), 1200, 30),
    );
    const database = await server.createDatabase();
    const { job, key, env, dir, stop } = await setup(llm, { BZZZ_DATABASE_URL: server.url(database) });
    expect(job.pipeline.usage.backend).toBe('postgres');
    const outcome = await ended(job);
    expect(outcome).toMatchObject({
      key,
      repo: 'demo/history',
      state: 'done',
      holder: 'historian',
      node: job.node.nodeId,
      rounds: 1,
      promptTokens: 2200,
      completionTokens: 80,
      costUsd: 0,
      reason: null,
    });
    expect(outcome.pr).toMatch(/pulls\/\d+\.json$/);
    expect(outcome.endedAt).toBeGreaterThanOrEqual(outcome.startedAt);
    const check = await eventually(
      async () => {
        const response = await fetch(`${job.node.httpUrl}/health/checks`);
        const { checks } = (await response.json()) as {
          checks: { name: string; status: string; message: string }[];
        };
        return checks.find((c) => c.name === 'usage_store' && c.status === 'pass');
      },
      60_000,
      'the usage_store check',
    );
    expect(check.message).toContain(`postgres://bzzz:***@127.0.0.1:${server.port}/${database}`);
    await stop();

    expect(existsSync(join(dir, 'data', 'history.db'))).toBe(false);
    const cli = await runCli(['task', 'list', '--history', '--json'], env, dir);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual([outcome]);
  }, 180_000);

  it('records a task its stopping node took away from its model as stopped, in history.db', async () => {
    const llm = await startFakeOpenAi();
    closers.push(() => llm.close());
    llm.enqueue({ kind: 'hang' });
    const { job, key, env, stop } = await setup(llm, {});
    expect(job.pipeline.usage.backend).toBe('sqlite');
    await llm.waitForRequests(1);
    await stop();
    const store = createUsageStore(
      { backend: 'sqlite', path: join(env.BZZZ_DATA_DIR, 'history.db') },
      { logger: silentLogger(), clock: systemClock },
    );
    await store.start();
    const [outcome] = await store.tasks();
    await store.stop();
    expect(outcome).toMatchObject({ key, state: 'stopped', holder: 'historian', rounds: 0, pr: null });
    expect(outcome?.reason).toContain('stopping');
  }, 180_000);
});
