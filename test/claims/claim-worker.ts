/**
 * One worker process of the claims chaos harness (run with `node --import tsx`). It races the
 * other workers for task keys through the JetStream claim store, keeps each lease with the
 * lease keeper while "working" for a random time, makes side effects on a resource that checks
 * the fencing token (fenced-resource.ts) after its own check (`assertHeld()`, then a line
 * `checked <key>` on stdout, where the harness's pause nemesis waits, then `sendMs` on the
 * way), finishes a task by a last such effect, and logs every step as a JSON line with its
 * token and wall time. It exits once every task is done or at its deadline.
 *
 * Argument: one JSON object, {@link WorkerConfig}.
 */
import { appendFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startLeaseKeeper, type LeaseKeeper } from '../../src/actors/lease.js';
import { JetStreamClaimStore, type Lease } from '../../src/adapters/claims/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { BrokenClaimStore } from './broken-store.js';
import { applyEffect, readEntry, type AppliedEffect, type ApplyResult } from './fenced-resource.js';
import type { HistoryEvent } from './history-checker.js';

export interface WorkerConfig {
  url: string;
  cluster: string;
  doneBucket: string;
  keys: string[];
  holder: string;
  logFile: string;
  ttlMs: number;
  skewMs: number;
  /** Wall time after which the worker gives up. */
  deadlineAt: number;
  /** Work time per task, ms: uniform in [min, max]. */
  workMs: [number, number];
  broken: boolean;
  /** False: the resource applies stale tokens too (the test that proves the checker). */
  checkTokens: boolean;
  /** The time an effect takes from the worker's check to the resource. */
  sendMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
type Entry = HistoryEvent extends infer E ? (E extends { w: string } ? Omit<E, 'w'> : never) : never;
const log = (entry: Entry): void =>
  appendFileSync(config.logFile, `${JSON.stringify({ w: config.holder, ...entry })}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

/** The resource, on a connection that never reconnects: a write is never sent late. */
class Resource {
  #kv: Promise<{ nc: NatsConnection; kv: KV }> | undefined;

  async #open(): Promise<KV> {
    this.#kv ??= (async () => {
      const nc = await connect({ servers: config.url, reconnect: false });
      const kv = await new Kvm(jetstream(nc, { timeout: 1_000 })).create(config.doneBucket, { history: 1 });
      return { nc, kv };
    })();
    try {
      const handles = await this.#kv;
      if (handles.nc.isClosed()) throw new Error('closed');
      return handles.kv;
    } catch (error) {
      this.#kv = undefined;
      throw error;
    }
  }

  async isDone(key: string): Promise<boolean> {
    const { entry } = await readEntry(await this.#open(), key);
    return entry.applied.some((e) => e.kind === 'finish');
  }

  async apply(key: string, kind: AppliedEffect['kind'], token: number): Promise<ApplyResult> {
    const kv = await this.#open();
    return applyEffect(kv, key, { kind, holder: config.holder, token, at: 0 }, config.checkTokens);
  }
}

const init = {
  cluster: config.cluster,
  servers: config.url,
  maxClockSkewMs: config.skewMs,
  requestTimeoutMs: 1_000,
};
const components = { clock: systemClock, logger: silentLogger() };
const store = config.broken
  ? new BrokenClaimStore(init, components)
  : new JetStreamClaimStore(init, components);
const resource = new Resource();
const done = new Set<string>();

/** Throws unless the lease is held with enough time left for the effect in flight. */
async function fence(keeper: LeaseKeeper): Promise<Lease> {
  const lease = keeper.lease;
  await lease.assertHeld();
  if (!keeper.held || Date.now() >= keeper.lease.expiresAt - config.skewMs) throw new Error('no margin left');
  return lease;
}

/** The worker's own check, then the way to the resource, then the resource's own check. */
async function act(keeper: LeaseKeeper, kind: AppliedEffect['kind']): Promise<ApplyResult> {
  const { key, token } = await fence(keeper);
  process.stdout.write(`checked ${key}\n`);
  await sleep(config.sendMs);
  const result = await resource.apply(key, kind, token);
  if (result === 'applied') log({ type: kind, key, token, at: Date.now() });
  else log({ type: 'refused', key, token, at: Date.now(), reason: result });
  return result;
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
    if (!(await resource.isDone(key))) {
      const steps = 1 + Math.floor(Math.random() * 3);
      const total = between(config.workMs[0], config.workMs[1]);
      for (let i = 0; i < steps; i++) {
        await sleep(total / steps);
        if ((await act(keeper, 'effect')) === 'stale') throw new Error('stale');
      }
      if ((await act(keeper, 'finish')) === 'stale') throw new Error('stale');
    }
    done.add(key);
    await keeper.stop();
    const at = Date.now();
    const ok = await store.release(keeper.lease, 'done');
    log({ type: 'release', key, token, at, ok });
  } catch {
    // Lost, refused, or the store cannot be reached: stop effects; the lease runs out or was taken.
    await keeper.stop();
  }
}

async function main(): Promise<void> {
  while (Date.now() < config.deadlineAt) {
    try {
      await store.start();
      break;
    } catch {
      await sleep(100);
    }
  }
  process.stdout.write('ready\n');
  while (done.size < config.keys.length && Date.now() < config.deadlineAt) {
    const pending = config.keys.filter((k) => !done.has(k));
    const key = pending[Math.floor(Math.random() * pending.length)]!;
    try {
      const lease = await store.claim(key, config.holder, config.ttlMs);
      if (lease === null) {
        if (await resource.isDone(key)) done.add(key);
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
