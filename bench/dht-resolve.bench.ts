/**
 * `dht.resolve` (issue 14): five libp2p nodes on loopback (mDNS off, one swarm key, joined by
 * bootstrap, each connected to the four others), each with a names service. Each iteration
 * publishes a new value of one name on the first node (signed, pushed to its peers, put into
 * the DHT), then resolves it on the second and checks it got that value. The latency is the
 * resolve's; the baseline is a raw libp2p stream round trip between the same two nodes
 * (libp2p ping: open a stream, 32 bytes there and back), measured in the same rounds. Goal:
 * p99 ≤ 50 ms.
 *
 * The value is the median of each round's p50; the ratio the median of each round's
 * ping p50 / resolve p50 (latency: higher is better), rounds alternating which goes first.
 * Pooled p50/p99 of the resolve, the ping, the publish, and of a resolve through the DHT walk
 * alone (`dhtOnly`: no connected peer asked) in `extra`.
 */
import { generateSwarmKey, NameService, P2PNode } from '../src/adapters/p2p/index.js';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { generateIdentity } from '../src/protocol/index.js';
import { latency, median, percentile, progress, round, type Benchmark, type Figure } from './lib.js';
import { until } from './p2p-nodes.js';

const NODES = 5;
const ROUNDS = 5;
const ITERATIONS = 100;
const WALKS = 20;
const WARM_UP = 50;

interface Member {
  p2p: P2PNode;
  names: NameService;
}

async function startFive(): Promise<Member[]> {
  const psk = generateSwarmKey();
  const logger = silentLogger();
  const members: Member[] = [];
  try {
    for (let i = 0; i < NODES; i++) {
      const identity = generateIdentity();
      const p2p = new P2PNode(
        {
          identity,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          bootstrap: members.map((m) => m.p2p.addresses()[0]!),
          mdns: false,
          psk,
        },
        { logger },
      );
      const names = new NameService({ identity }, { node: p2p, clock: systemClock, logger });
      members.push({ p2p, names });
      await p2p.start();
    }
    await until('five nodes connected to each other, each in every routing table', () =>
      members.every(
        (m) =>
          m.p2p.routingTableSize() >= NODES - 1 &&
          members.every((o) => o === m || m.p2p.connectedTo(o.p2p.nodeId)),
      ),
    );
  } catch (error) {
    await stopAll(members);
    throw error;
  }
  return members;
}

async function stopAll(members: Member[]): Promise<void> {
  for (const m of members.reverse()) {
    await m.names.close();
    await m.p2p.stop();
  }
}

let counter = 0;

/** `count` publish-then-resolve iterations; publish and resolve latencies in µs. */
async function resolves(
  members: Member[],
  count: number,
  dhtOnly = false,
): Promise<{ resolve: number[]; publish: number[] }> {
  const [owner, reader] = members as [Member, Member];
  const path = ['demo~calc:1', 'log'];
  const out = { resolve: [] as number[], publish: [] as number[] };
  for (let i = 0; i < count; i++) {
    const value = `bzzz://blob/${(++counter).toString(16).padStart(64, '0')}`;
    let start = process.hrtime.bigint();
    const published = await owner.names.publish(path, value);
    out.publish.push(Number(process.hrtime.bigint() - start) / 1e3);
    start = process.hrtime.bigint();
    const found = await reader.names.resolve({ node: owner.p2p.nodeId, path }, { dhtOnly });
    out.resolve.push(Number(process.hrtime.bigint() - start) / 1e3);
    if (found.value !== value || found.seq !== published.record.seq) {
      throw new Error(`resolved ${found.value} (seq ${found.seq}), expected ${value}`);
    }
  }
  return out;
}

/** `count` pings from the reader to the owner, in µs. */
async function pings(members: Member[], count: number): Promise<number[]> {
  const [owner, reader] = members as [Member, Member];
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await reader.p2p.ping(owner.p2p.nodeId);
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return samples;
}

async function run(): Promise<Figure[]> {
  const members = await startFive();
  try {
    progress('dht.resolve warm-up');
    await resolves(members, WARM_UP);
    await resolves(members, 5, true);
    await pings(members, WARM_UP);
    const pooled = {
      ours: [] as number[],
      base: [] as number[],
      publish: [] as number[],
      walk: [] as number[],
    };
    const p50s = { ours: [] as number[], base: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      progress(`dht.resolve round ${r + 1}/${ROUNDS}`);
      let ours: { resolve: number[]; publish: number[] };
      let base: number[];
      if (r % 2 === 0) {
        base = await pings(members, ITERATIONS);
        ours = await resolves(members, ITERATIONS);
      } else {
        ours = await resolves(members, ITERATIONS);
        base = await pings(members, ITERATIONS);
      }
      pooled.ours.push(...ours.resolve);
      pooled.publish.push(...ours.publish);
      pooled.base.push(...base);
      pooled.walk.push(...(await resolves(members, WALKS, true)).resolve);
      p50s.ours.push(median(ours.resolve));
      p50s.base.push(median(base));
    }
    const figure = latency('dht.resolve', 'us', median(p50s.ours), 'libp2p ping', median(p50s.base));
    figure.ratio = round(median(p50s.ours.map((ours, i) => p50s.base[i]! / ours)));
    figure.extra = {
      p50_us: round(percentile(pooled.ours, 50), 1),
      p99_us: round(percentile(pooled.ours, 99), 1),
      baseline_p50_us: round(percentile(pooled.base, 50), 1),
      baseline_p99_us: round(percentile(pooled.base, 99), 1),
      publish_p50_us: round(percentile(pooled.publish, 50), 1),
      publish_p99_us: round(percentile(pooled.publish, 99), 1),
      walk_p50_us: round(percentile(pooled.walk, 50), 1),
      walk_p99_us: round(percentile(pooled.walk, 99), 1),
      nodes: NODES,
      goal_p99_ms: 50,
    };
    return [figure];
  } finally {
    await stopAll(members);
  }
}

export default { name: 'dht.resolve', run } satisfies Benchmark;
