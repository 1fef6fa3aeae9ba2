/**
 * The one-agent-per-task guarantee on /metrics (issue 13): a fresh node exports every series
 * with its known label values at 0 and `promtool check metrics` has nothing to say; a local
 * run of the example tasks (bwrap sandboxes, the scripted reasoner) counts them by outcome and
 * state, their sandbox commands by backend, and ends holding no lease.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { forgeDir, loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { FENCED_EFFECTS } from '../../src/adapters/forge/index.js';
import { LEASE_LOST_REASONS, SANDBOX_BACKENDS } from '../../src/node/guarantee-metrics.js';
import { startMainJob, waitForOutcomes, type MainJob } from '../../src/node/main-job.js';
import { BzzzNode } from '../../src/node/node.js';
import { seedTasks } from '../../src/node/seed.js';
import { TASK_OUTCOMES, TASK_STATES } from '../../src/protocol/fields.js';
import { promtoolCheck, value } from './metrics-support.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/tasks', import.meta.url));

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

function config(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-metrics-'));
  chmodSync(dir, 0o755);
  return loadConfig({
    env: { BZZZ_HTTP_PORT: '0', BZZZ_DATA_DIR: join(dir, 'data'), BZZZ_NODE_NAME: 'm1', ...extra },
    cwd: dir,
  });
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Every series of the guarantee, with each label value known in advance, at `zero`. */
function expectGuaranteeSeries(
  text: string,
  zero: (name: string, labels: Record<string, string>) => boolean,
) {
  const check = (name: string, labels: Record<string, string> = {}) => {
    const v = value(text, name, labels);
    if (zero(name, labels)) expect(v, `${name}${JSON.stringify(labels)}`).toBe(0);
  };
  for (const outcome of TASK_OUTCOMES) {
    check('bzzz_tasks_total', { outcome });
    check('bzzz_task_duration_seconds_count', { outcome });
  }
  for (const state of TASK_STATES) check('bzzz_tasks', { state });
  check('bzzz_leases_held');
  check('bzzz_lease_renewals_total');
  for (const reason of LEASE_LOST_REASONS) check('bzzz_leases_lost_total', { reason });
  check('bzzz_claims_contended_total');
  for (const backend of SANDBOX_BACKENDS) check('bzzz_sandbox_exec_seconds_count', { backend });
  for (const effect of FENCED_EFFECTS) check('bzzz_fenced_effects_rejected_total', { effect });
}

describe('/metrics', () => {
  it('of a fresh node has every guarantee series at 0, and promtool has nothing to say', async () => {
    const node = await BzzzNode.start(config());
    stops.push(() => node.stop());
    const text = await scrape(node.httpUrl!);
    expectGuaranteeSeries(text, () => true);
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
    // the libp2p gauges and peers belong to a node on libp2p only
    expect(text).not.toContain('bzzz_p2p_peers');
    expect(text).not.toContain('bzzz_dht_routing_table_size');
    const peers = await fetch(`${node.httpUrl!}/api/v1/p2p/peers`);
    expect(peers.status).toBe(404);
    expect(((await peers.json()) as { error: string }).error).toContain('not on libp2p');
  });

  it('counts a local run of the example tasks, and promtool still has nothing to say', async () => {
    const cfg = config({ BZZZ_SANDBOX: 'bwrap' });
    const seeded = await seedTasks(
      new LocalForge({ dir: forgeDir(cfg) }, { logger: silentLogger(), clock: systemClock }),
      EXAMPLES,
    );
    expect(seeded).toHaveLength(3);
    const job: MainJob = await startMainJob(cfg, { agents: 2, logger: silentLogger(), clock: systemClock });
    stops.push(() => job.stop());
    const records = await waitForOutcomes(job.pipeline, systemClock, AbortSignal.timeout(150_000));
    expect(records.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    // the last broadcast and the release land just after the forge records the outcome
    const deadline = Date.now() + 30_000;
    let text = await scrape(job.node.httpUrl!);
    while (
      (value(text, 'bzzz_tasks', { state: 'done' }) !== 3 || value(text, 'bzzz_leases_held') !== 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape(job.node.httpUrl!);
    }
    const counted = new Set(['bzzz_tasks_total', 'bzzz_task_duration_seconds_count', 'bzzz_tasks']);
    const bwrap = (name: string, labels: Record<string, string>) =>
      name === 'bzzz_sandbox_exec_seconds_count' && labels.backend === 'bwrap';
    expectGuaranteeSeries(
      text,
      (name, labels) =>
        !(counted.has(name) && (labels.outcome === 'done' || labels.state === 'done')) &&
        !bwrap(name, labels) &&
        // renewals and contention depend on timing: present, any count
        name !== 'bzzz_lease_renewals_total' &&
        name !== 'bzzz_claims_contended_total',
    );
    expect(value(text, 'bzzz_tasks_total', { outcome: 'done' })).toBe(3);
    expect(value(text, 'bzzz_task_duration_seconds_count', { outcome: 'done' })).toBe(3);
    expect(value(text, 'bzzz_tasks', { state: 'done' })).toBe(3);
    expect(value(text, 'bzzz_sandbox_exec_seconds_count', { backend: 'bwrap' })).toBeGreaterThan(0);
    expect(value(text, 'bzzz_leases_held')).toBe(0);
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
    // an effect under a token older than the forge has accepted is refused, and counted
    const [first] = records;
    await expect(
      job.pipeline.forge.markClaimed(first!.key, {
        agent: 'stale',
        holder: 'stale',
        token: 0,
        fence: () => Promise.resolve(),
      }),
    ).rejects.toMatchObject({ name: 'StaleTokenError' });
    const after = await scrape(job.node.httpUrl!);
    expect(value(after, 'bzzz_fenced_effects_rejected_total', { effect: 'claim' })).toBe(1);
  }, 240_000);
});
