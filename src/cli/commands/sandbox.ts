/**
 * `bzzz sandbox run [--backend docker|bwrap] [--network none|git] [--image I] -- CMD...` runs
 * one command in a fresh sandbox exactly as a task would (same hardening, limits and work dir
 * layout), prints its output and exits with its code. `bzzz sandbox image build` builds the
 * default image locally. `sandbox`, `data_dir` and `node_name` come from the configuration
 * (`bzzz.yaml`, `BZZZ_*`).
 */
import { hostname } from 'node:os';
import {
  buildImage,
  createSandboxBackend,
  SandboxError,
  type NetworkPolicy,
  type SandboxBackendName,
} from '../../adapters/sandbox/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { loadConfig, type Config } from '../../config/index.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage:
  bzzz sandbox run [--backend docker|bwrap] [--network none|git] [--remote HOST:PORT]
                   [--image IMAGE] [--timeout MS] -- CMD [ARG...]
  bzzz sandbox image build [--force]

run          Runs CMD in a fresh sandbox as a task would: non-root, no capabilities, read-only
             root, a writable /work, memory/CPU/pids/wall-time limits, no network unless
             --network git (then only --remote, reachable inside at $BZZZ_GIT_REMOTE).
             Prints its output and exits with its exit code.
image build  Builds the default sandbox image locally (debootstrap + docker import), with no
             registry. Skipped when an identical image exists, unless --force.

Environment: BZZZ_SANDBOX (docker|bwrap, default docker), BZZZ_DATA_DIR (default ./.bzzz),
BZZZ_NODE_NAME (default the host name).`;

interface RunOptions {
  backend: SandboxBackendName;
  network: NetworkPolicy;
  image: string | undefined;
  timeoutMs: number | undefined;
  command: string[];
}

function parseRun(argv: string[], config: Config): RunOptions {
  let backend: string = config.sandbox ?? 'docker';
  let mode = 'none';
  let remote: string | undefined;
  let image: string | undefined;
  let timeoutMs: number | undefined;
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined || v === '--') throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--backend') backend = value(arg);
    else if (arg === '--network') mode = value(arg);
    else if (arg === '--remote') remote = value(arg);
    else if (arg === '--image') image = value(arg);
    else if (arg === '--timeout') {
      timeoutMs = Number(value(arg));
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new UsageError('--timeout must be a positive integer (ms)');
    } else throw new UsageError(`unknown option ${arg} (commands go after --)`);
  }
  const command = argv.slice(i + 1);
  if (i >= argv.length || command.length === 0)
    throw new UsageError('missing command: bzzz sandbox run -- CMD...');
  if (backend !== 'docker' && backend !== 'bwrap')
    throw new UsageError(`--backend must be docker or bwrap, not ${backend}`);
  let network: NetworkPolicy;
  if (mode === 'none') network = { mode: 'none' };
  else if (mode === 'git') {
    if (remote === undefined)
      throw new UsageError('--network git needs --remote HOST:PORT (the forge git remote)');
    network = { mode: 'git', remote };
  } else throw new UsageError(`--network must be none or git, not ${mode}`);
  return { backend, network, image, timeoutMs, command };
}

async function runInSandbox(io: CommandIO, argv: string[]): Promise<number> {
  const config = loadConfig({ env: io.env, cwd: io.cwd });
  const opts = parseRun(argv, config);
  const logger = createLogger({ level: io.debug ? 'debug' : 'warn', destination: io.stderr });
  const backend = createSandboxBackend(
    {
      backend: opts.backend,
      nodeId: config.node_name ?? hostname(),
      dataDir: config.data_dir,
    },
    { logger, clock: systemClock },
  );
  await backend.start();
  // A signal must not leave the container behind.
  const onSignal = (): void => void backend.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const sandbox = await backend.create({
      ...(opts.image !== undefined ? { image: opts.image } : {}),
      network: opts.network,
      task: 'cli',
    });
    try {
      const result = await sandbox.exec({
        command: opts.command,
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      io.stdout.write(result.stdout);
      io.stderr.write(result.stderr);
      if (result.timedOut)
        writeLine(
          io.stderr,
          `bzzz sandbox: killed after ${Math.round(result.durationMs)} ms (wall-time limit)`,
        );
      if (result.outOfMemory)
        writeLine(io.stderr, 'bzzz sandbox: a process was killed for exceeding the memory limit');
      return result.exitCode;
    } finally {
      await sandbox.destroy();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.stop();
  }
}

async function buildDefaultImage(io: CommandIO, argv: string[]): Promise<number> {
  const force = argv.includes('--force');
  const unknown = argv.find((a) => a !== '--force');
  if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}`);
  const { image, built } = await buildImage({
    dataDir: loadConfig({ env: io.env, cwd: io.cwd }).data_dir,
    force,
    onProgress: (line) => writeLine(io.stderr, line),
  });
  writeLine(io.stdout, built ? `built ${image}` : `${image} is up to date`);
  return 0;
}

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'run a command in a sandbox as a task would; build the sandbox image',
  usage: USAGE,
  async run(io: CommandIO): Promise<number> {
    const [sub, ...rest] = io.argv;
    try {
      if (sub === 'run') return await runInSandbox(io, rest);
      if (sub === 'image' && rest[0] === 'build') return await buildDefaultImage(io, rest.slice(1));
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        writeLine(io.stdout, USAGE);
        return sub === undefined ? 2 : 0;
      }
    } catch (error) {
      if (error instanceof SandboxError) {
        writeLine(io.stderr, `bzzz sandbox: ${error.message}`);
        return 1;
      }
      throw error;
    }
    throw new UsageError(
      `unknown subcommand ${[sub, ...rest.slice(0, 1)].join(' ')}: try run or image build`,
    );
  },
};
