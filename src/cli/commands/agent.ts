/**
 * `bzzz agent`: one node in the foreground until SIGTERM, SIGINT or SIGQUIT. The first signal
 * stops the tree in reverse order within the shutdown timeout and exits 0; a second signal,
 * or the timeout, forces exit 1 and names the children that did not stop.
 */
import { loadConfig, type Config } from '../../config/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { startMainJob } from '../../node/main-job.js';
import type { Command, CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { foreground } from '../foreground.js';
import { startInspection } from '../inspect.js';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run one agent node in the foreground',
  usage: `Usage: bzzz agent [--config FILE] [--inspect [PORT|WS_URL]] [options]

Runs one node until SIGTERM/SIGINT/SIGQUIT. Options override the config file and
BZZZ_* environment variables:
  --config FILE        YAML configuration (default ./bzzz.yaml if present)
  --data-dir DIR       BZZZ_DATA_DIR (default ./.bzzz)
  --node-name NAME     BZZZ_NODE_NAME (default: host name)
  --http-port PORT     BZZZ_HTTP_PORT (default 9000; 0 picks a free port)
  --log-level LEVEL    BZZZ_LOG_LEVEL (default info)
  --inspect [TARGET]   stream actor inspection events: a ws:// URL, or a port for a
                       local bridge to the Stately inspector (default 8080)`,
  run: runAgent,
};

async function runAgent(io: CommandIO): Promise<number> {
  const inspectIndex = io.argv.findIndex((a) => a === '--inspect');
  const argv = [...io.argv];
  let inspectTarget: string | undefined;
  if (inspectIndex >= 0) {
    const next = argv[inspectIndex + 1];
    inspectTarget = next !== undefined && !next.startsWith('-') ? next : '8080';
    argv.splice(inspectIndex, next === inspectTarget ? 2 : 1);
  }
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'node-name': { type: 'string' },
    'http-port': { type: 'string' },
    'log-level': { type: 'string' },
  });
  const config = loadConfig({
    ...(values.config ? { file: values.config } : {}),
    env: io.env,
    cwd: io.cwd,
    flags: {
      data_dir: values['data-dir'],
      node_name: values['node-name'],
      http_port: values['http-port'],
      log_level: values['log-level'],
    },
  });
  const logger = createLogger({ level: config.log_level });
  const inspection = inspectTarget === undefined ? undefined : startInspection(inspectTarget, logger);
  try {
    return await runNode(config, logger);
  } finally {
    inspection?.stop();
  }
}

async function runNode(config: Config, logger: Logger): Promise<number> {
  const job = await startMainJob(config, { agents: 1, logger, clock: systemClock });
  const { shutdown, release } = foreground(job, config, logger);
  try {
    return await shutdown.exitCode;
  } finally {
    release();
  }
}
