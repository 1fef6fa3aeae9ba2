/** The health checks every node runs. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { HealthCheck } from './health.js';

/** The data dir must stay writable: identity, forge, audit log and CAS live there. */
export function dataDirCheck(dir: string): HealthCheck {
  return {
    name: 'data_dir',
    critical: true,
    run: async () => {
      await access(dir, constants.W_OK);
      return `writable: ${dir}`;
    },
  };
}

/** The supervision tree must be running. */
export function treeCheck(state: () => string): HealthCheck {
  return {
    name: 'supervision_tree',
    critical: true,
    run: () => {
      const s = state();
      if (s !== 'running' && s !== 'starting') throw new Error(`root supervisor is ${s}`);
      return s;
    },
  };
}

/** The event loop must not stall (p99 delay under a second since the last run). */
export function eventLoopCheck(maxP99Ms = 1_000): HealthCheck & { close(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  return {
    name: 'event_loop',
    run: () => {
      const p99 = histogram.percentile(99) / 1e6;
      histogram.reset();
      if (p99 > maxP99Ms) throw new Error(`event loop delay p99 ${p99.toFixed(0)} ms`);
      return `p99 ${p99.toFixed(1)} ms`;
    },
    close: () => histogram.disable(),
  };
}

/** The heap must stay below 90 % of its limit. */
export function memoryCheck(maxFraction = 0.9): HealthCheck {
  return {
    name: 'memory',
    run: () => {
      const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
      const fraction = used / limit;
      const text = `heap ${(used / 2 ** 20).toFixed(0)} MiB of ${(limit / 2 ** 20).toFixed(0)} MiB`;
      if (fraction > maxFraction) throw new Error(text);
      return text;
    },
  };
}
