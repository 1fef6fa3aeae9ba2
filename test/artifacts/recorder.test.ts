/**
 * The recorder never fails a task (issue 16): a sandbox that is gone, a content store that is
 * stopped and a network that never answers are logged and counted, and the recorder returns
 * (a hung publication gives up at its timeout on the simulated clock).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskRecorder, type TaskEndFacts } from '../../src/actors/task/artifacts/recorder.js';
import { createContentStore } from '../../src/adapters/cas/index.js';
import { createTaskNames } from '../../src/adapters/names/index.js';
import { PlainSandbox } from '../../src/adapters/sandbox/index.js';
import { SimulatedClock, silentLogger, systemClock } from '../../src/lib/index.js';
import { generateIdentity } from '../../src/protocol/index.js';

const end = (over: Partial<TaskEndFacts> = {}): TaskEndFacts => ({
  key: 'local:demo/calc#9',
  agent: 'solo',
  outcome: 'failed',
  context: {
    history: [],
    reason: 'step 1 failed',
    summary: null,
    pr: null,
    branch: null,
    base: 'main',
    token: 3,
  },
  startedAt: 1_700_000_000_000,
  artifacts: undefined,
  ...over,
});

async function parts(clock = systemClock) {
  const dir = await mkdtemp(join(tmpdir(), 'bzzz-recorder-'));
  const store = createContentStore({ dataDir: dir }, { logger: silentLogger(), clock });
  await store.start();
  const names = createTaskNames(
    { dataDir: dir, cluster: 'r', nodeName: 'solo', roles: [] },
    { identity: generateIdentity(), clock, logger: silentLogger() },
  );
  const table = await names.open();
  const counted: string[] = [];
  const metrics = {
    recorded: (result: string) => counted.push(`recorded:${result}`),
    captureFailed: (artifact: string) => counted.push(`capture:${artifact}`),
  };
  return { dir, store, names, table, counted, metrics };
}

describe('the task recorder', () => {
  it('captures what it can from a workspace whose sandbox is gone, and counts the rest', async () => {
    const { dir, store, names, table, counted, metrics } = await parts();
    const recorder = new TaskRecorder(
      { nodeId: 'n', nodeName: 'solo', roles: [] },
      { store, publisher: names.publisher, clock: systemClock, logger: silentLogger(), metrics },
    );
    const sandbox = await PlainSandbox.create(join(dir, 'plain'));
    await sandbox.destroy();
    const captured = await recorder.capture('local:demo/calc#9', { sandbox, base: 'main' });
    expect(captured.diff).toBeNull();
    expect(captured.tree).toMatchObject({ files: 0 });
    expect(counted).toEqual(['capture:diff']);

    // recorded with what there is: the log and the tree, no diff
    await recorder.record(end({ artifacts: captured }));
    expect(counted).toContain('recorded:recorded');
    expect(names.table.records('demo~calc:9', 'log')).toHaveLength(1);
    expect(names.table.records('demo~calc:9', 'diff')).toHaveLength(0);
    expect(names.table.records('demo~calc:9', 'tree')).toHaveLength(1);

    // a stopped content store: not recorded, counted, no throw
    await store.stop();
    await recorder.record(end({ key: 'local:demo/calc#10' }));
    expect(counted.at(-1)).toBe('recorded:failed');
    expect(names.table.records('demo~calc:10', 'log')).toHaveLength(0);
    await table.stop();
  });

  it('gives up on a publication that never ends, at its timeout', async () => {
    const clock = new SimulatedClock();
    const { store, table, counted, metrics } = await parts(clock);
    const recorder = new TaskRecorder(
      { nodeId: 'n', nodeName: 'solo', roles: [], recordTimeoutMs: 30_000 },
      {
        store,
        publisher: { publish: () => new Promise(() => undefined) },
        clock,
        logger: silentLogger(),
        metrics,
      },
    );
    let returned = false;
    const recording = recorder.record(end()).then(() => (returned = true));
    await clock.advance(29_000);
    expect(returned).toBe(false);
    await clock.advance(1_000);
    await recording;
    expect(counted).toEqual(['recorded:failed']);
    await store.stop();
    await table.stop();
  });
});
