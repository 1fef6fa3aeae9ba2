/**
 * Operating a libp2p cluster (issue 14): two `bzzz agent` processes on the libp2p bus. A node
 * alone reports 0 peers and fails its (non-critical) connection and routing-table checks; once
 * a second node bootstraps from it, both export `bzzz_p2p_peers` and
 * `bzzz_dht_routing_table_size` at 1, their checks pass and promtool has nothing to say; and
 * `bzzz p2p peers` lists each node's peer with its addresses and protocols from the node's HTTP.
 * Last, a third node started with `BZZZ_CLUSTER_MEMBERS` listing itself and the first refuses
 * the second's envelopes as `not_member` and never counts it among the nodes it sees.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { BzzzNode } from '../../src/node/node.js';
import { ACTOR_PROTOCOL } from '../../src/protocol/index.js';
import { loadOrCreateIdentity } from '../../src/protocol/identity.js';
import { eventually, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from '../cluster/agents.js';
import { promtoolCheck, value } from '../node/metrics-support.js';

interface Check {
  name: string;
  status: string;
  message: string;
}

const agents: AgentProcess[] = [];
let dir = '';
let env: Record<string, string> = {};
let a: AgentProcess;
let idA = '';
let portA = 0;
let b: AgentProcess | undefined;
let idB = '';

afterAll(async () => {
  await Promise.all(agents.map((x) => x.kill()));
});

beforeAll(async () => {
  dir = clusterDir('bzzz-p2p-ops-');
  const key = join(dir, 'swarm.key');
  writeFileSync(key, (await runCli(['p2p', 'keygen'])).stdout, { mode: 0o600 });
  env = {
    BZZZ_BUS: 'libp2p',
    BZZZ_P2P_PSK_FILE: key,
    BZZZ_P2P_MDNS: 'false',
    BZZZ_FORGE_DIR: join(dir, 'forge'),
    BZZZ_SANDBOX: 'bwrap',
    BZZZ_HEALTH_INTERVAL_MS: '200',
  };
  portA = await freePort();
  a = startAgent('oa', dir, { ...env, BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${portA}` });
  agents.push(a);
  idA = await eventually(() => (a.url() === undefined ? undefined : a.nodeId()), 60_000, 'node oa started');
}, 90_000);

async function scrape(agent: AgentProcess): Promise<string> {
  return (await fetch(`${agent.url()!}/metrics`)).text();
}

async function checks(agent: AgentProcess): Promise<Record<string, Check>> {
  const doc = (await (await fetch(`${agent.url()!}/health/checks`)).json()) as { checks: Check[] };
  return Object.fromEntries(doc.checks.map((c) => [c.name, c]));
}

describe('a node on libp2p, alone and then with a peer', () => {
  it('exports its peers and routing table and checks both; promtool has nothing to say', async () => {
    // alone: 0 peers, both checks failing (not critical: the node stays up)
    const alone = await eventually(
      async () => {
        const seen = await checks(a);
        return seen.p2p_connections?.status === 'fail' && seen.dht_routing_table?.status === 'fail'
          ? seen
          : undefined;
      },
      30_000,
      'the checks of a lone node ran',
    );
    expect(alone.p2p_connections!.message).toContain('no peer connected');
    const lone = await scrape(a);
    expect(value(lone, 'bzzz_p2p_peers')).toBe(0);
    expect(value(lone, 'bzzz_dht_routing_table_size')).toBe(0);
    expect(value(lone, 'bzzz_health_check_up', { check: 'p2p_connections' })).toBe(0);
    expect(await promtoolCheck(lone)).toEqual({ code: 0, output: '' });
    const health = (await (await fetch(`${a.url()!}/health`)).json()) as { status: string };
    expect(health.status).toBe('warn');

    b = startAgent('ob', dir, {
      ...env,
      BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${await freePort()}`,
      BZZZ_P2P_BOOTSTRAP: `/ip4/127.0.0.1/tcp/${portA}/p2p/${idA}`,
    });
    agents.push(b);
    const started = b;
    idB = await eventually(
      () => (started.url() === undefined ? undefined : started.nodeId()),
      60_000,
      'node ob started',
    );
    for (const agent of [a, started]) {
      const text = await eventually(
        async () => {
          const t = await scrape(agent);
          return value(t, 'bzzz_p2p_peers') === 1 && value(t, 'bzzz_dht_routing_table_size') === 1
            ? t
            : undefined;
        },
        30_000,
        `${agent.name} exports one peer, in its routing table`,
      );
      expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
      const seen = await eventually(
        async () => {
          const c = await checks(agent);
          return c.p2p_connections?.status === 'pass' && c.dht_routing_table?.status === 'pass'
            ? c
            : undefined;
        },
        30_000,
        `${agent.name}'s p2p checks pass`,
      );
      expect(seen.p2p_connections!.message).toBe('1 peer connected');
      expect(seen.dht_routing_table!.message).toBe('1 peer in the routing table');
      const after = await scrape(agent);
      expect(value(after, 'bzzz_health_check_up', { check: 'p2p_connections' })).toBe(1);
      expect(value(after, 'bzzz_health_check_up', { check: 'dht_routing_table' })).toBe(1);
    }
  });
});

interface PeersDoc {
  node: string;
  addresses: string[];
  reachability: string;
  relays: string[];
  peers: { id: string; addresses: string[]; protocols: string[]; connection: string }[];
}

describe('bzzz p2p peers', () => {
  it("lists each live node's peer with its addresses and protocols, by --url or the configured port", async () => {
    expect(b, 'the test above started ob').toBeDefined();
    for (const [agent, other] of [
      [a, idB],
      [b!, idA],
    ] as const) {
      // identify tells the protocols a moment after the connection opens
      const doc = await eventually(
        async () => {
          const result = await runCli(['p2p', 'peers', '--json', '--url', agent.url()!]);
          expect(result.code, result.stderr).toBe(0);
          const parsed = JSON.parse(result.stdout) as PeersDoc;
          return parsed.peers[0]?.protocols.includes(ACTOR_PROTOCOL) === true ? parsed : undefined;
        },
        30_000,
        `${agent.name} knows its peer's protocols`,
      );
      expect(doc.node).toBe(agent.nodeId());
      expect(doc.addresses.every((m) => m.endsWith(`/p2p/${agent.nodeId()!}`))).toBe(true);
      expect(doc.peers.map((p) => p.id)).toEqual([other]);
      expect(doc.peers[0]!.addresses.some((m) => m.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true);
      expect(doc.peers[0]!.protocols).toEqual(expect.arrayContaining(['/ipfs/ping/1.0.0', '/meshsub/1.1.0']));
      expect(doc.peers[0]!.connection).toBe('direct');
      // loopback addresses only: nobody outside this host can dial it
      expect(doc.reachability).toBe('private');
      expect(Array.isArray(doc.relays)).toBe(true);
      expect(await (await fetch(`${agent.url()!}/api/v1/p2p/peers`)).json()).toEqual(doc);

      // human output, from the port of the configuration: one line per peer
      const port = new URL(agent.url()!).port;
      const human = await runCli(['p2p', 'peers'], { BZZZ_HTTP_PORT: port });
      expect(human.code, human.stderr).toBe(0);
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const [id, connection, addresses, protocols] = lines[0]!.split(/ {2}/);
      expect(id).toBe(other);
      expect(connection).toBe('direct');
      expect(human.stderr).toContain('reachability: private');
      expect(addresses!.split(',')).toEqual(doc.peers[0]!.addresses);
      expect(protocols!.split(',')).toEqual(doc.peers[0]!.protocols);
    }
  });

  it('says --help, refuses bad usage with 2, and fails in one line where no libp2p node answers', async () => {
    const help = await runCli(['p2p', 'peers', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bzzz p2p peers [--json] [--url URL]');
    expect(help.stdout).toContain('BZZZ_HTTP_PORT');
    for (const args of [
      ['p2p', 'peers', '--nope'],
      ['p2p', 'peers', 'extra'],
      ['p2p', 'peers', '--url', 'not a url'],
      ['p2p', 'peers', '--timeout', '0'],
    ]) {
      const bad = await runCli(args, { BZZZ_HTTP_PORT: '1' });
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const zero = await runCli(['p2p', 'peers'], { BZZZ_HTTP_PORT: '0' });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--url');
    // a node that is not on libp2p says so
    const local = await BzzzNode.start(
      loadConfig({ env: { BZZZ_HTTP_PORT: '0', BZZZ_DATA_DIR: join(dir, 'local') }, cwd: dir }),
    );
    try {
      const off = await runCli(['p2p', 'peers', '--url', local.httpUrl!]);
      expect(off.code).toBe(1);
      expect(off.stderr).toMatch(/HTTP 404: this node is not on libp2p/);
      expect(off.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await local.stop();
    }
    // nobody listening
    const gone = await runCli(['p2p', 'peers', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no bzzz node answered');
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('BZZZ_CLUSTER_MEMBERS on a live node', () => {
  it('hears the listed node and refuses, as not_member, the one left out', async () => {
    expect(b, 'the first test started ob').toBeDefined();
    // the node id is the identity key's, made before the node starts so it can list itself
    const { nodeId: idC } = await loadOrCreateIdentity(join(dir, 'oc'));
    const c = startAgent('oc', dir, {
      ...env,
      BZZZ_CLUSTER_MEMBERS: `${idA},${idC}`,
      BZZZ_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${await freePort()}`,
      BZZZ_P2P_BOOTSTRAP: `/ip4/127.0.0.1/tcp/${portA}/p2p/${idA}`,
    });
    agents.push(c);
    expect(
      await eventually(() => (c.url() === undefined ? undefined : c.nodeId()), 60_000, 'oc started'),
    ).toBe(idC);
    // ob's beats reach oc (through oa's mesh or directly) and are refused there
    await eventually(
      async () => {
        const text = await scrape(c);
        return text.includes('reason="not_member"') &&
          value(text, 'bzzz_messages_rejected_total', { reason: 'not_member' }) > 0
          ? true
          : undefined;
      },
      30_000,
      "oc refused ob's envelopes as not_member",
    );
    const status = await eventually(
      async () => {
        const doc = (await (await fetch(`${c.url()!}/api/v1/status`)).json()) as { nodes: { id: string }[] };
        return doc.nodes.some((n) => n.id === idA) ? doc : undefined;
      },
      30_000,
      'oc sees oa',
    );
    expect(status.nodes.map((n) => n.id)).not.toContain(idB);
    // while oa, which lists no members, still sees ob
    const atA = (await (await fetch(`${a.url()!}/api/v1/status`)).json()) as { nodes: { id: string }[] };
    expect(atA.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([idA, idB, idC]));
  });
});
