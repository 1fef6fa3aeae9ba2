/**
 * NATS benchmarks (issue 5), against a nats-server started for the run:
 *
 * - `nats.ask`: an actor on node A asks an actor on node B over the NATS bus (envelope,
 *   remote routing, reply), sequentially, against raw `nc.request` between two connections on
 *   the same server answering with the same bytes. p50/p99 latency; ratio = raw p50 / ours p50.
 *   Unsigned mode (`sign_messages: false`), as the goal states; `nats.ask.signed` beside it.
 * - `nats.publish`: broadcast throughput from `system.publish('coordination', …)` on A to a
 *   subscriber actor on B, against raw `nc.publish` of the same wire bytes to a raw
 *   subscriber; messages per second until the last one arrived. Unsigned, and signed beside.
 * - `nats.publish.json` (unsigned run): the same throughput of ours, against what an
 *   application on raw NATS must do at least to broadcast the same structured message:
 *   `nc.publish(subject, JSON.stringify(message))`, and `JSON.parse(m.string())` of each
 *   message in the subscriber. (`nats.publish`'s baseline sends prebuilt bytes and never looks
 *   at them: no encoding, validation or dispatch at all.)
 *
 * Broadcasts published in one turn leave as `message_batch` envelopes (one per 256): the
 * figure's `extra.envelopes_per_broadcast` says how many NATS messages ours sent per broadcast.
 *
 * One uncounted warm-up round of each side first; then ours and raw run back to back within
 * each round. Values are medians of rounds; ratios are the medians of each round's own ratio,
 * since the shared host's speed drifts between rounds more than within one (as in
 * envelope.bench.ts).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bindRemote } from '../src/actors/remote.js';
import { ActorSystem } from '../src/actors/system.js';
import { serviceSpec } from '../src/actors/service.js';
import { createNatsBus } from '../src/adapters/bus/index.js';
import { createNatsConnector } from '../src/adapters/nats/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { createEnvelope, generateIdentity, sealEnvelope } from '../src/protocol/index.js';
import type { RunningChild } from '../src/supervisor/child.js';
import { startNatsServer } from '../test/helpers/nats-server.js';
import {
  latency,
  median,
  percentile,
  progress,
  round,
  throughput,
  type Benchmark,
  type Figure,
} from './lib.js';

const ROUNDS = 7;
const ASKS = 1500;
const BROADCASTS = 20_000;

interface Node {
  system: ActorSystem;
  running: RunningChild;
  close(): Promise<void>;
}

async function startNode(url: string, signed: boolean): Promise<Node> {
  const identity = generateIdentity();
  const logger = silentLogger();
  const connector = createNatsConnector({ servers: url }, { clock: systemClock, logger });
  const nats = createNatsBus(
    { cluster: 'bench', nodeId: identity.nodeId, privateKey: signed ? identity.privateKey : null },
    { clock: systemClock, logger, connector },
  );
  const system = new ActorSystem({ nodeId: identity.nodeId, mailboxCapacity: 1_000_000 }, { logger });
  const running = await serviceSpec('nats', () => connector.open()).start({
    path: 'nats',
    system,
    clock: systemClock,
    logger,
  });
  while (!nats.bus.connected()) await new Promise((r) => setTimeout(r, 10));
  const binding = bindRemote(system, nats.bus, { logger });
  await nats.flush();
  return {
    system,
    running,
    close: async () => {
      binding.close();
      await running.stop();
    },
  };
}

const payload = { step: 3, output: 'All 12 tests passed', exitCode: 0 };

async function oursAsk(a: Node, b: Node, samples: number[]): Promise<void> {
  const to = b.system.addressOf('echo');
  for (let i = 0; i < ASKS; i++) {
    const start = process.hrtime.bigint();
    await a.system.ask(to, { type: 'task.step', data: payload });
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
}

async function rawAsk(client: NatsConnection, samples: number[], bytes: Uint8Array): Promise<void> {
  for (let i = 0; i < ASKS; i++) {
    const start = process.hrtime.bigint();
    await client.request('raw.echo', bytes, { timeout: 5000 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
}

async function oursPublish(a: Node, received: () => number): Promise<number> {
  const base = received();
  const data = { node: 'x', status: 'ready', load: 1, maxTasks: 3, tasks: [] };
  const start = process.hrtime.bigint();
  for (let i = 0; i < BROADCASTS; i++) {
    a.system.publish('coordination', { type: 'task.note', data: { ...data, i } });
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  while (received() - base < BROADCASTS) await new Promise((r) => setImmediate(r));
  return BROADCASTS / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function rawPublish(pub: NatsConnection, received: () => number, bytes: Uint8Array): Promise<number> {
  const base = received();
  const start = process.hrtime.bigint();
  for (let i = 0; i < BROADCASTS; i++) {
    pub.publish('raw.coordination', bytes);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  while (received() - base < BROADCASTS) await new Promise((r) => setImmediate(r));
  return BROADCASTS / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** What `oursPublish` broadcasts, as a raw NATS application would: JSON out, JSON in. */
async function rawJsonPublish(pub: NatsConnection, received: () => number): Promise<number> {
  const base = received();
  const data = { node: 'x', status: 'ready', load: 1, maxTasks: 3, tasks: [] };
  const start = process.hrtime.bigint();
  for (let i = 0; i < BROADCASTS; i++) {
    pub.publish('raw.json.coordination', JSON.stringify({ type: 'task.note', data: { ...data, i } }));
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  while (received() - base < BROADCASTS) await new Promise((r) => setImmediate(r));
  return BROADCASTS / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(url: string, signed: boolean): Promise<Figure[]> {
  const mode = signed ? 'signed' : 'unsigned';
  const a = await startNode(url, signed);
  const b = await startNode(url, signed);
  b.system.register('echo', (m) => b.system.reply(m, m.data));
  let got = 0;
  b.system.register('sink', () => {
    got++;
  });
  b.system.subscribe('coordination', 'sink');
  // raw side: the same wire bytes an envelope would carry
  const identity = generateIdentity();
  const sample = sealEnvelope(
    createEnvelope({
      type: 'actor_message',
      from: identity.nodeId,
      data: { to: b.system.addressOf('echo'), type: 'task.step', payload },
    }),
    signed ? identity.privateKey : null,
  ).bytes;
  const client = await connect({ servers: url });
  const server = await connect({ servers: url });
  let rawGot = 0;
  server.subscribe('raw.echo', { callback: (_e, m) => void m.respond(m.data) });
  server.subscribe('raw.coordination', {
    callback: () => {
      rawGot++;
    },
  });
  let rawJsonGot = 0;
  server.subscribe('raw.json.coordination', {
    callback: (_e, m) => {
      const message = JSON.parse(m.string()) as { type?: unknown };
      if (message.type === 'task.note') rawJsonGot++;
    },
  });
  // What ours puts on the wire: NATS messages on the coordination subject, per broadcast.
  let envelopes = 0;
  server.subscribe('bzzz.bench.coordination', {
    callback: () => {
      envelopes++;
    },
  });
  await server.flush();

  // One round of each, not counted: both sides measured warm (compiled, caches filled).
  progress(`nats ${mode} warm-up`);
  await rawAsk(client, [], sample);
  await oursAsk(a, b, []);
  await rawPublish(client, () => rawGot, sample);
  if (!signed) await rawJsonPublish(client, () => rawJsonGot);
  await oursPublish(a, () => got);
  await server.flush();
  envelopes = 0;

  const ask = { ours: [] as number[], raw: [] as number[] };
  const pub = { ours: [] as number[], raw: [] as number[], rawJson: [] as number[] };
  const askP50 = { ours: [] as number[], raw: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    progress(`nats ${mode} round ${round + 1}/${ROUNDS}`);
    const rawSamples: number[] = [];
    const ourSamples: number[] = [];
    await rawAsk(client, rawSamples, sample);
    await oursAsk(a, b, ourSamples);
    ask.raw.push(...rawSamples);
    ask.ours.push(...ourSamples);
    askP50.raw.push(median(rawSamples));
    askP50.ours.push(median(ourSamples));
    pub.raw.push(await rawPublish(client, () => rawGot, sample));
    if (!signed) pub.rawJson.push(await rawJsonPublish(client, () => rawJsonGot));
    pub.ours.push(await oursPublish(a, () => got));
  }
  await server.flush();
  const envelopesPerBroadcast = envelopes / (ROUNDS * BROADCASTS);
  await client.close();
  await server.close();
  await a.close();
  await b.close();

  /** The median of each round's ratio (ours over raw, or raw over ours for a latency). */
  const pairedRatio = (ours: number[], raw: number[], isLatency = false): number =>
    round(median(ours.map((o, i) => (isLatency ? raw[i]! / o : o / raw[i]!))));
  const suffix = signed ? '.signed' : '';
  const askFigure = latency(`nats.ask${suffix}`, 'us', median(askP50.ours), 'nc.request', median(askP50.raw));
  askFigure.ratio = pairedRatio(askP50.ours, askP50.raw, true);
  askFigure.extra = {
    p50_us: round(percentile(ask.ours, 50), 1),
    p99_us: round(percentile(ask.ours, 99), 1),
    baseline_p50_us: round(percentile(ask.raw, 50), 1),
    baseline_p99_us: round(percentile(ask.raw, 99), 1),
    mode,
  };
  const pubFigure = throughput(
    `nats.publish${suffix}`,
    'msg/s',
    median(pub.ours),
    'nc.publish',
    median(pub.raw),
  );
  pubFigure.ratio = pairedRatio(pub.ours, pub.raw);
  // A burst published in one turn leaves as `message_batch` envelopes (see envelope-bus.ts).
  pubFigure.extra = { mode, bytes: sample.length, envelopes_per_broadcast: round(envelopesPerBroadcast, 4) };
  if (signed) return [askFigure, pubFigure];
  const jsonFigure = throughput(
    'nats.publish.json',
    'msg/s',
    median(pub.ours),
    'nc.publish+JSON',
    median(pub.rawJson),
  );
  jsonFigure.ratio = pairedRatio(pub.ours, pub.rawJson);
  jsonFigure.extra = { mode };
  return [askFigure, pubFigure, jsonFigure];
}

async function run(): Promise<Figure[]> {
  const server = await startNatsServer();
  try {
    return [...(await measure(server.url, false)), ...(await measure(server.url, true))];
  } finally {
    await server.stop();
  }
}

export default { name: 'nats', run } satisfies Benchmark;
