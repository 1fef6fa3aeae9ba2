/**
 * A real PostgreSQL server per test file: `initdb` into a temporary directory, then `postgres`
 * on a free port of 127.0.0.1 with password (SCRAM) authentication for TCP clients and
 * fsync off for speed. PostgreSQL refuses to run as root: run as root (as CI does), the
 * server runs as the `postgres` user. A test can kill it (SIGKILL of the postmaster and its
 * backends, as a crash) and restart it on the same port with its data. A missing binary fails
 * with the exact install command instead of skipping.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './nats-server.js';

export interface PostgresServerHandle {
  readonly port: number;
  /** The superuser the tests connect as, and its password (never printed by bzzz). */
  readonly user: string;
  readonly password: string;
  readonly running: boolean;
  /** `postgres://USER:PASSWORD@127.0.0.1:PORT/DATABASE` */
  url(database?: string, password?: string): string;
  /** Creates an empty database (a fresh one per test) and returns its name. */
  createDatabase(name?: string): Promise<string>;
  /** SIGKILL of the postmaster and every backend: the server is gone at once, as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data (after kill or stop). */
  restart(): Promise<void>;
  /** Fast shutdown, then the data directory is removed. */
  stop(): Promise<void>;
}

export class PostgresServerMissingError extends Error {
  override readonly name = 'PostgresServerMissingError';
  constructor() {
    super(
      'PostgreSQL (initdb, postgres) not found under /usr/lib/postgresql/*/bin nor on PATH: install it with `apt-get install -y postgresql`',
    );
  }
}

/** The directory holding `initdb` and `postgres`: the newest version installed, else PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  throw new PostgresServerMissingError();
}

/** The uid and gid to run the server as: the `postgres` user when we are root, else ourselves. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, PostgreSQL needs the `postgres` user: apt-get install -y postgresql');
  }
}

function initDataDir(bin: string, user: string, password: string) {
  const identity = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'bzzz-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (identity !== undefined) {
    chownSync(dir, identity.uid, identity.gid);
    chownSync(pwfile, identity.uid, identity.gid);
  }
  const args = [
    '-D',
    data,
    '-U',
    user,
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
  ];
  execFileSync(join(bin, 'initdb'), [...args, '--no-sync', '--no-locale', '-E', 'UTF8'], {
    stdio: 'pipe',
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    ...(identity ?? {}),
  });
  rmSync(pwfile);
  return { dir, data, identity };
}

function launch(
  bin: string,
  data: string,
  socketDir: string,
  port: number,
  identity: { uid: number; gid: number } | undefined,
): Promise<ChildProcess> {
  const settings = [
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${socketDir}`,
    // fsync off: a commit still reaches the OS before it is acknowledged, so killing the
    // server loses nothing (synchronous_commit stays on for that reason)
    'fsync=off',
    'full_page_writes=off',
    'max_connections=200',
  ];
  const args = ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])];
  const child = spawn(join(bin, 'postgres'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: socketDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    ...(identity ?? {}),
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`postgres on port ${port} not ready within 60 s:\n${log}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited with ${code} before it was ready:\n${log}`));
    });
  });
}

/** The pids of a process's children (Linux). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** True while `pid` is a live process (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: number[]): Promise<void> {
  for (let i = 0; i < 600 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Starts a PostgreSQL server and resolves once it accepts clients. */
export async function startPostgresServer(): Promise<PostgresServerHandle> {
  const bin = postgresBinDir();
  const user = 'bzzz';
  const password = `pw-${Math.random().toString(36).slice(2)}-S3cr3t`;
  const { dir, data, identity } = initDataDir(bin, user, password);
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(bin, data, dir, port, identity);
  let databases = 0;
  const isRunning = (c: ChildProcess | undefined): c is ChildProcess =>
    c !== undefined && c.exitCode === null && c.signalCode === null;
  const url = (database = 'postgres', pw = password) =>
    `postgres://${user}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${database}`;
  const kill = async () => {
    if (!isRunning(child) || child.pid === undefined) return;
    const pids = [child.pid, ...childPids(child.pid)];
    const exited = new Promise<void>((r) => child?.once('exit', () => r()));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    await waitGone(pids);
  };
  return {
    port,
    user,
    password,
    get running() {
      return isRunning(child);
    },
    url,
    async createDatabase(name = `bzzz_test_${++databases}_${process.pid}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return name;
    },
    kill,
    async restart() {
      await kill();
      child = await launch(bin, data, dir, port, identity);
    },
    async stop() {
      if (isRunning(child)) {
        const exited = new Promise<void>((r) => child?.once('exit', () => r()));
        child.kill('SIGINT');
        await exited;
      }
      child = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
