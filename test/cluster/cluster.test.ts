/**
 * Three `bzzz agent` processes on one nats-server (issues 5 and 6, "done when"): they see each
 * other in `bzzz status --json` and elect one leader; garbage on the coordination subject is
 * counted as rejected and nothing else happens; a leader killed with SIGKILL is shown dead and
 * replaced by another leader with a higher term.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { eventually } from '../helpers/cli.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { clusterDir, clusterStatus, startAgent, type AgentProcess } from './agents.js';

let nats: NatsServerHandle;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await nats.stop();
});

describe('a cluster of agent processes on NATS', () => {
  it('elects one leader, rejects garbage, and replaces a killed leader', async () => {
    const dir = clusterDir('bzzz-cluster-');
    const env = { BZZZ_NATS_URL: nats.url, BZZZ_FORGE_DIR: `${dir}/forge`, BZZZ_SANDBOX: 'bwrap' };
    for (const name of ['n1', 'n2', 'n3']) agents.push(startAgent(name, dir, env));

    let seen: unknown;
    const lastSeen = (): string =>
      `last status ${JSON.stringify(seen)}; logs: ${agents
        .map((a) => `${a.name}: ${JSON.stringify(a.logs().slice(-5))}`)
        .join(' | ')
        .slice(0, 4000)}`;
    const first = await eventually(
      async () => {
        const status = await clusterStatus(nats.url);
        seen = status;
        const alive = status?.nodes.filter((n) => n.state === 'alive').length ?? 0;
        return status !== undefined && alive === 3 && status.leader !== null ? status : undefined;
      },
      60_000,
      'three alive nodes and a leader',
      lastSeen,
    );
    const leaderId = first.leader!.node;
    const leaderName = first.nodes.find((n) => n.id === leaderId)!.name;
    // every node names the same leader
    for (const agent of agents) {
      const url = await eventually(() => agent.url());
      const leader = (await (await fetch(`${url}/api/v1/leader`)).json()) as {
        node: string;
        term: number;
      } | null;
      expect(leader?.node).toBe(leaderId);
    }

    // garbage on the coordination subject: counted, nothing else
    const nc = await connect({ servers: nats.url });
    for (const junk of ['not json', '{"v":1}', '{"v":99,"type":"x"}'])
      nc.publish('bzzz.local.coordination', junk);
    await nc.flush();
    await nc.close();
    const someone = agents[0]!;
    const metrics = await eventually(async () => {
      const text = await (await fetch(`${someone.url()!}/metrics`)).text();
      return /bzzz_messages_rejected_total\{reason="bad_json"[^}]*\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/bzzz_messages_rejected_total\{reason="unsupported_version"[^}]*\} [1-9]/);
    expect((await fetch(`${someone.url()!}/health/ready`)).status).toBe(200);

    // kill -9 the leader
    const victim = agents.find((a) => a.name === leaderName)!;
    await victim.kill();
    const after = await eventually(
      async () => {
        const status = await clusterStatus(nats.url);
        seen = status;
        const dead = status?.nodes.find((n) => n.name === leaderName)?.state === 'dead';
        return status?.leader && status.leader.node !== leaderId && dead ? status : undefined;
      },
      60_000,
      'a new leader, the old one shown dead',
      lastSeen,
    );
    expect(after.leader!.term).toBeGreaterThan(first.leader!.term);
    expect(
      after.nodes
        .filter((n) => n.state === 'alive')
        .map((n) => n.name)
        .sort(),
    ).toEqual(
      agents
        .filter((a) => a !== victim)
        .map((a) => a.name)
        .sort(),
    );

    // the nats-server dies and comes back: the nodes are not ready meanwhile, then go on
    const survivors = agents.filter((a) => a !== victim);
    await nats.kill();
    for (const agent of survivors) {
      await eventually(async () =>
        (await fetch(`${agent.url()!}/health/ready`)).status === 503 ? true : undefined,
      );
    }
    await nats.restart();
    for (const agent of survivors) {
      await eventually(
        async () => ((await fetch(`${agent.url()!}/health/ready`)).status === 200 ? true : undefined),
        60_000,
        `${agent.name} ready again after the server came back`,
        lastSeen,
      );
    }
    await eventually(
      async () => {
        const status = await clusterStatus(nats.url);
        seen = status;
        const alive = status?.nodes.filter((n) => n.state === 'alive').length ?? 0;
        return status?.leader && alive === 2 ? true : undefined;
      },
      60_000,
      'two alive nodes and a leader after the server came back',
      lastSeen,
    );
  }, 240_000);
});
