/**
 * `p2p.discovery` (issue 14): three libp2p nodes started at once, with mDNS on and no bootstrap
 * address, until each holds an open connection to the two others (mDNS finds a peer, the node
 * dials it: src/adapters/p2p/node.ts). Goal 1 s; as in cluster.join the baseline is the goal
 * and the ratio goal / ours, so ≥ 1 meets it. The value is the median of the trials, the
 * slowest in `extra`.
 *
 * The nodes listen and dial on 127.0.0.1 only; each trial has a swarm key of its own, so other
 * bzzz nodes on this host (other runs, with mDNS on) cannot join it. On this host `lo` has no
 * MULTICAST flag: the mDNS datagrams leave by the default multicast route and reach the host's
 * own sockets by multicast loopback, which Linux does whatever the interface (checked by hand
 * in a network namespace holding only `lo`: the same three nodes found each other there too).
 * A host that drops multicast makes this benchmark fail after its deadline, not report a time.
 */
import { generateSwarmKey, P2PNode } from '../src/adapters/p2p/index.js';
import { silentLogger } from '../src/lib/log.js';
import { generateIdentity } from '../src/protocol/index.js';
import { latency, median, progress, round, type Benchmark, type Figure } from './lib.js';
import { until } from './p2p-nodes.js';

const TRIALS = 5;
const GOAL_MS = 1_000;
/** Past mDNS's second query (10 s after the first): a trial that slow is reported, not cut. */
const TRIAL_DEADLINE_MS = 25_000;

async function trial(): Promise<number> {
  const psk = generateSwarmKey();
  const nodes = [0, 1, 2].map(
    () =>
      new P2PNode(
        { identity: generateIdentity(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: true, psk },
        { logger: silentLogger() },
      ),
  );
  try {
    const start = process.hrtime.bigint();
    await Promise.all(nodes.map((node) => node.start()));
    await until(
      'three nodes to find each other by mDNS',
      () => nodes.every((p) => nodes.every((q) => p === q || p.connectedTo(q.nodeId))),
      TRIAL_DEADLINE_MS,
    );
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    for (const node of nodes) await node.stop();
  }
}

async function run(): Promise<Figure[]> {
  const times: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    progress(`p2p.discovery trial ${i + 1}/${TRIALS}`);
    times.push(await trial());
  }
  const figure = latency('p2p.discovery', 'ms', median(times), 'goal', GOAL_MS);
  figure.extra = {
    max_ms: round(Math.max(...times), 1),
    trials_ms: times.map((t) => round(t, 0)).join(','),
    nodes: 3,
  };
  return [figure];
}

export default { name: 'p2p.discovery', run } satisfies Benchmark;
