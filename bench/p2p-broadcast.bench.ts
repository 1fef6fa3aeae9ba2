/**
 * `p2p.broadcast` (issue 14): publish-to-delivery latency of a broadcast between three nodes
 * on loopback, over the libp2p bus (gossipsub; `P2PNode`s joined by bootstrap, mDNS off, one
 * swarm key), against the NATS bus on a nats-server started for the run, with the same
 * envelope settings: each node's actor system publishes on `coordination` in turn, and the
 * time until each of the two others delivers it to a subscribed actor is one sample. One
 * broadcast at a time (the next leaves once both got the last), so none is batched.
 *
 * The value is the p99 of every round's samples, the baseline the NATS bus's p99 over rounds
 * run back to back with ours (which side goes first alternates); ratio NATS p99 / ours, so
 * the goal (p99 within 2× of NATS) is a ratio ≥ 0.5. p50s in `extra`. Unsigned envelopes
 * (`sign_messages: false`), as nats.ask measures; `p2p.broadcast.signed` beside it, with
 * the envelope signatures a cluster has by default. Gossipsub itself signs nothing in either
 * mode (see src/adapters/p2p/options.ts).
 */
import { startNatsServer } from '../test/helpers/nats-server.js';
import { latency, percentile, progress, round, type Benchmark, type Figure } from './lib.js';
import { startNatsTrio, startP2PTrio, type Trio } from './p2p-nodes.js';

const ROUNDS = 7;
/** Broadcasts per round and side; two deliveries (samples) each. */
const BROADCASTS = 300;
const WARM_UP = 100;
/** A broadcast not delivered by then is lost: the benchmark fails rather than wait. */
const DELIVERY_DEADLINE_MS = 10_000;

interface Inflight {
  seq: number;
  from: number;
  start: bigint;
  left: number;
  samples: number[];
  done: () => void;
}

/** Publishes from each node in turn; each delivery's latency in µs goes to `samples`. */
class BroadcastProbe {
  #seq = 0;
  #inflight: Inflight | undefined;

  constructor(private readonly trio: Trio) {
    trio.nodes.forEach((node, index) => {
      node.system.register('probe', (message) => this.#delivered(index, message.data));
      node.system.subscribe('coordination', 'probe');
    });
  }

  async run(count: number, samples: number[]): Promise<void> {
    for (let i = 0; i < count; i++) {
      const from = i % this.trio.nodes.length;
      const seq = ++this.#seq;
      let timer: NodeJS.Timeout | undefined;
      const delivered = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`broadcast ${seq} not delivered in ${DELIVERY_DEADLINE_MS} ms`)),
          DELIVERY_DEADLINE_MS,
        );
        this.#inflight = { seq, from, start: process.hrtime.bigint(), left: 2, samples, done: resolve };
      });
      this.trio.nodes[from]!.system.publish('coordination', {
        type: 'task.note',
        data: { seq, from, node: 'x', status: 'ready', load: 1, maxTasks: 3, tasks: [] },
      });
      try {
        await delivered;
      } finally {
        clearTimeout(timer);
        this.#inflight = undefined;
      }
    }
  }

  #delivered(at: number, data: unknown): void {
    const now = process.hrtime.bigint();
    const inflight = this.#inflight;
    const { seq } = data as { seq?: unknown };
    // the publisher's own subscriber gets it locally; only the two others count
    if (inflight === undefined || seq !== inflight.seq || at === inflight.from) return;
    inflight.samples.push(Number(now - inflight.start) / 1e3);
    if (--inflight.left === 0) inflight.done();
  }
}

async function measure(url: string, signed: boolean): Promise<Figure> {
  const mode = signed ? 'signed' : 'unsigned';
  const trios: Trio[] = [];
  try {
    trios.push(await startNatsTrio(url, signed));
    trios.push(await startP2PTrio(signed));
    const [nats, p2p] = trios.map((trio) => new BroadcastProbe(trio)) as [BroadcastProbe, BroadcastProbe];
    progress(`p2p.broadcast ${mode} warm-up`);
    await nats.run(WARM_UP, []);
    await p2p.run(WARM_UP, []);
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      progress(`p2p.broadcast ${mode} round ${r + 1}/${ROUNDS}`);
      if (r % 2 === 0) {
        await nats.run(BROADCASTS, base);
        await p2p.run(BROADCASTS, ours);
      } else {
        await p2p.run(BROADCASTS, ours);
        await nats.run(BROADCASTS, base);
      }
    }
    const suffix = signed ? '.signed' : '';
    const figure = latency(
      `p2p.broadcast${suffix}`,
      'us',
      percentile(ours, 99),
      'nats bus p99',
      percentile(base, 99),
    );
    figure.extra = {
      p50_us: round(percentile(ours, 50), 1),
      baseline_p50_us: round(percentile(base, 50), 1),
      samples: ours.length,
      nodes: 3,
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

export default { name: 'p2p.broadcast', run } satisfies Benchmark;
