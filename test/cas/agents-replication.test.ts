/**
 * Replication across processes (issue 15, "done when"): three `bzzz agent` processes on one
 * nats-server; a 1 MiB blob pinned on one (written into its data dir by another process, as
 * `bzzz cas put` does) reaches all three; one is killed with SIGKILL, a fourth starts, and the
 * factor is back to 3 without anyone asking: the survivors list the fourth as a holder and its
 * own store holds the blob, verified.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContentStore, type ContentStore } from '../../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually, runCli } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from '../cluster/agents.js';

const DEADLINE_MS = 90_000;
let nats: NatsServerHandle;
const agents: AgentProcess[] = [];
const stores: ContentStore[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.stop()));
  await Promise.all(agents.map((a) => a.kill()));
  await nats.stop();
});

async function openStore(agent: AgentProcess): Promise<ContentStore> {
  const store = createContentStore(
    { dataDir: agent.dataDir },
    { logger: silentLogger(), clock: systemClock },
  );
  await store.start();
  stores.push(store);
  return store;
}

async function holders(agent: AgentProcess, hash: string): Promise<string[] | undefined> {
  const url = agent.url();
  if (url === undefined) return undefined;
  const response = await fetch(`${url}/api/v1/cas/${hash}`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { holders: string[] }).holders.slice().sort();
}

describe('agent processes on NATS', () => {
  it(
    'replicate a pinned blob to three and restore the factor after a SIGKILL',
    { timeout: 300_000 },
    async () => {
      const dir = clusterDir('bzzz-cas-agents-');
      const env = {
        BZZZ_NATS_URL: nats.url,
        BZZZ_FORGE_DIR: join(dir, 'forge'),
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_CAS_REANNOUNCE_MS: '1000',
      };
      for (const name of ['c1', 'c2', 'c3']) agents.push(startAgent(name, dir, env));
      const explain = () =>
        agents
          .map((a) => `${a.name}: ${JSON.stringify(a.logs().slice(-4))}`)
          .join(' | ')
          .slice(0, 4000);
      const ids = await eventually(
        () => {
          const found = agents.map((a) => (a.url() === undefined ? undefined : a.nodeId()));
          return found.every((id) => id !== undefined) ? found : undefined;
        },
        DEADLINE_MS,
        'three agents started',
        explain,
      );
      const bytes = randomBytes(1024 * 1024);
      const { hash } = await (await openStore(agents[0]!)).put(bytes, { pin: true });
      const all = [...ids].sort().join();
      for (const agent of agents)
        await eventually(
          async () => ((await holders(agent, hash))?.join() === all ? true : undefined),
          DEADLINE_MS,
          `${agent.name} lists three holders`,
          explain,
        );

      const victim = agents[2]!;
      await victim.kill();
      const fourth = startAgent('c4', dir, env);
      agents.push(fourth);
      const fourthId = await eventually(
        () => (fourth.url() === undefined ? undefined : fourth.nodeId()),
        DEADLINE_MS,
      );
      const restored = [ids[0]!, ids[1]!, fourthId].sort().join();
      for (const agent of [agents[0]!, agents[1]!, fourth])
        await eventually(
          async () => ((await holders(agent, hash))?.join() === restored ? true : undefined),
          DEADLINE_MS,
          `${agent.name} lists c1, c2 and c4 as holders`,
          explain,
        );
      const copy = await (await openStore(fourth)).get(hash);
      expect(Buffer.from(copy).equals(bytes)).toBe(true);
      const metrics = await (await fetch(`${fourth.url()!}/metrics`)).text();
      expect(metrics).toMatch(/bzzz_cas_under_replicated\{[^}]*\} 0/);
      // `bzzz cas stat` shows the holders the running node knows, beside the local entry
      const stat = await runCli(['cas', 'stat', hash, '--json', '--url', fourth.url()!], {
        BZZZ_DATA_DIR: fourth.dataDir,
      });
      expect(stat.stderr).toBe('');
      const shown = JSON.parse(stat.stdout) as {
        local: { size: number };
        replication: { holders: string[]; wanted: number };
      };
      expect(shown.local.size).toBe(bytes.length);
      expect(shown.replication.holders.slice().sort().join()).toBe(restored);
      expect(shown.replication.wanted).toBe(3);
    },
  );
});
