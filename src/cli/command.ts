/**
 * What every `bzzz` subcommand is: a name, a one-line summary, a usage text for `--help`,
 * and `run`, which returns the exit code (0 success, 1 failure). Bad usage throws
 * {@link UsageError} (exit 2); any other error becomes one line on stderr (exit 1).
 */
import type { Writable } from 'node:stream';
import { BzzzError } from '../lib/errors.js';

export interface CommandIO {
  /** Arguments after the command's own name (`bzzz sandbox run -- id` → `['run', '--', 'id']`). */
  argv: string[];
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `--debug`: show stack traces. */
  debug: boolean;
  /** stdout is a terminal: show progress. */
  tty: boolean;
}

export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text. */
  usage: string;
  run(io: CommandIO): Promise<number>;
}

/** Bad usage: unknown flag, missing argument, invalid value. Exit code 2. */
export class UsageError extends BzzzError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
