/**
 * A real `redis-server` per test file, on a free port with no persistence, so a test can kill
 * it (SIGKILL), pause it (SIGSTOP: a Redis that is slow, not gone) and restart it on the same
 * port. A missing binary fails with the exact install command instead of skipping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from './nats-server.js';

export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server holds connections but answers nothing. */
  pause(): void;
  resume(): void;
  /** Kills (if running) and starts again on the same port, empty. */
  restart(): Promise<void>;
}

export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError';
  constructor() {
    super('redis-server not found on PATH: install it with `apt-get install -y redis-server`');
  }
}

function findBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin']) {
    if (dir !== '' && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  throw new RedisServerMissingError();
}

function launch(binary: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp' });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready within 15 s:\n${log}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${log}`));
    });
  });
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGCONT');
    child.kill(signal);
  });
}

/** Starts a redis-server and resolves once it accepts clients. */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServerHandle> {
  const binary = findBinary();
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined = await launch(binary, port);
  const isRunning = (c: ChildProcess | undefined): c is ChildProcess =>
    c !== undefined && c.exitCode === null && c.signalCode === null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return isRunning(child);
    },
    async stop() {
      if (isRunning(child)) await waitExit(child, 'SIGTERM');
      child = undefined;
    },
    async kill() {
      if (isRunning(child)) await waitExit(child, 'SIGKILL');
    },
    pause() {
      if (isRunning(child)) child.kill('SIGSTOP');
    },
    resume() {
      if (isRunning(child)) child.kill('SIGCONT');
    },
    async restart() {
      if (isRunning(child)) await waitExit(child, 'SIGKILL');
      child = await launch(binary, port);
    },
  };
}
