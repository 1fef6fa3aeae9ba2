/**
 * A cluster with no broker (issue 14): two `bzzz agent` processes on the libp2p bus, joined by
 * a bootstrap address and a cluster key, sharing one local forge whose directory also holds
 * the lease table (the `forge` claim store). They elect one leader, see each other, and do
 * the tasks with one pull request each; `bzzz status` asks one of them over libp2p; one killed
 * with SIGKILL is shown dead by the other. And the refusals: no key beyond loopback, no shared
 * claim store, and `bzzz p2p keygen`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { parseSwarmKey } from '../../src/adapters/p2p/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';
import { eventually, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from '../cluster/agents.js';

const agents: AgentProcess[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
});

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  return (await response.json()) as T;
}

describe('bzzz p2p keygen', () => {
  it('prints a swarm key that parses, and says how to use it', async () => {
    const made = await runCli(['p2p', 'keygen']);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
    expect(() => parseSwarmKey(made.stdout)).not.toThrow();
    expect((await runCli(['p2p', 'keygen'])).stdout).not.toBe(made.stdout);
    expect((await runCli(['p2p', '--help'])).stdout).toContain('BZZZ_P2P_PSK_FILE');
    const bad = await runCli(['p2p', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown p2p command');
  });
});

describe('a node on the libp2p bus', () => {
  it('refuses to listen beyond loopback without a cluster key, in one line naming the fix', async () => {
    const dir = clusterDir('bzzz-p2p-refuse-');
    const result = await runCli(['agent'], {
      BZZZ_DATA_DIR: join(dir, 'a'),
      BZZZ_BUS: 'libp2p',
      BZZZ_P2P_LISTEN: '/ip4/0.0.0.0/tcp/0',
      BZZZ_HTTP_PORT: '0',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('without a cluster key');
    expect(result.stderr).toContain('bzzz p2p keygen');
  });

  it('refuses to claim without a claim store every node shares', async () => {
    const dir = clusterDir('bzzz-p2p-refuse-');
    const result = await runCli(['agent'], {
      BZZZ_DATA_DIR: join(dir, 'a'),
      BZZZ_BUS: 'libp2p',
      BZZZ_CLAIMS: 'memory',
      BZZZ_P2P_LISTEN: '/ip4/127.0.0.1/tcp/0',
      BZZZ_HTTP_PORT: '0',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('BZZZ_BUS=libp2p needs a claim store all nodes share');
  });
});

describe('two agents on libp2p with the forge claim store', () => {
  it('elect one leader, see each other and do every task once', { timeout: 180_000 }, async () => {
    const dir = clusterDir('bzzz-p2p-cluster-');
    const forgeDir = join(dir, 'forge');
    const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
    const TASKS = 4;
    for (let i = 1; i <= TASKS; i++) {
      await forge.addTask({
        title: `P2P ${i}`,
        repo: 'p2p/app',
        body: `\`\`\`bzzz-steps\necho ${i} > p${i}.txt\n\`\`\`\n`,
      });
    }
    const key = join(dir, 'swarm.key');
    writeFileSync(key, (await runCli(['p2p', 'keygen'])).stdout, { mode: 0o600 });
    const env = {
      BZZZ_BUS: 'libp2p',
      BZZZ_P2P_PSK_FILE: key,
      BZZZ_P2P_MDNS: 'false',
      BZZZ_FORGE_DIR: forgeDir,
      BZZZ_SANDBOX: 'bwrap',
      BZZZ_LEASE_TTL_MS: '10000', // no agent is killed here: a long lease rides out a loaded machine
      BZZZ_POLL_INTERVAL_MS: '300',
    };
    const portA = await freePort();
    const a = startAgent('pa', dir, { ...env, BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${portA}` });
    agents.push(a);
    const idA = await eventually(
      () => a.nodeId(),
      60_000,
      'node pa started',
      () => JSON.stringify(a.logs().slice(-5)),
    );
    const portB = await freePort();
    const b = startAgent('pb', dir, {
      ...env,
      BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${portB}`,
      BZZZ_P2P_BOOTSTRAP: `/ip4/127.0.0.1/tcp/${portA}/p2p/${idA}`,
    });
    agents.push(b);
    const idB = await eventually(() => b.nodeId(), 60_000, 'node pb started');

    // each sees the other through membership on the libp2p bus, and both follow one leader
    for (const agent of [a, b]) {
      await eventually(
        async () => {
          const url = agent.url();
          if (url === undefined) return undefined;
          const status = await json<{ nodes: { id: string }[] }>(`${url}/api/v1/status`);
          const ids = status.nodes.map((n) => n.id);
          return ids.includes(idA) && ids.includes(idB) ? true : undefined;
        },
        60_000,
        `${agent.name} sees both nodes`,
      );
    }
    const leaders = await eventually(
      async () => {
        const seen = await Promise.all(
          [a, b].map((x) => json<{ node: string } | null>(`${x.url()!}/api/v1/leader`)),
        );
        return seen.every((l) => l !== null && l.node === seen[0]!.node) ? seen : undefined;
      },
      60_000,
      'one leader for both',
    );
    expect([idA, idB]).toContain(leaders[0]!.node);

    // `bzzz status` over libp2p: one node asked (no peer id needed), both described, one leader
    // (the leader read before and after it; asked again only if an election fell in between)
    type StatusDoc = { nodes: { id: string; state: string }[]; leader: { node: string } };
    const leaderOfB = async () => (await json<{ node: string } | null>(`${b.url()!}/api/v1/leader`))?.node;
    const { doc, leader } = await eventually(
      async () => {
        const before = await leaderOfB();
        const status = await runCli(['status', '--json', '--peer', `/ip4/127.0.0.1/tcp/${portB}`], {
          BZZZ_P2P_PSK_FILE: key,
        });
        const after = await leaderOfB();
        if (before === undefined || before !== after) return undefined;
        expect(status.stderr).toBe('');
        return { doc: JSON.parse(status.stdout) as StatusDoc, leader: after };
      },
      60_000,
      'a status read while the leader stood',
    );
    expect(doc.nodes.map((n) => [n.id, n.state]).sort()).toEqual(
      [
        [idA, 'alive'],
        [idB, 'alive'],
      ].sort(),
    );
    expect(doc.leader.node).toBe(leader);
    // BZZZ_BUS=libp2p alone: the bootstrap list says whom to ask
    const human = await runCli(['status'], {
      BZZZ_BUS: 'libp2p',
      BZZZ_P2P_PSK_FILE: key,
      BZZZ_P2P_BOOTSTRAP: `/ip4/127.0.0.1/tcp/${portA}/p2p/${idA}`,
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('nodes (2):');
    // without the cluster key the connection cannot complete: one line, exit 1
    const otherKey = join(dir, 'other.key');
    writeFileSync(otherKey, (await runCli(['p2p', 'keygen'])).stdout, { mode: 0o600 });
    const refused = await runCli(['status', '--peer', `/ip4/127.0.0.1/tcp/${portA}`], {
      BZZZ_P2P_PSK_FILE: otherKey,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no bzzz node answered over libp2p');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const records = await eventually(
      async () => {
        const list = await forge.taskRecords('p2p/app');
        return list.length === TASKS && list.every((r) => r.state === 'done') ? list : undefined;
      },
      120_000,
      'every task done',
      () => JSON.stringify(a.logs().slice(-3)) + JSON.stringify(b.logs().slice(-3)),
    );
    for (const record of records) {
      expect(record.prs, record.key).toHaveLength(1);
      const tokens = (record.effects ?? []).map((e) => e.token);
      expect(tokens, record.key).toEqual([...tokens].sort((x, y) => x - y));
    }

    // a node killed with SIGKILL is shown dead by the other, through libp2p membership alone
    const killedAt = Date.now();
    await b.kill();
    await eventually(
      async () => {
        const status = await json<{ nodes: { id: string; state: string }[] }>(`${a.url()!}/api/v1/status`);
        return status.nodes.find((n) => n.id === idB)?.state === 'dead' ? true : undefined;
      },
      60_000,
      'pa shows pb dead',
    );
    console.log(`pb shown dead by pa ${Date.now() - killedAt} ms after kill -9`);
    expect(await a.stop()).toBe(0);
  });
});
