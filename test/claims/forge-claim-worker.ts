/**
 * One worker process of the forge claims chaos run (run with `node --import tsx`). It races the
 * other workers for task keys through the forge claim store on a shared directory, keeps each
 * lease with the lease keeper while "working" for a random time, makes simulated side effects
 * after `assertHeld()`, finishes a task by writing a done marker (fenced), and logs every step
 * as a JSON line with its token and wall time. It exits once every task is done or at its
 * deadline.
 *
 * A done marker is a file `<run>/done/<encoded key>.<token>.json` created with O_EXCL (`wx`),
 * then the same line appended to `<run>/done.log`. One file per (key, token), not per key: a
 * second grant finishing the same task adds a second file instead of failing, so "finished
 * exactly once" is read from the directory itself.
 *
 * Argument: one JSON object, {@link ForgeWorkerConfig}.
 */
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLeaseKeeper, type LeaseKeeper } from '../../src/actors/lease.js';
import { ForgeClaimStore, type Lease } from '../../src/adapters/claims/index.js';
import type { ForgeLeaseRecord } from '../../src/adapters/claims/forge-record.js';
import { encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import type { HistoryEvent } from './history-checker.js';

/** A done marker as written: who finished the task, under which token, when. */
export interface DoneMarker {
  holder: string;
  token: number;
  at: number;
}

export interface ForgeWorkerConfig {
  /** The shared forge directory the claim store keeps its table in. */
  forgeDir: string;
  cluster: string;
  /** Where `done/` and `done.log` are. */
  runDir: string;
  keys: string[];
  holder: string;
  logFile: string;
  ttlMs: number;
  skewMs: number;
  lockStaleMs: number;
  /** Wall time after which the worker gives up. */
  deadlineAt: number;
  /** Work time per task, ms: uniform in [min, max]. */
  workMs: [number, number];
  broken: boolean;
}

/** A done marker as written: the checker's fields plus its key. */
export type DoneRecord = DoneMarker & { key: string };

/** A deliberately broken forge store: its claim skips the create-if-absent check. */
export class BrokenForgeClaimStore extends ForgeClaimStore {
  protected override admits(_current: ForgeLeaseRecord | null, _now: number): boolean {
    return true;
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as ForgeWorkerConfig;
type Entry = HistoryEvent extends infer E ? (E extends { w: string } ? Omit<E, 'w'> : never) : never;
const log = (entry: Entry): void =>
  appendFileSync(config.logFile, `${JSON.stringify({ w: config.holder, ...entry })}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);
const doneDir = join(config.runDir, 'done');

function isDone(key: string): boolean {
  const prefix = `${encodeClaimKey(key)}.`;
  return readdirSync(doneDir).some((name) => name.startsWith(prefix));
}

function markDone(key: string, token: number, at: number): void {
  const line = JSON.stringify({ key, holder: config.holder, token, at } satisfies DoneRecord);
  writeFileSync(join(doneDir, `${encodeClaimKey(key)}.${token}.json`), line, { flag: 'wx' });
  appendFileSync(join(config.runDir, 'done.log'), `${line}\n`);
}

const init = {
  dir: config.forgeDir,
  cluster: config.cluster,
  maxClockSkewMs: config.skewMs,
  lockStaleMs: config.lockStaleMs,
};
const components = { clock: systemClock, logger: silentLogger() };
const store = config.broken
  ? new BrokenForgeClaimStore(init, components)
  : new ForgeClaimStore(init, components);
const done = new Set<string>();

/** Throws unless the lease is held with enough time left for the effect in flight. */
async function fence(keeper: LeaseKeeper): Promise<Lease> {
  const lease = keeper.lease;
  await lease.assertHeld();
  if (!keeper.held || Date.now() >= keeper.lease.expiresAt - config.skewMs) throw new Error('no margin left');
  return lease;
}

async function work(lease: Lease): Promise<void> {
  const { key, token } = lease;
  const keeper = startLeaseKeeper({
    store,
    lease,
    clock: systemClock,
    skewMs: config.skewMs,
    onLost: (reason) => log({ type: 'loss', key, token, at: Date.now(), reason }),
    onRenewed: (l) => log({ type: 'renew', key, token, at: Date.now(), expiresAt: l.expiresAt }),
  });
  try {
    if (!isDone(key)) {
      const steps = 1 + Math.floor(Math.random() * 3);
      const total = between(config.workMs[0], config.workMs[1]);
      for (let i = 0; i < steps; i++) {
        await sleep(total / steps);
        await fence(keeper);
        log({ type: 'effect', key, token, at: Date.now() });
      }
      await fence(keeper);
      const at = Date.now();
      markDone(key, token, at);
      log({ type: 'finish', key, token, at });
    }
    done.add(key);
    await keeper.stop();
    const at = Date.now();
    const ok = await store.release(keeper.lease, 'done');
    log({ type: 'release', key, token, at, ok });
  } catch {
    // Lost, or the store cannot be read: stop effects; the lease runs out or was taken.
    await keeper.stop();
  }
}

async function main(): Promise<void> {
  await store.start();
  process.stdout.write('ready\n');
  while (done.size < config.keys.length && Date.now() < config.deadlineAt) {
    const pending = config.keys.filter((k) => !done.has(k));
    const key = pending[Math.floor(Math.random() * pending.length)]!;
    try {
      const lease = await store.claim(key, config.holder, config.ttlMs);
      if (lease === null) {
        if (isDone(key)) done.add(key);
        else await sleep(between(5, 30));
        continue;
      }
      log({
        type: 'acquire',
        key,
        token: lease.token,
        at: Date.now(),
        sentAt: lease.expiresAt - config.ttlMs,
        expiresAt: lease.expiresAt,
      });
      await work(lease);
    } catch {
      await sleep(50);
    }
  }
  await store.stop();
  process.exit(0);
}

void main();
