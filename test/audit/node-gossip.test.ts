/**
 * The audit gossip as a node wires it (main job, cluster parts) on a real nats-server: two
 * agent nodes, each with its own data dir, witness each other's audit heads, and each learns
 * back what the other witnessed of it; the CAS replicator copies each node's entries to the
 * other, so `verifyNodeChain` of one from the other's data dir passes once both stopped.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { verifyNodeChain } from '../../src/adapters/audit/index.js';
import { createContentStore } from '../../src/adapters/cas/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { startMainJob, type MainJob } from '../../src/node/main-job.js';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';

vi.setConfig({ testTimeout: 300_000 });

let nats: NatsServerHandle;
const root = mkdtempSync(join(tmpdir(), 'bzzz-audit-nodes-'));
chmodSync(root, 0o755);
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats.stop();
  await rm(root, { recursive: true, force: true });
});

function start(name: string): Promise<MainJob> {
  const config = loadConfig({
    env: {
      BZZZ_HTTP_PORT: '0',
      BZZZ_DATA_DIR: join(root, name),
      BZZZ_NODE_NAME: name,
      BZZZ_NATS_URL: nats.url,
      BZZZ_CLUSTER: 'audit',
      BZZZ_SANDBOX: 'bwrap',
      // each node announces its blobs again every second: the other may not have known it yet
      BZZZ_CAS_REANNOUNCE_MS: '1000',
    },
    cwd: root,
  });
  return startMainJob(config, { agents: 1, logger: silentLogger(), clock: systemClock });
}

it('two nodes on NATS witness each other’s audit heads', async () => {
  const a = await start('a1');
  const b = await start('b1');
  try {
    const [idA, idB] = [a.node.nodeId, b.node.nodeId];
    const first = await a.pipeline.audit.log.append({
      kind: 'outcome',
      task: 'local:demo/app#1',
      token: null,
      data: { state: 'done' },
    });
    await b.pipeline.audit.log.append({
      kind: 'outcome',
      task: 'local:demo/app#2',
      token: null,
      data: { state: 'done' },
    });
    await b.pipeline.audit.log.append({
      kind: 'outcome',
      task: 'local:demo/app#3',
      token: null,
      data: { state: 'done' },
    });
    await eventually(
      () => (b.pipeline.audit.witnesses.latest(idA)?.seq === 1 ? true : undefined),
      60_000,
      'b witnesses a',
    );
    await eventually(
      () => (a.pipeline.audit.witnesses.latest(idB)?.seq === 2 ? true : undefined),
      60_000,
      'a witnesses b',
    );
    expect(a.pipeline.audit.witnesses.latest(idB)).toEqual(b.pipeline.audit.log.head());
    await eventually(
      () => (a.pipeline.audit.witnesses.selfHeads().some((h) => h.seq === 1) ? true : undefined),
      60_000,
      'a hears back what b witnessed of it',
    );
    expect(a.pipeline.audit.witnesses.forks()).toEqual([]);
    await eventually(
      async () => ((await b.pipeline.contentStore.has(first.hash)) ? true : undefined),
      60_000,
      "a's entry replicated to b",
    );
  } finally {
    await b.stop();
    await a.stop();
  }
  const store = createContentStore(
    { dataDir: join(root, 'b1') },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  try {
    expect(await verifyNodeChain(join(root, 'b1'), a.node.nodeId, store)).toMatchObject({
      ok: true,
      entries: 1,
      problem: null,
    });
  } finally {
    await store.stop();
  }
});
