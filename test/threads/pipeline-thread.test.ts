/**
 * The node's wiring: a scripted task on the embedded default (no review window set, so no
 * wait) records its plan — its steps — and its going on alone in the task's thread, in the
 * node's content store, pinned; the thread's head is what the task's `thread` name publishes.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { loadConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { allTaskRecords, startMainJob, type MainJob } from '../../src/node/main-job.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function finished(job: MainJob): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const [record] = await allTaskRecords(job.pipeline);
    if (record !== undefined && ['done', 'failed', 'escalated'].includes(record.state)) return record.state;
    if (Date.now() > deadline) throw new Error('the task did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a node’s task threads', () => {
  it('record a scripted task’s plan in its thread, without waiting for reviewers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-thread-'));
    chmodSync(dir, 0o755);
    const config = loadConfig({
      env: {
        BZZZ_DATA_DIR: dir,
        BZZZ_HTTP_PORT: '0',
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_POLL_INTERVAL_MS: '100',
        BZZZ_NODE_NAME: 'threads',
      },
      cwd: dir,
    });
    const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
    await forge.addTask({
      title: 'Write ok.txt',
      repo: 'demo/threads',
      body: 'Create ok.txt.\n\n```bzzz-steps\nprintf ok > ok.txt\n```\n',
    });
    const job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
    closers.push(() => job.stop());
    expect(await finished(job)).toBe('done');

    const key = 'local:demo/threads#1';
    const head = job.pipeline.threads.head(key);
    expect(head).toMatch(/^[0-9a-f]{64}$/);
    const history = await job.pipeline.threads.history(head as string);
    expect(history.nodes.map((n) => n.node.kind)).toEqual(['plan_proposal', 'plan_outcome']);
    expect(history.nodes[0]?.node).toMatchObject({
      task: key,
      from: { agent: 'threads', node: job.node.nodeId },
      body: { plan: 'printf ok > ok.txt' },
    });
    expect(history.nodes[1]?.node.body).toMatchObject({ outcome: 'alone', reviews: [] });
    expect((await job.pipeline.contentStore.stat(head as string))?.pinned).toBe(true);
  }, 120_000);
});
