/**
 * A sandbox never outlives its node (issue 13): a process holding two docker sandboxes (a
 * task's, mid-command, and a warm workspace's, reset once) is killed with SIGKILL and never
 * restarted; both containers go on their own (the dead man's switch), and the next start's
 * sweep only has their work dirs left to remove.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendFor, ensureImage, labelledContainers, newDataDir } from './support.js';

let dataDir: string;

beforeAll(async () => {
  await ensureImage();
  dataDir = await newDataDir();
}, 900_000);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Polls `count` until it is 0 or the deadline passes; returns the last count. */
async function drained(count: () => Promise<number>, deadlineMs: number): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  let n = await count();
  while (n !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    n = await count();
  }
  return n;
}

describe('docker sandboxes of a node killed with SIGKILL', () => {
  it('are gone without the node ever starting again', async () => {
    const nodeId = `orphan-${process.pid}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/sandbox/fixtures/orphan-node.ts', nodeId, dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`orphan-node exited ${code}`)));
    });
    expect(await labelledContainers(nodeId)).toHaveLength(2);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // They normally go within seconds; 60 s is the deadline on a loaded 2-core machine.
    expect(await drained(async () => (await labelledContainers(nodeId)).length, 60_000)).toBe(0);
    // the second net: a later start of the same node finds only the work dirs to remove
    expect(await backendFor('docker', nodeId, dataDir).removeLeftovers()).toBe(2);
  }, 180_000);
});
