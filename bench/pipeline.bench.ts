/**
 * pipeline.overhead: per task, the time from its claim to done that is not spent inside sandbox
 * commands (forge marks, clone, sandbox setup, push, pull request, report, cleanup), scripted
 * tasks on the local forge, bubblewrap sandboxes, one task at a time (one agent,
 * `BZZZ_MAX_TASKS=1`), so the figure is the pipeline's own cost rather than time spent waiting
 * for a CPU that other tasks hold; reported next to the time inside commands (the baseline).
 * The same split with 3 agents working at once is reported beside it (`loaded_*`).
 * pipeline.scaling: tasks per minute with 3 agents over 1 agent, same tasks, same run.
 *
 * Completion is watched on the node's view (no forge polling that would load the machine
 * while tasks run); the forge's records are checked once at the end.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxProvider } from '../src/adapters/workspace/index.js';
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

async function runTasks(agents: number, maxTasks?: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-pipeline-'));
  chmodSync(dir, 0o755);
  const config = loadConfig({
    env: {
      BZZZ_DATA_DIR: dir,
      BZZZ_HTTP_PORT: '0',
      BZZZ_SANDBOX: 'bwrap',
      BZZZ_POLL_INTERVAL_MS: '50',
      BZZZ_NODE_NAME: 'bench',
      ...(maxTasks === undefined ? {} : { BZZZ_MAX_TASKS: String(maxTasks) }),
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
      const exec = sandbox.exec.bind(sandbox);
      return Object.assign(sandbox, {
        // a task's commands carry its key (warm sandboxes are made before their task is known)
        exec: async (request: Parameters<typeof exec>[0]) => {
          const key = request.env?.BZZZ_TASK ?? '';
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
  while (doneAt.size < TASKS) await new Promise((r) => setTimeout(r, 10));
  const elapsed = performance.now() - started;
  subscription.unsubscribe();
  const records = await allTaskRecords(job.pipeline);
  const notDone = records.filter((r) => r.state !== 'done' || r.prs.length !== 1);
  if (records.length !== TASKS || notDone.length > 0) {
    await job.stop();
    throw new Error(`tasks not done with one pull request each: ${notDone.map((r) => r.key).join(', ')}`);
  }
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
    const lone: Run[] = [];
    const one: Run[] = [];
    const three: Run[] = [];
    for (let round = 0; round < 3; round++) {
      lone.push(await runTasks(1, 1));
      one.push(await runTasks(1));
      three.push(await runTasks(3));
      progress(
        `round ${round + 1}: one at a time ${lone.at(-1)!.tasksPerMinute.toFixed(0)}/min, 1 agent ${one.at(-1)!.tasksPerMinute.toFixed(0)}/min, 3 agents ${three.at(-1)!.tasksPerMinute.toFixed(0)}/min`,
      );
    }
    const split = (runs: Run[]) => {
      const tasks = runs.flatMap((r) => r.perTask);
      return {
        tasks: tasks.length,
        overhead: median(tasks.map((t) => t.totalMs - t.commandsMs)),
        total: median(tasks.map((t) => t.totalMs)),
        inside: median(tasks.map((t) => t.commandsMs)),
      };
    };
    const alone = split(lone);
    const loaded = split(three);
    const overheadFigure: Figure = {
      bench: 'pipeline.overhead',
      value: round(alone.overhead, 1),
      unit: 'ms/task',
      baseline: 'time inside sandbox commands',
      baseline_value: round(alone.inside, 1),
      ratio: round(alone.inside / alone.overhead),
      extra: {
        tasks: alone.tasks,
        sandbox: 'bwrap',
        total_ms: round(alone.total, 1),
        loaded_agents: 3,
        loaded_overhead_ms: round(loaded.overhead, 1),
        loaded_inside_ms: round(loaded.inside, 1),
        loaded_total_ms: round(loaded.total, 1),
      },
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
