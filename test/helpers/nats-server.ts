/**
 * A real `nats-server -js` per test file, on a free port and its own store directory, so a
 * test can kill it (SIGKILL), stop it (SIGTERM) and restart it on the same port with the same
 * JetStream data. A missing binary fails with the exact install command instead of skipping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface NatsServerOptions {
  /** Default: a free port. */
  port?: number;
  /** JetStream store directory. Default: a fresh temporary directory, removed on `stop()`. */
  storeDir?: string;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Graceful stop (SIGTERM); removes the store directory when this helper created it. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the store directory for a restart. */
  kill(): Promise<void>;
  /** Kills (if running) and starts again on the same port and store directory. */
  restart(): Promise<void>;
}

/** Thrown when no nats-server binary can be found. */
export class NatsServerMissingError extends Error {
  override readonly name = 'NatsServerMissingError';
  constructor() {
    super('nats-server not found on PATH or in /usr/sbin: install it with `apt-get install -y nats-server`');
  }
}

function findBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    if (existsSync(candidate)) return candidate;
  }
  throw new NatsServerMissingError();
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(binary: string, port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server on port ${port} not ready within 15 s:\n${log}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        // Keep draining stderr so the server never blocks on a full pipe.
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
    });
  });
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Starts a nats-server with JetStream and resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findBinary();
  const port = options.port ?? (await freePort());
  const ownsDir = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'bzzz-nats-')));
  let child: ChildProcess | undefined = await launch(binary, port, storeDir);
  const isRunning = (c: ChildProcess | undefined): c is ChildProcess =>
    c !== undefined && c.exitCode === null && c.signalCode === null;

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() {
      return isRunning(child);
    },
    async stop() {
      if (isRunning(child)) await waitExit(child, 'SIGTERM');
      child = undefined;
      if (ownsDir) await rm(storeDir, { recursive: true, force: true });
    },
    async kill() {
      if (isRunning(child)) await waitExit(child, 'SIGKILL');
    },
    async restart() {
      if (isRunning(child)) await waitExit(child, 'SIGKILL');
      child = await launch(binary, port, storeDir);
    },
  };
}
