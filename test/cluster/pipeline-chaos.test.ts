/**
 * The whole pipeline under chaos (issue 6): three `bzzz agent` processes on one nats-server
 * share a local forge with 30 scripted tasks while a nemesis kills -9 and restarts agents.
 * At the end every task is done with exactly one PR and one branch, no push was made under a
 * lease that had expired or been superseded, and no container is left.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../src/adapters/forge/git.js';
import { LocalForge } from '../../src/adapters/forge/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { clusterDir, startAgent, type AgentProcess } from './agents.js';

const TASKS = 30;
const KILLS = 6;

let nats: NatsServerHandle;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await nats.stop();
});

function containers(): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', 'label=bzzz.node'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

describe('the pipeline on a cluster under kill -9', () => {
  it('does every task once, pushes only under a live lease, and leaks no container', async () => {
    const dir = clusterDir('bzzz-chaos-');
    const forgeDir = join(dir, 'forge');
    const forge = new LocalForge({ dir: forgeDir }, { logger: silentLogger(), clock: systemClock });
    for (let i = 1; i <= TASKS; i++) {
      await forge.addTask({
        title: `Chaos ${i}`,
        repo: 'chaos/repo',
        body: `\`\`\`bzzz-steps\necho ${i} > c${i}.txt\nsleep 0.$((${i} % 7 + 2))\n\`\`\`\n`,
      });
    }
    const env = {
      BZZZ_NATS_URL: nats.url,
      BZZZ_FORGE_DIR: forgeDir,
      BZZZ_SANDBOX: 'docker',
      BZZZ_LEASE_TTL_MS: '3000',
      BZZZ_POLL_INTERVAL_MS: '300',
    };
    for (const name of ['c1', 'c2', 'c3']) agents.push(startAgent(name, dir, env));

    let kills = 0;
    const deadline = Date.now() + 240_000;
    let nextKill = Date.now() + 3_000;
    for (;;) {
      const records = await forge.taskRecords('chaos/repo');
      if (records.length === TASKS && records.every((r) => r.state === 'done')) break;
      if (Date.now() > deadline) {
        throw new Error(
          `not done: ${records
            .filter((r) => r.state !== 'done')
            .map((r) => `${r.key}:${r.state}`)
            .join(', ')}`,
        );
      }
      if (kills < KILLS && Date.now() >= nextKill) {
        const victim = agents[Math.floor(Math.random() * agents.length)]!;
        if (victim.running()) {
          await victim.kill();
          kills++;
          setTimeout(() => victim.restart(), 500 + Math.random() * 1_500);
        }
        nextKill = Date.now() + 2_000 + Math.random() * 3_000;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(kills).toBeGreaterThanOrEqual(3);

    // exactly one PR and one branch per task, and no branch outside bzzz/
    const records = await forge.taskRecords('chaos/repo');
    for (const record of records) expect(record.prs, record.key).toHaveLength(1);
    const bare = join(forgeDir, 'chaos', 'repo.git');
    const heads = (await git(['for-each-ref', '--format=%(refname:short)', 'refs/heads'], { cwd: bare }))
      .trim()
      .split('\n');
    expect(heads.filter((h) => h.startsWith('bzzz/task-'))).toHaveLength(TASKS);
    expect(heads.filter((h) => h !== 'main' && !h.startsWith('bzzz/'))).toEqual([]);

    // every push was fenced by a lease that was live and the newest grant of its task
    const events = agents.flatMap((a) => a.logs());
    const grants = events.filter((e) => e.msg === 'lease won') as {
      task: string;
      token: number;
      time: number;
    }[];
    const pushes = events.filter((e) => e.msg === 'push fenced') as {
      task: string;
      token: number;
      expiresAt: number;
      at: number;
    }[];
    expect(pushes.length).toBeGreaterThanOrEqual(TASKS);
    for (const push of pushes) {
      expect(push.at, `push of ${push.task}`).toBeLessThan(push.expiresAt);
      const newer = grants.filter((g) => g.task === push.task && g.token > push.token && g.time <= push.at);
      expect(newer, `push of ${push.task} under token ${push.token}`).toEqual([]);
    }

    // stop everyone gracefully: nothing left behind
    for (const agent of agents) {
      if (!agent.running()) agent.restart();
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const codes = await Promise.all(agents.map((a) => a.stop()));
    expect(codes).toEqual([0, 0, 0]);
    expect(containers()).toEqual([]);
  }, 300_000);
});
