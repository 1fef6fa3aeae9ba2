/**
 * Running `bzzz agent` processes against one nats-server for the cluster tests: start, kill -9,
 * restart, stop gracefully, and read their HTTP status and logs.
 */
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';

export interface AgentProcess {
  name: string;
  dataDir: string;
  logFile: string;
  /** The process's pid, which is also its process group's id (it runs detached). */
  pid: () => number | undefined;
  /** The node id it logged at start, once it has. */
  nodeId: () => string | undefined;
  /** Calls `listener` with each JSON log line from now on (across restarts). */
  onLine: (listener: (line: Record<string, unknown>) => void) => void;
  /** True once the current process (the last start or restart) logged `node started`. */
  started: () => boolean;
  url: () => string | undefined;
  running: () => boolean;
  kill: () => Promise<void>;
  stop: () => Promise<number | null>;
  restart: () => void;
  logs: () => Record<string, unknown>[];
}

export function clusterDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Starts `bzzz agent` with its data in `dir/name`; `netns` runs it in that network namespace. */
export function startAgent(
  name: string,
  dir: string,
  env: Record<string, string>,
  options: { netns?: string } = {},
): AgentProcess {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o755);
  const logs: string[] = [];
  const listeners: ((line: Record<string, unknown>) => void)[] = [];
  /** Where the current process's output starts in `logs`. */
  let launchedAt = 0;
  let child = launch();
  function launch() {
    launchedAt = logs.length;
    const c = spawnCli(
      ['agent'],
      {
        BZZZ_DATA_DIR: dataDir,
        BZZZ_NODE_NAME: name,
        BZZZ_LOG_LEVEL: 'info',
        // free ports: agents of one test, and other tests beside it, never contend for 3001/3003
        BZZZ_HTTP_PORT: '0',
        BZZZ_MCP_PORT: '0',
        BZZZ_RESOLVER_PORT: '0',
        ...env,
      },
      undefined,
      true,
      options.netns,
    );
    let partial = '';
    c.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      logs.push(text);
      if (listeners.length === 0) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          for (const listener of listeners) listener(parsed);
        } catch {
          // not a log line of ours
        }
      }
    });
    return c;
  }
  const parsed = (): Record<string, unknown>[] =>
    logs
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  return {
    name,
    dataDir,
    logFile: '',
    pid: () => child.pid,
    nodeId: () => parsed().findLast((l) => l.msg === 'node started')?.nodeId as string | undefined,
    onLine: (listener) => listeners.push(listener),
    started: () => logs.slice(launchedAt).join('').includes('"msg":"node started"'),
    url: () => {
      const listening = parsed().filter((l) => l.msg === 'HTTP listening');
      return listening.at(-1)?.url as string | undefined;
    },
    running: () => child.exitCode === null && child.signalCode === null,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('close', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    restart: () => {
      logs.push('\n');
      child = launch();
    },
    logs: parsed,
  };
}

export interface StatusDoc {
  leader: { node: string; term: number } | null;
  nodes: { id: string; name: string; state: string }[];
  tasks: { key: string; state: string; holder: string | null }[];
}

export async function clusterStatus(natsUrl: string): Promise<StatusDoc | undefined> {
  const result = await runCli(['status', '--json'], { BZZZ_NATS_URL: natsUrl });
  if (result.code !== 0) return undefined;
  return JSON.parse(result.stdout) as StatusDoc;
}
