/**
 * The claims chaos harness: N worker processes (claim-worker.ts) race for task keys on a real
 * nats-server while a nemesis kills -9 and restarts random workers and, once, the server, and
 * pauses workers: SIGSTOP of the worker's process group right after it checked its lease for
 * an effect (it says so on stdout), SIGCONT `pauseMs` later. Bounded: at most `kills` kills and
 * `pauses` pauses, and every worker gives up at the run's deadline. Returns the merged
 * history and what the resource applied, ready for the checker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsServerHandle } from '../helpers/nats-server.js';
import type { AppliedEffect, HistoryEvent } from './history-checker.js';
import { readEntry } from './fenced-resource.js';
import type { WorkerConfig } from './claim-worker.js';

const WORKER = fileURLToPath(new URL('./claim-worker.ts', import.meta.url));

export interface ChaosRunOptions {
  nats: NatsServerHandle;
  dir: string;
  run: string;
  keys: number;
  workers: number;
  /** Kills of random workers (each restarted). */
  kills: number;
  restartServer: boolean;
  budgetMs: number;
  ttlMs: number;
  skewMs: number;
  workMs: [number, number];
  broken: boolean;
  /** Pauses of a worker caught right after its lease check. */
  pauses?: number;
  pauseMs?: number;
  /** False: the resource applies stale tokens too. Default true. */
  checkTokens?: boolean;
}

export interface ChaosRun {
  keys: string[];
  events: HistoryEvent[];
  applied: Map<string, AppliedEffect[]>;
  kills: number;
  pauses: number;
  serverRestarts: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
const waitExit = (c: ChildProcess) =>
  exited(c) ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));

export async function runChaos(options: ChaosRunOptions): Promise<ChaosRun> {
  const keys = Array.from({ length: options.keys }, (_, i) => `local:${options.run}/app#${i + 1}`);
  const deadlineAt = Date.now() + options.budgetMs;
  const doneBucket = `bzzz-${options.run}-done`;
  let incarnation = 0;
  const spawnWorker = (slot: number): ChildProcess => {
    incarnation++;
    const holder = `w${slot}.${incarnation}`;
    const config: WorkerConfig = {
      url: options.nats.url,
      cluster: options.run,
      doneBucket,
      keys,
      holder,
      logFile: join(options.dir, `${options.run}-${holder}.jsonl`),
      ttlMs: options.ttlMs,
      skewMs: options.skewMs,
      deadlineAt,
      workMs: options.workMs,
      broken: options.broken,
      checkTokens: options.checkTokens ?? true,
      sendMs: 50,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('checked ')) pauser.caught(child);
    });
    return child;
  };
  const pauser = new Pauser(options.pauses ?? 0, options.pauseMs ?? 0);
  const slots = Array.from({ length: options.workers }, (_, i) => spawnWorker(i));

  let kills = 0;
  let serverRestarts = 0;
  const restartAt = options.restartServer ? Math.floor(options.kills / 2) : -1;
  while (slots.some((c) => !exited(c)) && Date.now() < deadlineAt) {
    await sleep(400 + Math.random() * 900);
    if (kills < options.kills) {
      const live = slots.map((c, i) => [c, i] as const).filter(([c]) => !exited(c) && !pauser.holds(c));
      if (live.length === 0) break;
      const [victim, slot] = live[Math.floor(Math.random() * live.length)]!;
      victim.kill('SIGKILL');
      await waitExit(victim);
      kills++;
      await sleep(100 + Math.random() * 300);
      slots[slot] = spawnWorker(slot);
    }
    if (kills === restartAt && serverRestarts === 0) {
      await options.nats.kill();
      // Long enough, often, for leases to reach their deadline without a renewal.
      await sleep(500 + Math.random() * 700);
      await options.nats.restart();
      serverRestarts++;
    }
  }
  await Promise.all(slots.map(waitExit));
  return {
    keys,
    events: await readEvents(options.dir, options.run),
    applied: await readApplied(options.nats.url, doneBucket, keys),
    kills,
    pauses: pauser.done,
    serverRestarts,
  };
}

async function readEvents(dir: string, run: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for (const file of await readdir(dir)) {
    if (!file.startsWith(`${run}-`) || !file.endsWith('.jsonl')) continue;
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        // A line cut by kill -9: that step was never fully recorded.
      }
    }
  }
  return events;
}

async function readApplied(
  url: string,
  bucket: string,
  keys: string[],
): Promise<Map<string, AppliedEffect[]>> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(jetstream(nc)).create(bucket, { history: 1 });
    const applied = new Map<string, AppliedEffect[]>();
    for (const key of keys) applied.set(key, (await readEntry(kv, key)).entry.applied);
    return applied;
  } finally {
    await nc.close();
  }
}

/**
 * Pauses the worker that just checked its lease (SIGSTOP of its process group), one at a
 * time, up to `limit` times, and resumes it `ms` later.
 */
class Pauser {
  #paused: ChildProcess | undefined;
  done = 0;

  constructor(
    private readonly limit: number,
    private readonly ms: number,
  ) {}

  holds(child: ChildProcess): boolean {
    return this.#paused === child;
  }

  caught(child: ChildProcess): void {
    if (this.#paused !== undefined || this.done >= this.limit || child.pid === undefined || exited(child))
      return;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGSTOP');
    } catch {
      return;
    }
    this.#paused = child;
    this.done++;
    setTimeout(() => {
      try {
        process.kill(group, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
      this.#paused = undefined;
    }, this.ms);
  }
}
