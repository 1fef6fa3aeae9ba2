/**
 * `bzzz mcp` without a running node (or with `--alone`): this process starts a node of its
 * own with no agent (it joins the cluster its configuration names, or on the embedded default
 * reads the data dir and the local forge) and serves that node's MCP server on stdio. The node
 * stops when the client closes stdin, or on SIGTERM and SIGINT.
 */
import { connect } from 'node:net';
import type { Access } from '../../adapters/mcp/index.js';
import type { Config } from '../../config/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { startMainJob } from '../../node/main-job.js';
import type { CommandIO } from '../command.js';
import { foreground } from '../foreground.js';

/** Whether anything accepts a TCP connection on the port (within 2 s). */
export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Runs a node with no agent and its MCP server on stdio until the client goes; the exit code. */
export async function runMcpAlone(config: Config, io: CommandIO, access: Access): Promise<number> {
  const logger = createLogger({ level: config.log_level, destination: io.stderr });
  let clientGone: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (clientGone = resolve));
  // stdio is its way in: the node's HTTP API and resolver take free ports, never the running defaults
  const job = await startMainJob(
    { ...config, http_port: 0, resolver_port: 0 },
    {
      agents: 0,
      logger,
      clock: systemClock,
      mcp: { stdio: { access, stdin: process.stdin, stdout: io.stdout, onEnded: () => clientGone() } },
    },
  );
  logger.info({ node: job.node.nodeId, access }, 'bzzz mcp: serving a node of its own (no agent) on stdio');
  const { shutdown, release } = foreground(job, config, logger);
  void gone.then(() => {
    if (!shutdown.stopping) shutdown.request('the MCP client closed stdin', 0);
  });
  try {
    return await shutdown.exitCode;
  } finally {
    release();
  }
}
