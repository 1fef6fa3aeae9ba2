/**
 * pipeline.overhead: per task, the time that is not spent inside sandbox commands (claim,
 * forge marks, clone, sandbox setup, push, pull request, report), scripted tasks on the local
 * forge, bubblewrap sandboxes; reported next to the time inside commands (the baseline).
 * pipeline.scaling: tasks per minute with 3 agents over 1 agent, same tasks, same run.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxProvider } from '../src/actors/task/deps.js';
import { LocalForge } from '../src/adapters/forge/index.js';
import { loadConfig } from '../src/config/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { allTaskRecords, startMainJob } from '../src/node/main-job.js';
import { median, progress, round, throughput, type Benchmark, type Figure } from './lib.js';

const TASKS = 12;

interface Run {
  tasksPerMinute: number;
  /** Per task: time from claim to done, and time inside sandbox commands. */
  perTask: { totalMs: number; commandsMs: number }[];
}

async function runTasks(agents: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-pipeline-'));
  chmodSync(dir, 0o755);
  const config = loadConfig({
    env: {
      BZZZ_DATA_DIR: dir,
      BZZZ_HTTP_PORT: '0',
      BZZZ_SANDBOX: 'bwrap',
      BZZZ_POLL_INTERVAL_MS: '50',
      BZZZ_NODE_NAME: 'bench',
    },
    cwd: dir,
  });
  const forge = new LocalForge({ dir: join(dir, 'forge') }, { logger: silentLogger(), clock: systemClock });
  for (let i = 1; i <= TASKS; i++) {
    await forge.addTask({
      title: `Task ${i}`,
      repo: 'bench/repo',
      body: `\`\`\`bzzz-steps\necho ${i} > f${i}.txt\nsleep 0.2\n\`\`\`\n`,
    });
  }
  const commands = new Map<string, number>();
  const wrap = (inner: SandboxProvider): SandboxProvider => ({
    name: inner.name,
    create: async (spec) => {
      const sandbox = await inner.create(spec);
      const key = spec.task ?? '';
      const exec = sandbox.exec.bind(sandbox);
      return Object.assign(sandbox, {
        exec: async (request: Parameters<typeof exec>[0]) => {
          const started = performance.now();
          try {
            return await exec(request);
          } finally {
            commands.set(key, (commands.get(key) ?? 0) + performance.now() - started);
          }
        },
      });
    },
  });
  const started = performance.now();
  const job = await startMainJob(config, {
    agents,
    logger: silentLogger(),
    clock: systemClock,
    wrapSandboxes: wrap,
  });
  const claimedAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const subscription = job.pipeline.view.subscribe((snapshot) => {
    for (const t of Object.values(snapshot.context.tasks)) {
      if (t.state === 'claimed' && !claimedAt.has(t.key)) claimedAt.set(t.key, performance.now());
      if (t.state === 'done' && !doneAt.has(t.key)) doneAt.set(t.key, performance.now());
    }
  });
  for (;;) {
    const records = await allTaskRecords(job.pipeline);
    if (records.every((r) => r.state === 'done')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const elapsed = performance.now() - started;
  subscription.unsubscribe();
  await job.stop();
  await rm(dir, { recursive: true, force: true });
  const perTask = [...doneAt.entries()].map(([key, done]) => ({
    totalMs: done - (claimedAt.get(key) ?? done),
    commandsMs: commands.get(key) ?? 0,
  }));
  return { tasksPerMinute: (TASKS / elapsed) * 60_000, perTask };
}

export default {
  name: 'pipeline',
  async run(): Promise<Figure[]> {
    const one: Run[] = [];
    const three: Run[] = [];
    for (let round = 0; round < 3; round++) {
      one.push(await runTasks(1));
      three.push(await runTasks(3));
      progress(
        `round ${round + 1}: 1 agent ${one.at(-1)!.tasksPerMinute.toFixed(0)}/min, 3 agents ${three.at(-1)!.tasksPerMinute.toFixed(0)}/min`,
      );
    }
    const tasks = [...one, ...three].flatMap((r) => r.perTask);
    const overhead = median(tasks.map((t) => t.totalMs - t.commandsMs));
    const inside = median(tasks.map((t) => t.commandsMs));
    const overheadFigure: Figure = {
      bench: 'pipeline.overhead',
      value: round(overhead, 1),
      unit: 'ms/task',
      baseline: 'time inside sandbox commands',
      baseline_value: round(inside, 1),
      ratio: round(inside / overhead),
      extra: { tasks: tasks.length, sandbox: 'bwrap' },
    };
    const scaling = throughput(
      'pipeline.scaling',
      'tasks/min',
      median(three.map((r) => r.tasksPerMinute)),
      '1 agent',
      median(one.map((r) => r.tasksPerMinute)),
    );
    scaling.extra = { agents: 3, tasks: TASKS };
    return [overheadFigure, scaling];
  },
} satisfies Benchmark;
