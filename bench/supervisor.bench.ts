/**
 * supervisor.restart: time from a child's crash to its replacement answering a message,
 * vs creating and asking a fresh raw XState actor. supervisor.spawn: 10,000 dynamic children
 * vs raw `spawnChild` of the same count under one parent machine (quadratic in XState).
 * actor.memory: heap per idle supervised actor vs a raw XState actor.
 */
import { createActor, setup, spawnChild } from 'xstate';
import { ActorSystem, xstateChild, type MailboxMessage } from '../src/actors/index.js';
import { silentLogger } from '../src/lib/log.js';
import { Supervisor } from '../src/supervisor/index.js';
import {
  hrtimeMs,
  latency,
  median,
  percentile,
  progress,
  round,
  throughput,
  type Benchmark,
  type Figure,
} from './lib.js';

const SPAWNS = 10_000;
const RESTARTS = 500;

const idle = setup({ types: { events: {} as MailboxMessage } }).createMachine({
  id: 'idle',
  on: { ping: {} },
});

function worker(system: ActorSystem) {
  return setup({ types: { events: {} as MailboxMessage & { resolve?: () => void } } }).createMachine({
    on: {
      ping: { actions: ({ event }) => (event.resolve ? event.resolve() : system.reply(event, 'pong')) },
      boom: {
        actions: () => {
          throw new Error('boom');
        },
      },
    },
  });
}

async function restartLatencies(): Promise<number[]> {
  const system = new ActorSystem();
  const sup = new Supervisor(
    'root',
    {
      children: [xstateChild('w', { logic: worker(system), accept: (m) => m })],
      intensity: { maxRestarts: 1_000_000, periodMs: 1_000 },
      backoff: { resetAfterMs: 0 },
    },
    { system, clock: system.clock, logger: silentLogger() },
  );
  await sup.start();
  const out: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    const t = process.hrtime.bigint();
    system.send('root/w', { type: 'boom' });
    await system.ask('root/w', { type: 'ping' });
    out.push(hrtimeMs(t));
  }
  await sup.stop();
  return out;
}

async function rawFreshActor(): Promise<number[]> {
  const out: number[] = [];
  const logic = worker(new ActorSystem());
  for (let i = 0; i < RESTARTS; i++) {
    const t = process.hrtime.bigint();
    const actor = createActor(logic);
    actor.subscribe({ error: () => undefined });
    actor.start();
    await new Promise<void>((resolve) => actor.send({ type: 'ping', resolve }));
    out.push(hrtimeMs(t));
    actor.stop();
  }
  return out;
}

async function spawnOurs(): Promise<{ rate: number; kib: number }> {
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const system = new ActorSystem();
  const sup = new Supervisor(
    'tasks',
    { strategy: 'dynamic' },
    { system, clock: system.clock, logger: silentLogger() },
  );
  await sup.start();
  const start = process.hrtime.bigint();
  for (let i = 0; i < SPAWNS; i++)
    await sup.startChild(xstateChild(`t${i}`, { logic: idle, accept: (m) => m }));
  const rate = (SPAWNS / hrtimeMs(start)) * 1000;
  gc?.();
  const kib = (process.memoryUsage().heapUsed - before) / SPAWNS / 1024;
  if (sup.countChildren() !== SPAWNS) throw new Error('ours: children missing');
  await sup.stop();
  return { rate, kib };
}

function spawnRaw(count: number): number {
  const parent = setup({
    types: { events: {} as { type: 'spawn'; id: string } },
    actors: { idle },
  }).createMachine({
    on: { spawn: { actions: spawnChild('idle', { id: ({ event }) => event.id }) } },
  });
  const actor = createActor(parent).start();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) actor.send({ type: 'spawn', id: `t${i}` });
  const rate = (count / hrtimeMs(start)) * 1000;
  if (Object.keys(actor.getSnapshot().children).length !== count) throw new Error('raw: children missing');
  actor.stop();
  return rate;
}

function rawMemory(): number {
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const actors = Array.from({ length: SPAWNS }, () => createActor(idle).start());
  gc?.();
  const kib = (process.memoryUsage().heapUsed - before) / SPAWNS / 1024;
  for (const a of actors) a.stop();
  return kib;
}

export default {
  name: 'supervisor',
  async run(): Promise<Figure[]> {
    const ours = await restartLatencies();
    const raw = await rawFreshActor();
    progress(`restart p50 ${median(ours).toFixed(3)} ms p99 ${percentile(ours, 99).toFixed(3)} ms`);
    const restart = latency(
      'supervisor.restart',
      'ms_p99',
      percentile(ours, 99),
      'xstate.createActor+send',
      percentile(raw, 99),
    );
    restart.extra = {
      p50_ms: round(median(ours), 4),
      baseline_p50_ms: round(median(raw), 4),
      trials: RESTARTS,
    };

    const spawns: { rate: number; kib: number }[] = [];
    for (let r = 0; r < 3; r++) spawns.push(await spawnOurs());
    progress(
      `spawn ours ${median(spawns.map((s) => s.rate)).toFixed(0)}/s; raw spawnChild of ${SPAWNS} (slow)...`,
    );
    const rawRate = spawnRaw(SPAWNS);
    const spawn = throughput(
      'supervisor.spawn',
      'spawns/s',
      median(spawns.map((s) => s.rate)),
      'xstate.spawnChild',
      rawRate,
    );
    spawn.extra = { children: SPAWNS };

    const rawKib: number[] = [];
    for (let r = 0; r < 3; r++) rawKib.push(rawMemory());
    const memory: Figure = {
      bench: 'actor.memory',
      value: round(median(spawns.map((s) => s.kib)), 2),
      unit: 'KiB/actor',
      baseline: 'xstate.createActor',
      baseline_value: round(median(rawKib), 2),
      ratio: round(median(rawKib) / median(spawns.map((s) => s.kib))),
    };
    return [restart, spawn, memory];
  },
} satisfies Benchmark;
