/** Runs the `bzzz` command from source (through tsx) as a separate process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader by URL, so the command runs from any working directory. */
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the command; `detached` gives it its own process group (its pid is the group's id),
 * so a test can signal it and every process it spawned at once. With `netns` it runs inside
 * that network namespace (`ip netns exec` execs it, so the pid is still the command's).
 */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  cwd = ROOT,
  detached = false,
  netns?: string,
): ChildProcess & { output: () => CliResult } {
  const argv = [process.execPath, '--import', TSX, MAIN, ...args];
  const [command, ...rest] = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  const child = spawn(command!, rest, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return Object.assign(child, {
    output: () => ({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
  });
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliResult> {
  const child = spawnCli(args, env, cwd);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve(child.output()));
  });
}

/**
 * Waits until `probe` gives a value, polling every 50 ms, or fails after `timeoutMs` naming
 * `what` (and `explain()`, what the test saw last, when given).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
  explain?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what} not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}` +
          (explain === undefined ? '' : `; ${explain()}`),
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
