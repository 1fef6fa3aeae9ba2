/** The sandbox compliance and hostile suites against the docker backend. */
import { afterAll, beforeAll, expect } from 'vitest';
import { sandboxComplianceSuite } from '../compliance/sandbox.js';
import { hostileSuite } from './hostile.js';
import { backendFor, ensureImage, labelledContainers, newDataDir } from './support.js';

beforeAll(async () => {
  await ensureImage();
}, 900_000);

afterAll(async () => {
  expect(await labelledContainers()).toEqual([]);
});

sandboxComplianceSuite('docker', async () =>
  backendFor('docker', `compliance-docker-${process.pid}`, await newDataDir()),
);

hostileSuite('docker', async (nodeId) => (await labelledContainers(nodeId)).length, 0);
