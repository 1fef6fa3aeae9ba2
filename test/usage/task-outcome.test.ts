/**
 * What a task actor's end leaves in the task history: an attempt that held the lease, with
 * its steps, spending, pull request and times; nothing for an actor that never held it (it
 * lost the race: `skipped`, or was stopped while claiming).
 */
import { describe, expect, it } from 'vitest';
import type { TaskDeps } from '../../src/actors/task/deps.js';
import { taskOutcomeRecord } from '../../src/actors/task/outcome.js';
import { TaskResources } from '../../src/actors/task/resources.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';

const task = { task: 'local:demo/app#4', repository: 'demo/app', title: 'T', labels: [] };

function setup() {
  const clock = new SimulatedClock();
  const deps = { agent: 'agent-7', node: 'node-x', clock, logger: silentLogger() } as unknown as TaskDeps;
  return { clock, deps, resources: new TaskResources(task.task, deps) };
}

describe('a task attempt’s outcome', () => {
  it('records an attempt that held the lease, from its start to its end', async () => {
    const { clock, deps, resources } = setup();
    resources.held = true;
    await clock.advance(90_000);
    const output = { state: 'done' as const, pr: { number: 3, url: 'file:///pulls/3.json' }, reason: null };
    expect(taskOutcomeRecord(task, deps, resources, { output, steps: 4 })).toEqual({
      key: 'local:demo/app#4',
      repo: 'demo/app',
      state: 'done',
      holder: 'agent-7',
      node: 'node-x',
      rounds: 4,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      startedAt: 1_700_000_000_000,
      endedAt: 1_700_000_090_000,
      pr: 'file:///pulls/3.json',
      reason: null,
    });
    expect(taskOutcomeRecord(task, deps, resources, { output: undefined, steps: 2 })).toMatchObject({
      state: 'stopped',
      rounds: 2,
      reason: 'agent stopping',
    });
  });

  it('records nothing for an actor that never held the lease', () => {
    const { deps, resources } = setup();
    const skipped = { state: 'skipped' as const, pr: null, reason: null };
    expect(taskOutcomeRecord(task, deps, resources, { output: skipped, steps: 0 })).toBeUndefined();
    const stopped = { state: 'stopped' as const, pr: null, reason: null };
    expect(taskOutcomeRecord(task, deps, resources, { output: stopped, steps: 0 })).toBeUndefined();
    resources.held = true;
    expect(taskOutcomeRecord(task, deps, resources, { output: skipped, steps: 0 })).toBeUndefined();
  });
});
