import { defineConfig } from 'vitest/config';

/**
 * Two groups, one after the other. Most files are waits on real servers, processes and
 * timers, not CPU: they run several at a time even on 2 cores (`BZZZ_TEST_WORKERS`, default 3).
 * The chaos suites, which judge leases against real time under injected pauses, run last and
 * one at a time, with the machine to themselves; so do the docker sandbox's own suites, whose
 * container was found stopped under them twice when other files ran beside them (the cause is
 * not known yet; alone they have passed every run).
 */
const SERIAL = [
  'test/sandbox/docker.test.ts',
  'test/sandbox/orphan.test.ts',
  'test/cluster/pipeline-chaos.test.ts',
  'test/claims/chaos.test.ts',
  'test/claims/forge-chaos.test.ts',
];
const workers = Math.max(1, Number(process.env.BZZZ_TEST_WORKERS ?? '3'));

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: SERIAL,
          maxWorkers: workers,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
