/**
 * The `bzzz` command: dispatches to a subcommand; exit 0 on success, 1 on failure, 2 on bad
 * usage or a bad configuration value; one clear line on stderr for an error (a stack trace
 * only with --debug).
 */
import { ConfigError } from '../config/load.js';
import { describeError } from '../lib/errors.js';
import { UsageError, writeLine, type Command, type CommandIO } from './command.js';
import { commands } from './commands/index.js';

const VERSION = '0.1.0';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'bzzz — a cluster of headless AI coding agents',
    '',
    'Usage: bzzz <command> [options]   (bzzz <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options: --help, --version, --debug (stack traces on errors)',
  ].join('\n');
}

export async function main(argv: string[], io: Omit<CommandIO, 'argv' | 'debug'>): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeLine(name === undefined ? io.stderr : io.stdout, help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    writeLine(io.stdout, VERSION);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    writeLine(io.stderr, `bzzz: unknown command ${JSON.stringify(name)} (see bzzz --help)`);
    return 2;
  }
  const command: Command = await entry.load();
  const dashDash = rest.indexOf('--');
  const flagsPart = dashDash < 0 ? rest : rest.slice(0, dashDash);
  if (flagsPart.includes('--help') || flagsPart.includes('-h')) {
    writeLine(io.stdout, command.usage);
    return 0;
  }
  try {
    return await command.run({ ...io, argv: rest, debug });
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(io.stderr, `bzzz ${command.name}: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      writeLine(io.stderr, `bzzz: ${error.message}`);
      return 2;
    }
    writeLine(io.stderr, `bzzz ${command.name}: ${describeError(error)}`);
    if (debug && error instanceof Error && error.stack) writeLine(io.stderr, error.stack);
    return 1;
  }
}
