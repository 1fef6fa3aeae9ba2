/**
 * `bzzz proxy key add` and `bzzz proxy usage`: the keys file and the usage records of this
 * data dir, read and written directly (a running proxy sees a new key at its next request
 * with it, and writes usage the command reads while it runs).
 */
import {
  DuplicateKeyNameError,
  KEY_NAME,
  ProxyConfigError,
  addVirtualKey,
  type UsageSummary,
} from '../../adapters/proxy/index.js';
import { loadConfig, proxyKeysFile, type Config } from '../../config/index.js';
import { ownSink } from '../../node/proxy.js';
import { systemClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/log.js';
import { UsageError, writeLine, type CommandIO } from '../command.js';
import { parseFlags } from '../flags.js';

const common = { config: { type: 'string' }, 'data-dir': { type: 'string' } } as const;

function configOf(
  io: CommandIO,
  values: { config?: string | undefined; 'data-dir'?: string | undefined },
): Config {
  return loadConfig({
    ...(values.config ? { file: values.config } : {}),
    env: io.env,
    cwd: io.cwd,
    flags: { data_dir: values['data-dir'] },
  });
}

/** A positive whole number of a flag, or undefined when absent. */
function count(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000)
    throw new UsageError(`--${flag} must be a whole number ≥ 1`);
  return n;
}

export async function proxyKey(io: CommandIO, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add')
    throw new UsageError(
      sub === undefined ? 'missing command: key add' : `unknown key command ${JSON.stringify(sub)}`,
    );
  const { values, positionals } = parseFlags(rest, {
    ...common,
    name: { type: 'string' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    'budget-usd': { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(`key add takes no arguments (got ${positionals.join(' ')})`);
  const name = values.name;
  if (name === undefined) throw new UsageError('--name is required');
  if (!KEY_NAME.test(name)) throw new UsageError('--name: letters, digits, _, . and - (at most 63)');
  const budget = values['budget-usd'] === undefined ? undefined : Number(values['budget-usd']);
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0))
    throw new UsageError('--budget-usd must be a number ≥ 0');
  const file = proxyKeysFile(configOf(io, values));
  try {
    const { key } = await addVirtualKey(file, {
      name,
      rpm: count('rpm', values.rpm),
      tpm: count('tpm', values.tpm),
      budgetUsd: budget,
    });
    writeLine(io.stderr, `added virtual key ${name} to ${file} (only its SHA-256 is kept: copy the key now)`);
    writeLine(io.stdout, key);
    return 0;
  } catch (error) {
    if (error instanceof DuplicateKeyNameError || error instanceof ProxyConfigError) {
      writeLine(io.stderr, `bzzz proxy: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

export async function proxyUsage(io: CommandIO, argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    ...common,
    json: { type: 'boolean' },
    by: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`usage takes no arguments (got ${positionals.join(' ')})`);
  const by = values.by ?? 'key';
  if (by !== 'key' && by !== 'task' && by !== 'model')
    throw new UsageError('--by must be key, task or model');
  const sink = await ownSink(configOf(io, values), { logger: silentLogger(), clock: systemClock });
  let summary: UsageSummary;
  try {
    summary = await sink.summary(by);
  } finally {
    await sink.close();
  }
  if (values.json === true) {
    writeLine(io.stdout, JSON.stringify(summary));
    return 0;
  }
  const rows = [
    [by, 'requests', 'prompt', 'completion', 'usd'],
    ...summary.groups.map((g) => [
      g.group,
      g.requests,
      g.prompt_tokens,
      g.completion_tokens,
      g.cost_usd.toFixed(6),
    ]),
    [
      'total',
      summary.requests,
      summary.prompt_tokens,
      summary.completion_tokens,
      summary.cost_usd.toFixed(6),
    ],
  ].map((row) => row.map(String));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    writeLine(
      io.stdout,
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  return 0;
}
