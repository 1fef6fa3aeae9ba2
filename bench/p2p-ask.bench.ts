/**
 * `p2p.ask` (issue 14): an actor on one node asks an actor on another over the libp2p bus (the
 * request and the reply each an envelope on a `/bzzz/actor/1.0.0` stream), sequentially,
 * against the same ask over the NATS bus (what nats.ask measures as ours) on a nats-server
 * started for the run, with the same envelope settings; three nodes on each medium, joined as
 * in p2p.broadcast.
 *
 * As in nats.ask: the value is the median of each round's p50, the baseline the NATS bus's;
 * the ratio is the median of each round's NATS p50 / ours (latency: higher is better), so the
 * goal (0.7× of NATS) is a ratio ≥ 0.7. Rounds of both sides run back to back, which goes first
 * alternating. Pooled p50/p99 in `extra`. Unsigned (`sign_messages: false`), as nats.ask;
 * `p2p.ask.signed` beside it.
 */
import { startNatsServer } from '../test/helpers/nats-server.js';
import { latency, median, percentile, progress, round, type Benchmark, type Figure } from './lib.js';
import { startNatsTrio, startP2PTrio, type Trio } from './p2p-nodes.js';

const ROUNDS = 7;
const ASKS = 300;
const WARM_UP = 100;

const payload = { step: 3, output: 'All 12 tests passed', exitCode: 0 };

/** `count` asks from the first node to the second's echo actor; each latency in µs. */
async function asks(trio: Trio, count: number): Promise<number[]> {
  const [a, b] = trio.nodes as [Trio['nodes'][number], Trio['nodes'][number]];
  const to = b.system.addressOf('echo');
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await a.system.ask(to, { type: 'task.step', data: payload });
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return samples;
}

async function measure(url: string, signed: boolean): Promise<Figure> {
  const mode = signed ? 'signed' : 'unsigned';
  const trios: Trio[] = [];
  try {
    trios.push(await startNatsTrio(url, signed));
    trios.push(await startP2PTrio(signed));
    const [nats, p2p] = trios as [Trio, Trio];
    for (const trio of trios) {
      const echo = trio.nodes[1]!.system;
      echo.register('echo', (m) => echo.reply(m, m.data));
    }
    progress(`p2p.ask ${mode} warm-up`);
    await asks(nats, WARM_UP);
    await asks(p2p, WARM_UP);
    const pooled = { ours: [] as number[], base: [] as number[] };
    const p50s = { ours: [] as number[], base: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      progress(`p2p.ask ${mode} round ${r + 1}/${ROUNDS}`);
      let ours: number[];
      let base: number[];
      if (r % 2 === 0) {
        base = await asks(nats, ASKS);
        ours = await asks(p2p, ASKS);
      } else {
        ours = await asks(p2p, ASKS);
        base = await asks(nats, ASKS);
      }
      pooled.ours.push(...ours);
      pooled.base.push(...base);
      p50s.ours.push(median(ours));
      p50s.base.push(median(base));
    }
    const suffix = signed ? '.signed' : '';
    const figure = latency(`p2p.ask${suffix}`, 'us', median(p50s.ours), 'nats bus ask', median(p50s.base));
    figure.ratio = round(median(p50s.ours.map((ours, i) => p50s.base[i]! / ours)));
    figure.extra = {
      p50_us: round(percentile(pooled.ours, 50), 1),
      p99_us: round(percentile(pooled.ours, 99), 1),
      baseline_p50_us: round(percentile(pooled.base, 50), 1),
      baseline_p99_us: round(percentile(pooled.base, 99), 1),
      asks_per_s: round(pooled.ours.length / (pooled.ours.reduce((a, b) => a + b, 0) / 1e6), 1),
      baseline_asks_per_s: round(pooled.base.length / (pooled.base.reduce((a, b) => a + b, 0) / 1e6), 1),
      mode,
    };
    return figure;
  } finally {
    for (const trio of trios.reverse()) await trio.close();
  }
}

async function run(): Promise<Figure[]> {
  const server = await startNatsServer();
  try {
    return [await measure(server.url, false), await measure(server.url, true)];
  } finally {
    await server.stop();
  }
}

export default { name: 'p2p.ask', run } satisfies Benchmark;
