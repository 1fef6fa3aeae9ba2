/**
 * A cluster across real hosts (issue 14): three `bzzz agent` processes, each in its own network
 * namespace on a private LAN (a bridge, veth pairs, 10.77.0.0/24; see test/helpers/netns.ts),
 * with no broker and no bootstrap address. They find each other by mDNS multicast only, talk
 * over the libp2p bus behind one cluster key, elect one leader through the forge claim store
 * (the forge directory is shared through the host's filesystem), and do the example tasks
 * plus scripted ones with one pull request each. Run as root (CI does); otherwise it fails
 * naming why.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { seedTasks } from '../../src/node/seed.js';
import { clusterDir, startAgent, type AgentProcess, type StatusDoc } from '../cluster/agents.js';
import { ROOT, eventually, runCli } from '../helpers/cli.js';
import { createLan, type Lan } from '../helpers/netns.js';
import { askAcrossLan } from './netns-asker.js';

const HTTP = 'http://127.0.0.1:9000';
const SCRIPTED = 3;

let lan: Lan | undefined;
let dir: string | undefined;
const agents: AgentProcess[] = [];
afterAll(async () => {
  // processes first: a namespace with a process in it outlives `ip netns delete`
  await Promise.all(agents.map((a) => a.kill()));
  await lan?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Polls `probe` no faster than every 250 ms (each poll may start a process in a namespace). */
function gently<T>(probe: () => Promise<T | undefined>): () => Promise<T | undefined> {
  return async () => {
    try {
      const value = await probe();
      if (value === undefined) await new Promise((r) => setTimeout(r, 250));
      return value;
    } catch (error) {
      await new Promise((r) => setTimeout(r, 250));
      throw error;
    }
  };
}

async function seed(forgeDir: string): Promise<LocalForge> {
  const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
  expect(await seedTasks(forge, join(ROOT, 'examples/tasks'))).toHaveLength(3);
  for (let i = 1; i <= SCRIPTED; i++) {
    await forge.addTask({
      title: `LAN ${i}`,
      repo: 'lan/app',
      body: `\`\`\`bzzz-steps\necho ${i} > lan${i}.txt\n\`\`\`\n`,
    });
  }
  return forge;
}

describe('three agents in three network namespaces on one bridge', () => {
  it(
    'find each other by mDNS, elect one leader, answer asks and do every task once',
    { timeout: 240_000 },
    async () => {
      // three hosts for the agents and a fourth for the peer that asks them
      lan = await createLan(4);
      const hosts = lan.hosts.slice(0, 3);
      dir = clusterDir('bzzz-netns-');
      const forgeDir = join(dir, 'forge');
      const key = join(dir, 'swarm.key');
      writeFileSync(key, (await runCli(['p2p', 'keygen'])).stdout, { mode: 0o600 });
      const env = {
        BZZZ_BUS: 'libp2p',
        BZZZ_P2P_PSK_FILE: key,
        BZZZ_P2P_MDNS: 'true',
        BZZZ_P2P_BOOTSTRAP: '',
        BZZZ_FORGE_DIR: forgeDir,
        BZZZ_SANDBOX: 'bwrap',
        BZZZ_HTTP_PORT: '9000',
        BZZZ_LEASE_TTL_MS: '10000', // no agent is killed here: a long lease rides out a loaded machine
        BZZZ_POLL_INTERVAL_MS: '300',
      };
      for (const [i, host] of hosts.entries()) {
        const listen = { BZZZ_P2P_LISTEN: `/ip4/${host.address}/tcp/9100` };
        agents.push(startAgent(`h${i + 1}`, dir, { ...env, ...listen }, { netns: host.netns }));
      }
      const tail = (): string =>
        agents.map((a) => `${a.name}: ${JSON.stringify(a.logs().slice(-3))}`).join('; ');
      const ids: string[] = [];
      for (const agent of agents)
        ids.push(await eventually(() => agent.nodeId(), 60_000, `${agent.name} started`, tail));

      // membership over gossip: every node lists all three, alive, having met them by mDNS only
      for (const [i, agent] of agents.entries()) {
        let seen: string[] = [];
        await eventually(
          gently(async () => {
            const status = await lan!.getJson<StatusDoc>(hosts[i]!.netns, `${HTTP}/api/v1/status`);
            seen = status.nodes.map((n) => `${n.name}:${n.state}`);
            const alive = status.nodes.filter((n) => n.state === 'alive').map((n) => n.id);
            return ids.every((id) => alive.includes(id)) ? true : undefined;
          }),
          60_000,
          `${agent.name} sees all three nodes alive`,
          () => `it sees ${seen.join(', ') || 'nothing yet'}; ${tail()}`,
        );
      }
      const leaders = await eventually(
        gently(async () => {
          const seen = await Promise.all(
            hosts.map((h) => lan!.getJson<{ node: string } | null>(h.netns, `${HTTP}/api/v1/leader`)),
          );
          return seen.every((l) => l !== null && l.node === seen[0]!.node) ? seen : undefined;
        }),
        60_000,
        'one leader for all three',
        tail,
      );
      expect(ids).toContain(leaders[0]!.node);

      // an ask across the LAN: a fourth peer asks each node's agent actor for its load
      const answers = await askAcrossLan(lan, key, ids);
      expect(answers.map((a) => a.node)).toEqual(ids);
      for (const answer of answers) expect(answer.load).toMatchObject({ running: [], maxTasks: 3 });

      const forge = await seed(forgeDir);
      const records = await eventually(
        gently(async () => {
          const all = await forge.taskRecords();
          return all.length === 3 + SCRIPTED && all.every((r) => r.state === 'done') ? all : undefined;
        }),
        150_000,
        'every task done',
        tail,
      );
      for (const record of records) {
        expect(record.prs, record.key).toHaveLength(1);
        const tokens = (record.effects ?? []).map((e) => e.token);
        expect(tokens, record.key).toEqual([...tokens].sort((x, y) => x - y));
      }
      expect(await Promise.all(agents.map((a) => a.stop()))).toEqual([0, 0, 0]);
    },
  );
});
