/** The sandbox compliance and hostile suites against the docker backend. */
import { afterAll, beforeAll, expect } from 'vitest';
import { sandboxComplianceSuite } from '../compliance/sandbox.js';
import { hostileSuite } from './hostile.js';
import { backendFor, ensureImage, labelledContainers, newDataDir } from './support.js';

beforeAll(async () => {
  await ensureImage();
}, 900_000);

// Other files run beside this one and have containers of their own: only this file's nodes count.
const NODES = [
  `compliance-docker-${process.pid}`,
  `hostile-docker-${process.pid}`,
  `hostile-docker-${process.pid}-holder`,
];

afterAll(async () => {
  const left = await Promise.all(NODES.map((node) => labelledContainers(node)));
  expect(left.flat()).toEqual([]);
});

sandboxComplianceSuite('docker', async () => backendFor('docker', NODES[0] ?? '', await newDataDir()));

hostileSuite('docker', async (nodeId) => (await labelledContainers(nodeId)).length, 0);
