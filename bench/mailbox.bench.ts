/**
 * mailbox.send: local send throughput through the actor system vs raw XState `actor.send`
 * on the same machine. mailbox.ask: request/reply round trips vs a raw XState round trip
 * (an event carrying a resolver), with p50/p99 latency.
 */
import { assign, createActor, setup } from 'xstate';
import { ActorSystem, xstateChild, type MailboxMessage } from '../src/actors/index.js';
import { silentLogger } from '../src/lib/log.js';
import { Supervisor } from '../src/supervisor/index.js';
import {
  hrtimeMs,
  median,
  percentile,
  progress,
  round,
  throughput,
  type Benchmark,
  type Figure,
} from './lib.js';

const SENDS = 200_000;
const ASKS = 20_000;
const ROUNDS = 5;

function counter(reply: (event: MailboxMessage & { resolve?: (n: number) => void }, n: number) => void) {
  return setup({
    types: { context: {} as { n: number }, events: {} as MailboxMessage & { resolve?: (n: number) => void } },
  }).createMachine({
    context: { n: 0 },
    on: {
      inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
      get: { actions: ({ context, event }) => reply(event, context.n) },
    },
  });
}

async function rawSend(): Promise<number> {
  const actor = createActor(counter(() => undefined)).start();
  const start = process.hrtime.bigint();
  for (let i = 0; i < SENDS; i++) actor.send({ type: 'inc' });
  const ms = hrtimeMs(start);
  if (actor.getSnapshot().context.n !== SENDS) throw new Error('raw: lost messages');
  actor.stop();
  return (SENDS / ms) * 1000;
}

async function withCounter<T>(fn: (system: ActorSystem) => Promise<T>): Promise<T> {
  const system = new ActorSystem({ mailboxCapacity: SENDS * 2 });
  const sup = new Supervisor(
    'root',
    {
      children: [
        xstateChild('counter', { logic: counter((event, n) => system.reply(event, n)), accept: (m) => m }),
      ],
    },
    { system, clock: system.clock, logger: silentLogger() },
  );
  await sup.start();
  try {
    return await fn(system);
  } finally {
    await sup.stop();
  }
}

async function oursSend(): Promise<number> {
  return withCounter(async (system) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < SENDS; i++) system.send('root/counter', { type: 'inc' });
    await system.idle();
    const ms = hrtimeMs(start);
    const n = await system.ask<number>('root/counter', { type: 'get' });
    if (n !== SENDS) throw new Error(`ours: lost messages (${n})`);
    return (SENDS / ms) * 1000;
  });
}

async function rawAsk(): Promise<{ rate: number; lat: number[] }> {
  const actor = createActor(counter((event, n) => event.resolve?.(n))).start();
  const lat: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < ASKS; i++) {
    const t = process.hrtime.bigint();
    await new Promise<number>((resolve) => actor.send({ type: 'get', resolve }));
    lat.push(hrtimeMs(t));
  }
  const rate = (ASKS / hrtimeMs(start)) * 1000;
  actor.stop();
  return { rate, lat };
}

async function oursAsk(): Promise<{ rate: number; lat: number[] }> {
  return withCounter(async (system) => {
    const lat: number[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < ASKS; i++) {
      const t = process.hrtime.bigint();
      await system.ask<number>('root/counter', { type: 'get' });
      lat.push(hrtimeMs(t));
    }
    return { rate: (ASKS / hrtimeMs(start)) * 1000, lat };
  });
}

export default {
  name: 'mailbox',
  async run(): Promise<Figure[]> {
    const raw: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(await rawSend());
      ours.push(await oursSend());
    }
    progress(`send: ours ${median(ours).toFixed(0)}/s raw ${median(raw).toFixed(0)}/s`);
    const askRaw: { rate: number; lat: number[] }[] = [];
    const askOurs: { rate: number; lat: number[] }[] = [];
    for (let r = 0; r < 3; r++) {
      askRaw.push(await rawAsk());
      askOurs.push(await oursAsk());
    }
    const oursLat = askOurs.flatMap((a) => a.lat);
    const rawLat = askRaw.flatMap((a) => a.lat);
    const askFigure = throughput(
      'mailbox.ask',
      'req/s',
      median(askOurs.map((a) => a.rate)),
      'xstate.send+resolve',
      median(askRaw.map((a) => a.rate)),
    );
    askFigure.extra = {
      p50_ms: round(percentile(oursLat, 50), 4),
      p99_ms: round(percentile(oursLat, 99), 4),
      baseline_p50_ms: round(percentile(rawLat, 50), 4),
      baseline_p99_ms: round(percentile(rawLat, 99), 4),
    };
    return [throughput('mailbox.send', 'msg/s', median(ours), 'xstate.send', median(raw)), askFigure];
  },
} satisfies Benchmark;
