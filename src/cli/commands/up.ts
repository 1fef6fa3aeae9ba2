/**
 * `bzzz up`: the embedded default. N agents (3) in one process on the local mailbox, a local
 * forge in the data dir seeded with the example tasks, the scripted reasoner unless an LLM is
 * configured, the best sandbox available; serves HTTP and MCP. `--once` exits 0 when every task is
 * done, 1 if any failed or escalated.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalForge, type TaskRecord } from '../../adapters/forge/index.js';
import { forgeDir, loadConfig } from '../../config/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { allTaskRecords, startMainJob, waitForOutcomes } from '../../node/main-job.js';
import { seedTasks } from '../../node/seed.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { foreground } from '../foreground.js';
import { watchProgress } from '../progress.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/tasks', import.meta.url));

export const upCommand: Command = {
  name: 'up',
  summary: 'run the embedded default: N agents, local forge, example tasks',
  usage: `Usage: bzzz up [--agents N] [--once] [--tasks DIR] [options]

Runs N agents (default 3) in one process on the local mailbox, with a local forge in the data
dir seeded with the task files of DIR (default: the example tasks), the scripted reasoner
unless BZZZ_LLM is set, and the best sandbox available (docker, else bubblewrap). Serves HTTP.
  --agents N        agents in this process (default 3)
  --once            exit when every task has an outcome: 0 if all are done, 1 otherwise
  --tasks DIR       task files to seed the forge with (Markdown with a YAML front matter)
  --config FILE     YAML configuration (default ./bzzz.yaml if present)
  --data-dir DIR    BZZZ_DATA_DIR (default ./.bzzz)
  --http-port PORT  BZZZ_HTTP_PORT (default 9000; 0 picks a free port)
  --log-level LEVEL BZZZ_LOG_LEVEL (default info; warn on a terminal)`,
  run: runUp,
};

async function runUp(io: CommandIO): Promise<number> {
  const { values } = parseFlags(io.argv, {
    agents: { type: 'string', default: '3' },
    once: { type: 'boolean', default: false },
    tasks: { type: 'string' },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'http-port': { type: 'string' },
    'log-level': { type: 'string' },
  });
  const agents = Number(values.agents);
  if (!Number.isInteger(agents) || agents < 1 || agents > 64)
    throw new UsageError('--agents must be a whole number from 1 to 64');
  const config = loadConfig({
    ...(values.config ? { file: values.config } : {}),
    env: io.env,
    cwd: io.cwd,
    flags: {
      data_dir: values['data-dir'],
      http_port: values['http-port'],
      log_level: values['log-level'] ?? (io.tty && io.env.BZZZ_LOG_LEVEL === undefined ? 'warn' : undefined),
    },
  });
  if (config.forge !== 'local')
    throw new UsageError('bzzz up runs on the local forge; use `bzzz agent` with BZZZ_FORGE=github');
  const logger = createLogger({ level: config.log_level });
  const tasksDir = values.tasks ?? EXAMPLES;
  if (!existsSync(tasksDir)) throw new UsageError(`no such task directory: ${tasksDir}`);

  const forge = new LocalForge({ dir: forgeDir(config) }, { logger, clock: systemClock });
  const seeded = await seedTasks(forge, tasksDir);
  if (seeded.length > 0) writeLine(io.stderr, `seeded ${seeded.length} task(s) from ${tasksDir}`);

  let mcp = '-';
  const job = await startMainJob(config, {
    agents,
    logger,
    clock: systemClock,
    mcp: { onListening: (url) => (mcp = url) },
  });
  writeLine(
    io.stderr,
    `bzzz up: ${agents} agent(s), sandbox ${job.pipeline.sandbox.name}, reasoner ${job.pipeline.reasoner.backend}, http ${job.node.httpUrl ?? '-'}, mcp ${mcp}`,
  );
  const stopWatching = io.tty ? watchProgress(job.pipeline.view, io.stderr) : () => undefined;

  const { shutdown, release } = foreground(job, config, logger);
  try {
    if (values.once) {
      const abort = new AbortController();
      void shutdown.exitCode.then(() => abort.abort());
      const records = await waitForOutcomes(job.pipeline, systemClock, abort.signal);
      if (!shutdown.stopping) shutdown.request('--once: every task has an outcome', 0);
      const code = await shutdown.exitCode;
      stopWatching();
      printSummary(io, records);
      const allDone = records.every((r) => r.state === 'done');
      return code !== 0 ? code : allDone ? 0 : 1;
    }
    const code = await shutdown.exitCode;
    stopWatching();
    printSummary(io, await allTaskRecords(job.pipeline));
    return code;
  } finally {
    release();
  }
}

function printSummary(io: CommandIO, records: TaskRecord[]): void {
  const rows = records.map((r) => [r.key, r.state, r.holder ?? '-', r.pr?.url ?? '-', String(r.prs.length)]);
  const head = ['TASK', 'STATE', 'HOLDER', 'PULL REQUEST', 'PRS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  writeLine(io.stdout, line(head));
  for (const row of rows) writeLine(io.stdout, line(row));
}
