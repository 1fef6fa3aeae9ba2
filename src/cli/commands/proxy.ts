/**
 * `bzzz proxy`: the OpenAI-compatible proxy alone, in the foreground until SIGTERM/SIGINT
 * (a supervised service, as in a node: the replies in flight finish first); `proxy key add`
 * and `proxy usage` (`proxy-admin.ts`).
 */
import { ActorSystem } from '../../actors/system.js';
import { loadConfig } from '../../config/index.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { proxyInit, proxySpec } from '../../node/proxy.js';
import { Supervisor } from '../../supervisor/supervisor.js';
import { UsageError, writeLine, type Command, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';
import { foregroundTree } from '../foreground.js';
import { proxyKey, proxyUsage } from './proxy-admin.js';

const USAGE = `Usage:
  bzzz proxy [--config FILE] [--port PORT] [--data-dir DIR] [--log-level LEVEL]
      the OpenAI-compatible proxy in the foreground (BZZZ_PROXY_PORT, default 3002; 0 picks
      a free port); clients use http://HOST:PORT/v1 with a virtual key as their API key
  bzzz proxy key add --name NAME [--rpm N] [--tpm N] [--budget-usd USD]
      a new virtual key, printed once on the last line; only its SHA-256 is kept, in the
      keys file (BZZZ_PROXY_KEYS_FILE, default DATA_DIR/proxy-keys.yaml)
  bzzz proxy usage [--json] [--by key|task|model]
      requests, tokens and USD charged so far (DATA_DIR/usage.db), per key by default

It needs BZZZ_PROXY_UPSTREAM_URL (up to and including /v1) and the upstream's key in
BZZZ_PROXY_UPSTREAM_KEY_FILE; BZZZ_REDIS_URL shares the limits with every proxy on that Redis.
Every command takes --config FILE and --data-dir DIR.`;

export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'the OpenAI-compatible proxy: run it, add virtual keys, show usage',
  usage: USAGE,
  run(io) {
    const [sub, ...rest] = io.argv;
    if (sub === 'key') return proxyKey(io, rest);
    if (sub === 'usage') return proxyUsage(io, rest);
    if (sub !== undefined && !sub.startsWith('-'))
      throw new UsageError(`unknown proxy command ${JSON.stringify(sub)} (expected key or usage)`);
    return runProxy(io);
  },
};

async function runProxy(io: CommandIO): Promise<number> {
  const { values } = parseFlags(io.argv, {
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
  });
  const config = loadConfig({
    ...(values.config ? { file: values.config } : {}),
    env: io.env,
    cwd: io.cwd,
    flags: { data_dir: values['data-dir'], proxy_port: values.port, log_level: values['log-level'] },
  });
  if (config.proxy_upstream_url === undefined)
    throw new UsageError('set BZZZ_PROXY_UPSTREAM_URL (the upstream, up to and including /v1)');
  proxyInit(config);
  const logger = createLogger({ level: config.log_level });
  const clock = systemClock;
  const system = new ActorSystem(
    { nodeId: 'proxy', mailboxCapacity: config.mailbox_capacity },
    { clock, logger },
  );
  const child = proxySpec(config, { logger, clock }, (url) =>
    writeLine(io.stdout, `bzzz proxy: listening on ${url}/v1`),
  );
  const root = new Supervisor(
    'root',
    { strategy: 'one_for_one', children: [child], intensity: { maxRestarts: 3, periodMs: 5_000 } },
    { system, clock, logger },
  );
  try {
    await root.start();
  } catch (error) {
    system.close();
    throw error;
  }
  const { shutdown, release } = foregroundTree(root, config, logger);
  try {
    return await shutdown.exitCode;
  } finally {
    release();
    system.close();
  }
}
