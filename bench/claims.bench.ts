/**
 * Claims and election on a real nats-server (SPEC §11, issue 6):
 * - `claims.throughput`: claim+release per second through the JetStream claim store vs raw
 *   KV create+delete on the same server, same run, 16 in flight; medians of 5 rounds each.
 * - `claims.takeover`: kill -9 a holder process, time until this process holds the task
 *   (polling every 100 ms); median of 5 trials, baseline TTL + 1 s (the goal).
 * - `election.failover`: kill -9 the leader among 3 elector processes (default timings: TTL
 *   1 s, renew 300 ms, skew 250 ms), time until another is leader and its heartbeat arrives;
 *   p99 over 20 trials as the value, baseline 1.5 s (the goal), p50 in `extra`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { JetStreamClaimStore } from '../src/adapters/claims/index.js';
import { silentLogger, systemClock } from '../src/lib/index.js';
import { startNatsServer, type NatsServerHandle } from '../test/helpers/nats-server.js';
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

const PROCESS = fileURLToPath(new URL('./claims-process.ts', import.meta.url));
const ROUNDS = 5;
const ROUND_OPS = 1_500;
const IN_FLIGHT = 16;
const TAKEOVER_TTL = 1_000;
const TAKEOVER_TRIALS = 5;
const FAILOVER_TRIALS = 20;

function start(args: string[]): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n') && (args[0] !== 'holder' || out.includes('held'))) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Runs `op` ROUND_OPS times with IN_FLIGHT at once; ops per second. */
async function rate(op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ROUND_OPS) await op(next++);
    }),
  );
  return ROUND_OPS / (hrtimeMs(t0) / 1000);
}

async function claimsThroughput(nats: NatsServerHandle): Promise<Figure> {
  const store = new JetStreamClaimStore(
    { cluster: 'bench', servers: nats.url },
    { clock: systemClock, logger: silentLogger() },
  );
  await store.start();
  const nc = await connect({ servers: nats.url });
  const kv = await new Kvm(jetstream(nc)).create('bench-raw', { history: 1 });
  const ours: number[] = [];
  const raw: number[] = [];
  // Round 0 warms up both paths (connections, JIT, the server's file store) and is not counted.
  for (let r = 0; r <= ROUNDS; r++) {
    ours.push(
      await rate(async (i) => {
        const lease = await store.claim(`local:bench/r${r}#${i + 1}`, 'bench', 10_000);
        if (lease === null || !(await store.release(lease))) throw new Error('claim+release failed');
      }),
    );
    raw.push(
      await rate(async (i) => {
        const key = `r${r}-${i}`;
        const revision = await kv.create(key, 'x');
        await kv.delete(key, { previousSeq: revision });
      }),
    );
    if (r === 0) {
      ours.pop();
      raw.pop();
      continue;
    }
    progress(`claims.throughput round ${r}: ${round(ours.at(-1)!, 0)} vs raw ${round(raw.at(-1)!, 0)} ops/s`);
  }
  await store.stop();
  await nc.close();
  return throughput('claims.throughput', 'ops/s', median(ours), 'kv.create+delete', median(raw));
}

async function claimsTakeover(nats: NatsServerHandle): Promise<Figure> {
  const store = new JetStreamClaimStore(
    { cluster: 'takeover', servers: nats.url },
    { clock: systemClock, logger: silentLogger() },
  );
  await store.start();
  const times: number[] = [];
  for (let t = 0; t < TAKEOVER_TRIALS; t++) {
    const key = `local:bench/takeover#${t + 1}`;
    const holder = start(['holder', nats.url, 'takeover', key, String(TAKEOVER_TTL)]);
    await holder.ready;
    await systemClock.sleep(200 + Math.random() * 300);
    const killedAt = process.hrtime.bigint();
    await kill9(holder.child);
    for (;;) {
      const lease = await store.claim(key, 'taker', TAKEOVER_TTL);
      if (lease !== null) break;
      await systemClock.sleep(100);
    }
    times.push(hrtimeMs(killedAt));
    progress(`claims.takeover trial ${t + 1}: ${round(times.at(-1)!, 0)} ms`);
  }
  await store.stop();
  const figure = latency('claims.takeover', 'ms', median(times), 'ttl+1s', TAKEOVER_TTL + 1_000);
  return { ...figure, extra: { ttl_ms: TAKEOVER_TTL, max_ms: round(Math.max(...times), 0) } };
}

async function electionFailover(nats: NatsServerHandle): Promise<Figure> {
  const nc = await connect({ servers: nats.url });
  let last: { node: string; term: number; at: bigint } | undefined;
  nc.subscribe('bzzz.failover.coordination', {
    callback: (_e, msg) => {
      const hb = msg.json<{ node: string; term: number }>();
      if (last === undefined || hb.term > last.term) last = { ...hb, at: process.hrtime.bigint() };
    },
  });
  const electors = new Map<string, ReturnType<typeof start>>();
  for (const name of ['e0', 'e1', 'e2']) electors.set(name, start(['elector', nats.url, 'failover', name]));
  await Promise.all([...electors.values()].map((e) => e.ready));
  const times: number[] = [];
  for (let t = 0; t < FAILOVER_TRIALS; t++) {
    while (last === undefined) await systemClock.sleep(20);
    await systemClock.sleep(300 + Math.random() * 400);
    const leader = last;
    const killedAt = process.hrtime.bigint();
    await kill9(electors.get(leader.node)!.child);
    while (last.term === leader.term) await systemClock.sleep(5);
    times.push(Number(last.at - killedAt) / 1e6);
    progress(
      `election.failover trial ${t + 1}: ${leader.node} -> ${last.node} in ${round(times.at(-1)!, 0)} ms`,
    );
    const restarted = start(['elector', nats.url, 'failover', leader.node]);
    electors.set(leader.node, restarted);
    await restarted.ready;
  }
  await Promise.all([...electors.values()].map((e) => kill9(e.child)));
  await nc.close();
  const p99 = percentile(times, 99);
  const figure = latency('election.failover', 'ms', p99, 'goal p99', 1_500);
  return {
    ...figure,
    extra: { p50_ms: round(percentile(times, 50), 0), p99_ms: round(p99, 0), trials: FAILOVER_TRIALS },
  };
}

export default {
  name: 'claims',
  async run() {
    const nats = await startNatsServer();
    try {
      return [await claimsThroughput(nats), await claimsTakeover(nats), await electionFailover(nats)];
    } finally {
      await nats.stop();
    }
  },
} satisfies Benchmark;
