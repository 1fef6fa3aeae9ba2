/**
 * Membership of real `bzzz agent` processes on one nats-server (issue 5's "done when"):
 *
 * - `cluster.join`: two agents just started (both answering HTTP) until each lists the other
 *   as `alive` in its read model (`/api/v1/peers`, what `bzzz status` shows); goal 3 s.
 * - `cluster.dead`: one of them killed with SIGKILL until the other shows it `dead`; goal 6 s
 *   (beats every second, suspect after 3 missed, dead after 5).
 *
 * Each trial runs on a cluster name of its own, so no earlier trial's peers linger. The
 * baseline is the goal; ratio goal / ours, so ≥ 1 meets it. After the last trial `bzzz status
 * --json` is asked once, to check the command shows what the read model did.
 */
import { startNatsServer } from '../test/helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess, type StatusDoc } from '../test/cluster/agents.js';
import { runCli } from '../test/helpers/cli.js';
import { latency, median, progress, round, type Benchmark, type Figure } from './lib.js';

const TRIALS = 3;
const JOIN_GOAL_MS = 3000;
const DEAD_GOAL_MS = 6000;

interface PeerDoc {
  id: string;
  name: string;
  state: string;
}

async function peers(agent: AgentProcess): Promise<PeerDoc[]> {
  const url = agent.url();
  if (url === undefined) return [];
  try {
    return (await (await fetch(`${url}/api/v1/peers`)).json()) as PeerDoc[];
  } catch {
    return [];
  }
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sees = async (agent: AgentProcess, name: string, state: string): Promise<boolean> =>
  (await peers(agent)).some((p) => p.name === name && p.state === state);

async function run(): Promise<Figure[]> {
  const server = await startNatsServer();
  const dir = clusterDir('bzzz-bench-cluster-');
  const joins: number[] = [];
  const deaths: number[] = [];
  const agents: AgentProcess[] = [];
  let shown = false;
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      progress(`cluster trial ${trial + 1}/${TRIALS}`);
      const env = {
        BZZZ_NATS_URL: server.url,
        BZZZ_CLUSTER: `bench${trial}`,
        BZZZ_FORGE_DIR: `${dir}/forge${trial}`,
        BZZZ_SANDBOX: 'bwrap',
      };
      const a = startAgent(`a${trial}`, dir, env);
      const b = startAgent(`b${trial}`, dir, env);
      agents.push(a, b);
      await until('both agents answering HTTP', () => a.url() !== undefined && b.url() !== undefined);
      let start = Date.now();
      await until('the two agents to see each other', async () => {
        const [ab, ba] = await Promise.all([sees(a, b.name, 'alive'), sees(b, a.name, 'alive')]);
        return ab && ba;
      });
      joins.push(Date.now() - start);
      if (trial === TRIALS - 1) {
        const result = await runCli(['status', '--json'], {
          BZZZ_NATS_URL: server.url,
          BZZZ_CLUSTER: env.BZZZ_CLUSTER,
        });
        const status = result.code === 0 ? (JSON.parse(result.stdout) as StatusDoc) : undefined;
        shown = [a.name, b.name].every((n) =>
          status?.nodes.some((node) => node.name === n && node.state === 'alive'),
        );
      }
      await b.kill();
      start = Date.now();
      await until('the killed agent shown dead', () => sees(a, b.name, 'dead'));
      deaths.push(Date.now() - start);
      await a.kill();
    }
  } finally {
    await Promise.all(agents.map((agent) => agent.kill()));
    await server.stop();
  }
  if (!shown) throw new Error('bzzz status --json did not show both agents');
  const join = latency('cluster.join', 'ms', median(joins), 'goal', JOIN_GOAL_MS);
  join.extra = { max_ms: Math.max(...joins), trials: TRIALS };
  const dead = latency('cluster.dead', 'ms', median(deaths), 'goal', DEAD_GOAL_MS);
  dead.extra = { max_ms: Math.max(...deaths), trials: TRIALS };
  for (const figure of [join, dead]) figure.value = round(figure.value, 0);
  return [join, dead];
}

export default { name: 'cluster', run } satisfies Benchmark;
