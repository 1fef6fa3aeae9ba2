/**
 * mcp.call: p50/p99 of one `list_tasks` round trip through the official SDK `Client` over
 * Streamable HTTP (bearer token, a session), against a node whose read model holds 100 tasks;
 * baseline: a plain `GET /api/v1/tasks` of the same node (the same rows, without MCP), in the
 * same run, the two interleaved call by call so both see the same machine.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../src/config/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { TOPICS } from '../src/protocol/topics.js';
import { startMainJob } from '../src/node/main-job.js';
import { hrtimeMs, latency, percentile, progress, round, type Benchmark, type Figure } from './lib.js';

const TASKS = 100;
const ROUNDS = 1_000;
const WARMUP = 100;
const TOKEN = 'bench-token-0123456789abcdef';

export default {
  name: 'mcp',
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-mcp-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'token'), TOKEN);
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_MCP_PORT: '0',
        BZZZ_MCP_HOST: '127.0.0.1',
        BZZZ_MCP_TOKEN_FILE: join(dir, 'token'),
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_NODE_NAME: 'bench',
      },
      cwd: dir,
    });
    let url = '';
    const job = await startMainJob(config, {
      agents: 1,
      logger: silentLogger(),
      clock: systemClock,
      mcp: { onListening: (listening) => (url = listening) },
    });
    const client = new Client({ name: 'bench', version: '1.0.0' });
    try {
      // the read model is fed by task_progress on the coordination topic, as agents feed it
      for (let n = 1; n <= TASKS; n++)
        job.node.system.publish(TOPICS.coordination, {
          type: 'task_progress',
          data: { task: `local:bench/app#${n}`, state: 'done', node: job.node.nodeId, agent: 'bench' },
        });
      while (Object.keys(job.pipeline.view.getSnapshot().context.tasks).length < TASKS)
        await new Promise((r) => setTimeout(r, 10));
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      const tasksUrl = `${job.node.httpUrl}/api/v1/tasks`;
      const mcp: number[] = [];
      const http: number[] = [];
      for (let i = 0; i < WARMUP + ROUNDS; i++) {
        let start = process.hrtime.bigint();
        const result = await client.callTool({ name: 'list_tasks', arguments: { limit: 200 } });
        const mcpMs = hrtimeMs(start);
        start = process.hrtime.bigint();
        const rows = (await (await fetch(tasksUrl)).json()) as unknown[];
        const httpMs = hrtimeMs(start);
        if ((result.structuredContent as { total: number }).total !== TASKS || rows.length !== TASKS)
          throw new Error('list_tasks and /api/v1/tasks disagree on the tasks');
        if (i < WARMUP) continue;
        mcp.push(mcpMs);
        http.push(httpMs);
      }
      progress(
        `mcp.call p50 ${percentile(mcp, 50).toFixed(3)} ms, GET /api/v1/tasks ${percentile(http, 50).toFixed(3)} ms`,
      );
      const figure = latency(
        'mcp.call',
        'ms',
        percentile(mcp, 50),
        'GET /api/v1/tasks',
        percentile(http, 50),
      );
      figure.extra = {
        tasks: TASKS,
        rounds: ROUNDS,
        p99_ms: round(percentile(mcp, 99)),
        baseline_p99_ms: round(percentile(http, 99)),
      };
      return [figure];
    } finally {
      await client.close();
      await job.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
