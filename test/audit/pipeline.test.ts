/**
 * A scripted run of the example tasks on the embedded default (one process, no bus, local
 * forge, bwrap sandboxes) leaves, in the node's audit log, each task's claim, its fenced
 * effects with the claim's token (claim marker, push, pull request, report), its release and
 * its outcome; the entries are counted on /metrics, and the chain verifies with every entry's
 * blob in the content store.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { taskEntries, verifyChain } from '../../src/adapters/audit/index.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { forgeDir, loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { startMainJob, waitForOutcomes } from '../../src/node/main-job.js';
import { seedTasks } from '../../src/node/seed.js';
import { eventually } from '../helpers/cli.js';
import { value } from '../node/metrics-support.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/tasks', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'bzzz-audit-run-'));
chmodSync(root, 0o755);
afterAll(() => rm(root, { recursive: true, force: true }));

it('records claims, fenced effects with their tokens, outcomes and releases of a run', async () => {
  const config = loadConfig({
    env: {
      BZZZ_HTTP_PORT: '0',
      BZZZ_DATA_DIR: join(root, 'data'),
      BZZZ_NODE_NAME: 'a1',
      BZZZ_SANDBOX: 'bwrap',
    },
    cwd: root,
  });
  await seedTasks(
    new LocalForge({ dir: forgeDir(config) }, { logger: silentLogger(), clock: systemClock }),
    EXAMPLES,
  );
  const job = await startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
  let records;
  try {
    records = await waitForOutcomes(job.pipeline, systemClock, AbortSignal.timeout(150_000));
    expect(records.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    // the forge hears the outcome first; the audit's release and outcome entries come as each
    // task actor ends (the release, the task's record, then its final state)
    const metrics = async () => (await fetch(`${job.node.httpUrl!}/metrics`)).text();
    await eventually(
      async () => {
        const text = await metrics();
        const count = (kind: string) => value(text, 'bzzz_audit_entries_total', { kind });
        return count('release') === 3 && count('outcome') === 3 ? true : undefined;
      },
      60_000,
      'three releases and three outcomes recorded',
    );
    const text = await metrics();
    expect(value(text, 'bzzz_audit_entries_total', { kind: 'claim' })).toBe(3);
    expect(value(text, 'bzzz_audit_entries_total', { kind: 'outcome' })).toBe(3);
    expect(value(text, 'bzzz_audit_append_errors_total')).toBe(0);
  } finally {
    await job.stop();
  }
  for (const record of records) {
    const { entries } = await taskEntries(config.data_dir, record.key);
    const claim = entries.find((e) => e.kind === 'claim');
    expect(claim, record.key).toBeDefined();
    const effects = entries.filter((e) => e.kind === 'effect');
    expect(effects.map((e) => e.data.effect)).toEqual(
      expect.arrayContaining(['claim', 'push', 'pull-request', 'report']),
    );
    for (const e of effects) expect(e).toMatchObject({ token: claim!.token, data: { outcome: 'ok' } });
    expect(entries.find((e) => e.kind === 'release')).toMatchObject({ token: claim!.token });
    // in order: the claim, the effects, the release, then the outcome (the machine's final state)
    expect(entries.at(-1)).toMatchObject({ kind: 'outcome', token: claim!.token, data: { state: 'done' } });
    const kinds = entries.map((e) => e.kind).filter((k) => k !== 'renewal');
    expect(kinds[0]).toBe('claim');
    expect(kinds.indexOf('release')).toBeGreaterThan(kinds.lastIndexOf('effect'));
  }
  const { createContentStore } = await import('../../src/adapters/cas/index.js');
  const store = createContentStore(
    { dataDir: config.data_dir },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  try {
    const report = await verifyChain(config.data_dir, { store });
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true, problem: null });
    expect(report.entries).toBeGreaterThanOrEqual(3 * 7);
  } finally {
    await store.stop();
  }
});
